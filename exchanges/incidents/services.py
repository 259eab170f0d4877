"""Reporting an incident and working it.

Nothing here writes the activity log: the organization's log is read by its owners and
coordinators, and an incident's existence, kind, reporter and the person it is about are
for custodians and owners only (API.md "Safety": incidents never appear in the activity
log's details). The incident row itself keeps who reported it, when, and when it was
closed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchanges.incidents import selectors
from exchanges.models import Incident, IncidentStatus, Program
from participants.models import User
from participants.outbox.services import enqueue

INCIDENT_NOTICE = "incident_reported"


def incident_report(*, program: Program, reporter: User, kind: str, description: str,
                    about: int | None = None, anonymous: bool = False) -> Incident:
    """A report by a member of the organization or an accepted participant; custodians (or
    owners when there are none) are told at once, in the same transaction, without what
    happened."""
    if not selectors.can_report(reporter, program):
        raise PermissionDenied(_("Only the organization's members and the program's accepted "
                                 "participants can report an incident here."))
    incident = Incident(program=program, reporter=reporter, kind=kind,
                        description=(description or "").strip(), anonymous=bool(anonymous),
                        about_id=_about(program, about))
    incident.full_clean(exclude=["program", "reporter", "about"], validate_constraints=False)
    with transaction.atomic():
        incident.save()
        for user_id in selectors.notice_recipients(program.organization_id):
            if user_id == reporter.pk:
                continue  # they know: they wrote it
            enqueue(recipient_id=user_id, kind=INCIDENT_NOTICE,
                    dedupe_key=f"{INCIDENT_NOTICE}:{incident.pk}:{user_id}",
                    organization_id=program.organization_id,
                    context={"incident": incident.pk, "program": program.pk})
    return incident


def _about(program: Program, about: int | None) -> int | None:
    if about is None:
        return None
    if isinstance(about, bool) or not isinstance(about, int) or not selectors.people_in_program(
            program).filter(pk=about).exists():
        raise ValidationError({"about": _("Choose someone who takes part in this program or "
                                          "belongs to its organization.")})
    return about


def incident_update(*, incident: Incident, actor: User, status: str,
                    resolution: str | None = None) -> Incident:
    """Move an incident between open, reviewing and closed (either way: a closed one can be
    reopened). Closing needs a resolution, given now or before."""
    if not selectors.works_incidents(actor, incident.program.organization_id):
        raise PermissionDenied(_("Only the organization's custodians and owners work "
                                 "incidents."))
    if status not in IncidentStatus.values:
        raise ValidationError({"status": _("Choose open, reviewing or closed.")})
    with transaction.atomic():
        # Locked alone: PostgreSQL refuses FOR UPDATE across the nullable `about` join.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if resolution is not None:
            incident.resolution = resolution.strip()
        if status == IncidentStatus.CLOSED and not incident.resolution:
            raise ValidationError({"resolution": _("Say how the incident was resolved before "
                                                   "closing it.")})
        if status == IncidentStatus.CLOSED and incident.status != IncidentStatus.CLOSED:
            incident.closed_at = timezone.now()
        elif status != IncidentStatus.CLOSED:
            incident.closed_at = None
        incident.status = status
        incident.full_clean(exclude=["program", "reporter", "about"],
                            validate_constraints=False)
        incident.save()
    return incident

