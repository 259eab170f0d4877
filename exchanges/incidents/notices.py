"""The notice of a new incident to custodians (or owners): its kind, the program and a
link. Never what happened, who reported it or whom it is about: an email can be
forwarded, read over a shoulder or kept by a mail provider.

Registered from ExchangesConfig.ready(); always sent (no preference applies).
"""

from django.utils.translation import gettext_lazy as _

from exchanges.incidents.selectors import works_incidents
from exchanges.incidents.services import INCIDENT_NOTICE
from exchanges.models import Incident
from participants.models import Notification
from participants.outbox import kinds


def build_incident_notice(notification: Notification) -> kinds.Email:
    incident = (Incident.objects.select_related("program__organization")
                .filter(pk=notification.context.get("incident")).first())
    if incident is None:
        raise kinds.NotRelevant("the incident no longer exists")
    if not works_incidents(notification.recipient, incident.program.organization_id):
        raise kinds.NotRelevant("the recipient no longer works the organization's incidents")
    return kinds.render_email(INCIDENT_NOTICE, {
        "recipient": notification.recipient,
        "kind": incident.get_kind_display(),
        "program": incident.program,
        "organization": incident.program.organization,
        "path": f"/incidents/{incident.pk}/",
    })


def register() -> None:
    kinds.register(INCIDENT_NOTICE, label=_("Incident reported"), build=build_incident_notice,
                   optional=False)
