"""Read queries for the web pages (and the API's program filters).

`filter_programs` is the one place the catalogue filters are defined: the pages
and the API's django-filter FilterSet both call it.
"""

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from exchanges.models import (
    ActivityLog,
    Application,
    ApplicationStatus,
    Balance,
    Membership,
    Organization,
    Program,
    ProgramStatus,
    Side,
)
from exchanges.selectors import PUBLIC_STATUSES


def open_now_q() -> Q:
    return Q(status=ProgramStatus.PUBLISHED) & (
        Q(applications_close_at__isnull=True) | Q(applications_close_at__gt=timezone.now())
    )


def filter_programs(
    programs: QuerySet[Program],
    *,
    kind: str = "",
    organization: str = "",
    status: str = "",
    search: str = "",
    open_now: bool = False,
) -> QuerySet[Program]:
    """Narrow any program queryset by kind, organization slug, status, text and "open now"."""
    if kind:
        programs = programs.filter(kind=kind)
    if organization:
        programs = programs.filter(organization__slug=organization)
    if status:
        programs = programs.filter(status=status)
    if open_now:
        programs = programs.filter(open_now_q())
    for word in search.split():
        programs = programs.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(description__icontains=word)
        )
    return programs


def _sides_with_accepted() -> Prefetch:
    accepted = Count("applications", filter=Q(applications__status=ApplicationStatus.ACCEPTED))
    return Prefetch("sides", queryset=Side.objects.annotate(accepted=accepted))


def catalogue_programs(**filters) -> QuerySet[Program]:
    """Published programs, then closed ones; each side carries its `accepted` count."""
    programs = Program.objects.filter(status__in=PUBLIC_STATUSES)
    return (
        filter_programs(programs, **filters)
        .select_related("organization")
        .prefetch_related(_sides_with_accepted())
        .annotate(
            closed_last=Case(
                When(status=ProgramStatus.CLOSED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("closed_last", "starts_on", "id")
    )


def catalogue_organizations() -> QuerySet[Organization]:
    """Organizations with at least one public program, for the catalogue's filter."""
    return Organization.objects.filter(programs__status__in=PUBLIC_STATUSES).distinct()


@dataclass(frozen=True)
class SideSeatsLeft:
    name: str
    seats_left: int | None  # None under balance "none": only the total counts


def seats_left(program: Program) -> tuple[int, list[SideSeatsLeft]]:
    """Seats left in total and per side, from sides prefetched by `catalogue_programs`."""
    sides = list(program.sides.all())
    accepted = sum(side.accepted for side in sides)
    total_left = max(program.capacity - accepted, 0)
    if program.balance != Balance.PARITY or not sides:
        return total_left, [SideSeatsLeft(side.name, None) for side in sides]
    per_side = program.capacity // len(sides)
    return total_left, [
        SideSeatsLeft(side.name, max(per_side - side.accepted, 0)) for side in sides
    ]


def applications_of(user) -> QuerySet[Application]:
    """The person's own applications, newest first, for "My programs"."""
    return (
        Application.objects.filter(applicant=user)
        .select_related("program__organization", "side")
        .order_by("-created_at", "-id")
    )


def program_applications(program: Program, *, side: str = "", status: str = "") -> QuerySet:
    """A program's applications for its staff, oldest first, filtered by side id and status."""
    applications = (
        Application.objects.filter(program=program)
        .select_related("side", "applicant")
        .order_by("created_at", "id")
    )
    if side:
        applications = applications.filter(side_id=side)
    if status:
        applications = applications.filter(status=status)
    return applications


def memberships_with_roles(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def organization_members(organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__display_name", "id")
    )


def membership_of(user, slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, organization__slug=slug)
        .select_related("organization")
        .first()
    )


def organization_programs(organization: Organization) -> QuerySet[Program]:
    return (
        Program.objects.filter(organization=organization)
        .annotate(
            pending_count=Count(
                "applications", filter=Q(applications__status=ApplicationStatus.PENDING)
            )
        )
        .order_by("starts_on", "id")
    )


def recent_activity(organization: Organization, limit: int = 10) -> QuerySet[ActivityLog]:
    return (
        ActivityLog.objects.filter(organization=organization)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def activity_log(organization: Organization, *, actor=None, verb: str = "",
                 since=None, until=None) -> QuerySet[ActivityLog]:
    entries = ActivityLog.objects.filter(organization=organization).select_related("actor")
    if actor is not None:
        entries = entries.filter(actor=actor)
    if verb:
        entries = entries.filter(verb=verb)
    if since:
        entries = entries.filter(created_at__date__gte=since)
    if until:
        entries = entries.filter(created_at__date__lte=until)
    return entries.order_by("-created_at", "-id")
