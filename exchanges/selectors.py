"""Read queries and permission questions shared by pages and the API.

Visibility is decided here once: a caller who may not see an object gets a
queryset without it, so views answer 404 rather than 403.
"""

from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from exchanges.models import (
    STAFF_ROLES,
    Application,
    ApplicationStatus,
    Membership,
    Organization,
    Program,
    ProgramStatus,
    Role,
)

PUBLIC_STATUSES = (ProgramStatus.PUBLISHED, ProgramStatus.CLOSED)


def role_in(user, organization_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
    )


def is_staff_of(user, organization_id: int) -> bool:
    """Owners and coordinators: they run programs, applications and sessions."""
    return role_in(user, organization_id) in STAFF_ROLES


def require_staff(user, organization_id: int) -> None:
    """Services call this before a change only owners and coordinators may make."""
    if not is_staff_of(user, organization_id):
        raise PermissionDenied(_("Only the organization's owners and coordinators can do this."))


def require_owner(user, organization_id: int) -> None:
    if role_in(user, organization_id) != Role.OWNER:
        raise PermissionDenied(_("Only the organization's owners can do this."))


def is_member_of(user, organization_id: int) -> bool:
    return role_in(user, organization_id) is not None


def organizations_of(user) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")


def programs_visible_to(user) -> QuerySet[Program]:
    """Published and closed programs, plus those of the caller's organizations and
    those the caller applied to."""
    visible = Q(status__in=PUBLIC_STATUSES)
    if user.is_authenticated:
        member = Membership.objects.filter(user=user, organization=OuterRef("organization"))
        applied = Application.objects.filter(applicant=user, program=OuterRef("pk"))
        visible |= Q(Exists(member)) | Q(Exists(applied))
    return (
        Program.objects.filter(visible)
        .select_related("organization")
        .prefetch_related("sides")
        .order_by("starts_on", "id")
    )


def programs_open_for_applications() -> QuerySet[Program]:
    return (
        Program.objects.filter(status=ProgramStatus.PUBLISHED)
        .filter(Q(applications_close_at__isnull=True) | Q(applications_close_at__gt=timezone.now()))
        .select_related("organization")
        .prefetch_related("sides")
        .order_by("starts_on", "id")
    )


def programs_staffed_by(user) -> QuerySet[Program]:
    """Programs the caller may manage (owner or coordinator of their organization)."""
    if not user.is_authenticated:
        return Program.objects.none()
    staff = Membership.objects.filter(
        user=user, organization=OuterRef("organization"), role__in=STAFF_ROLES
    )
    return Program.objects.filter(Exists(staff)).select_related("organization")


def applications_visible_to(user) -> QuerySet[Application]:
    """Own applications, and every application to programs the caller staffs."""
    if not user.is_authenticated:
        return Application.objects.none()
    staff = Membership.objects.filter(
        user=user, organization=OuterRef("program__organization"), role__in=STAFF_ROLES
    )
    return (
        Application.objects.filter(Q(applicant=user) | Q(Exists(staff)))
        .select_related("program__organization", "side", "applicant")
        .order_by("created_at", "id")
    )


def is_accepted_to(user, program_id: int) -> bool:
    return user.is_authenticated and Application.objects.filter(
        applicant=user, program_id=program_id, status=ApplicationStatus.ACCEPTED
    ).exists()


# --- Personal data: the one rule for who sees an email or a legal name --------------------
#
# Everyone else sees a display name (and a side). Facilitators are members of the
# organization but not its staff: they see display names only.


def personal_data_organizations(viewer) -> frozenset[int]:
    """Organizations whose applicants' email and legal name `viewer` may see: those where
    the viewer is owner or coordinator. One query: a page or an API request computes it
    once and asks `sees_applicant_personal_data` for each row."""
    if not viewer.is_authenticated:
        return frozenset()
    return frozenset(
        Membership.objects.filter(user=viewer, role__in=STAFF_ROLES)
        .values_list("organization_id", flat=True)
    )


def sees_applicant_personal_data(organizations: Collection[int], program: Program) -> bool:
    """Whether a viewer whose `personal_data_organizations` are `organizations` sees the
    email and legal name of the people who applied to `program`."""
    return program.organization_id in organizations


def can_see_personal_data(viewer, person) -> bool:
    """Email and legal name of one person: the person themselves, and staff of
    organizations the person applied to."""
    if not viewer.is_authenticated:
        return False
    if viewer.pk == person.pk:
        return True
    organizations = personal_data_organizations(viewer)
    return bool(organizations) and Application.objects.filter(
        applicant=person, program__organization_id__in=organizations
    ).exists()
