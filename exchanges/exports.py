"""Exports and views of personal data: each one is written to the activity log."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from exchanges.activity import log_activity
from exchanges.models import Application, Program
from exchanges.selectors import (
    is_reader_of,
    personal_data_organizations,
    sees_applicant_personal_data,
)
from participants.models import User


def personal_data_viewed(*, actor: User, program: Program, via: str,
                         applicant_ids: list[int]) -> None:
    """Staff were shown applicants' personal data (email, legal name, institution, date
    of birth): one entry per page or response
    (not per row), naming whose data was shown. Nothing shown, nothing logged."""
    if applicant_ids:
        log_activity(actor=actor, verb="personal_data.viewed", target=program,
                     organization_id=program.organization_id,
                     data={"via": via, "applicants": applicant_ids})


def applications_export_logged(*, program: Program, actor: User) -> list[list[str]]:
    """The program's applications as rows (header first), logged as an export. Under
    identity protection the personal-data columns are empty."""
    if not is_reader_of(actor, program.organization_id):
        raise PermissionDenied(_("Only the program's staff can export its applications."))
    shown = sees_applicant_personal_data(personal_data_organizations(actor), program)
    applications = (
        Application.objects.filter(program=program)
        .select_related("side", "applicant")
        .order_by("created_at", "id")
    )
    header = [_("side"), _("display name"), _("email"), _("legal name"), _("institution"),
              _("date of birth"), _("status"), _("applied at"), _("decided at"),
              _("motivation"), _("guardian's email"), _("guardian's consent"),
              _("guardian's name"), _("guardian answered at")]
    with transaction.atomic():
        rows = [
            [
                application.side.name,
                application.applicant.display_name,
                *(_personal_columns(application.applicant) if shown else ["", "", "", ""]),
                application.status,
                application.created_at.isoformat(),
                application.decided_at.isoformat() if application.decided_at else "",
                application.motivation,
                application.guardian_email if shown else "",
                application.guardian_consent or "",
                application.guardian_name,
                application.guardian_answered_at.isoformat()
                if application.guardian_answered_at else "",
            ]
            for application in applications
        ]
        log_activity(actor=actor, verb="applications.exported", target=program,
                     organization_id=program.organization_id, data={"rows": len(rows)})
        if shown:
            personal_data_viewed(actor=actor, program=program, via="csv",
                                 applicant_ids=[a.applicant_id for a in applications])
    return [header, *rows]


def _personal_columns(person: User) -> list[str]:
    return [person.email, person.legal_name, person.institution,
            person.birth_date.isoformat() if person.birth_date else ""]
