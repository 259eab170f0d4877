"""Exports of personal data: each one is written to the activity log."""

from django.db import transaction
from django.utils.translation import gettext as _

from exchanges.activity import log_activity
from exchanges.models import Application, Program
from participants.models import User


def applications_export_logged(*, program: Program, actor: User) -> list[list[str]]:
    """The program's applications as rows (header first), logged as an export."""
    applications = (
        Application.objects.filter(program=program)
        .select_related("side", "applicant")
        .order_by("created_at", "id")
    )
    header = [_("side"), _("display name"), _("email"), _("legal name"), _("status"),
              _("applied at"), _("decided at"), _("motivation")]
    with transaction.atomic():
        rows = [
            [
                application.side.name,
                application.applicant.display_name,
                application.applicant.email,
                application.applicant.legal_name,
                application.status,
                application.created_at.isoformat(),
                application.decided_at.isoformat() if application.decided_at else "",
                application.motivation,
            ]
            for application in applications
        ]
        log_activity(actor=actor, verb="applications.exported", target=program,
                     organization_id=program.organization_id, data={"rows": len(rows)})
    return [header, *rows]
