"""A person's own reports in their data export. Incidents about them are not theirs to
download: the export would tell the person reported who reported what.

Registered with participants.privacy from ExchangesConfig.ready(). Erasing an account
keeps the reports it made: they are the organization's safeguarding record, and the
erased account shows no name.
"""

from exchanges.models import Incident
from participants.models import User


def export_incidents(user: User) -> list[dict]:
    return [
        {"id": i.pk, "program": i.program.title, "kind": i.kind, "description": i.description,
         "anonymous": i.anonymous, "status": i.status, "created_at": i.created_at.isoformat()}
        for i in Incident.objects.filter(reporter=user).select_related("program")
        .order_by("created_at", "id")
    ]


def connect() -> None:
    from participants import privacy

    privacy.register_exporter("incidents_reported", export_incidents)
