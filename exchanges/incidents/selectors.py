"""Who sees and works incidents, and the reads pages and the API share.

One rule, decided here: the organization's custodians and owners see every incident of
its programs; everyone else sees only the incidents they reported themselves (and an
incident they cannot see answers 404). Coordinators and facilitators, the person an
incident is about and other participants see none. A reporter who asked not to be named
is shown to custodians only (API.md "Safety").
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from exchanges.models import (
    Application,
    ApplicationStatus,
    Incident,
    Membership,
    Program,
    Role,
)
from exchanges.selectors import is_accepted_to, role_in
from participants.models import User

INCIDENT_ROLES = (Role.CUSTODIAN, Role.OWNER)


def works_incidents(user, organization_id: int) -> bool:
    """Custodians and owners: they read every incident of the organization and work it."""
    return role_in(user, organization_id) in INCIDENT_ROLES


def can_report(user, program: Program) -> bool:
    """Members of the organization (any role) and accepted participants of the program."""
    if not user.is_authenticated:
        return False
    return role_in(user, program.organization_id) is not None or is_accepted_to(user, program.pk)


def incidents_visible_to(user) -> QuerySet[Incident]:
    if not user.is_authenticated:
        return Incident.objects.none()
    works = Membership.objects.filter(user=user, organization=OuterRef("program__organization"),
                                      role__in=INCIDENT_ROLES)
    return (Incident.objects.filter(Q(reporter=user) | Q(Exists(works)))
            .select_related("program__organization", "reporter", "about")
            .order_by("-created_at", "-id"))


def program_incidents(user, program: Program, *, status: str = "") -> QuerySet[Incident]:
    """The program's incidents the caller may see, newest first."""
    incidents = incidents_visible_to(user).filter(program=program)
    return incidents.filter(status=status) if status else incidents


def shows_reporter(incident: Incident, viewer, viewer_role: str | None) -> bool:
    """Whether `viewer` (whose role in the incident's organization is `viewer_role`) is
    told who reported it: always the reporter and custodians; owners unless the reporter
    asked not to be named."""
    if viewer.pk == incident.reporter_id or viewer_role == Role.CUSTODIAN:
        return True
    return viewer_role == Role.OWNER and not incident.anonymous


def people_in_program(program: Program) -> QuerySet[User]:
    """Everyone an incident may be about: anyone who applied to the program (whatever the
    outcome) and the organization's members."""
    applied = Application.objects.filter(program=program, applicant=OuterRef("pk"))
    member = Membership.objects.filter(organization_id=program.organization_id,
                                       user=OuterRef("pk"))
    return User.objects.filter(Q(Exists(applied)) | Q(Exists(member)))


def about_choices(program: Program, viewer) -> list[tuple[int, str]]:
    """The "about" picker: by display name. A participant is offered the program's accepted
    participants who have not hidden themselves, and its organization's members; custodians
    and staff (who see hidden people anyway) everyone in the program."""
    people = people_in_program(program)
    if role_in(viewer, program.organization_id) is None:
        accepted = Application.objects.filter(program=program, applicant=OuterRef("pk"),
                                              status=ApplicationStatus.ACCEPTED)
        member = Membership.objects.filter(organization_id=program.organization_id,
                                           user=OuterRef("pk"))
        people = people.filter((Q(Exists(accepted)) & Q(hidden_from_participants=False))
                               | Q(Exists(member)))
    return list(people.exclude(pk=viewer.pk).order_by("display_name", "id")
                .values_list("id", "display_name"))


def notice_recipients(organization_id: int) -> list[int]:
    """Who is told of a new incident: the custodians, or the owners when there are none."""
    roles = dict.fromkeys(INCIDENT_ROLES)
    for user_id, role in (Membership.objects.filter(organization_id=organization_id,
                                                    role__in=INCIDENT_ROLES)
                          .order_by("user_id").values_list("user_id", "role")):
        roles[role] = [*(roles[role] or []), user_id]
    return roles[Role.CUSTODIAN] or roles[Role.OWNER] or []
