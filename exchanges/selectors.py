"""Read queries and permission questions shared by pages and the API.

Visibility is decided here once: a caller who may not see an object gets a
queryset without it, so views answer 404 rather than 403.
"""

from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core import content
from core.paging import count_with
from core.prepared import among_found_first
from exchanges.models import (
    CLOSED_LAST,
    PUBLIC_STATUSES,
    READER_ROLES,
    REVEALER_ROLES,
    STAFF_ROLES,
    ActivityLog,
    Application,
    ApplicationStatus,
    Balance,
    Membership,
    MembershipStatus,
    Organization,
    Program,
    ProgramStatus,
    ProgramTally,
    Role,
    Side,
    search_text_sql,
)


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


def is_reader_of(user, organization_id: int) -> bool:
    """Owners, coordinators and custodians: they read programs, applications and sessions
    as staff do (custodians change nothing)."""
    return role_in(user, organization_id) in READER_ROLES


def can_reveal(user, organization_id: int) -> bool:
    """Custodians: the only ones who reveal a protected identity, one person at a time."""
    return role_in(user, organization_id) in REVEALER_ROLES


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


@dataclass(frozen=True)
class Visibility:
    """What the caller sees beyond public programs, as uncorrelated subqueries: PostgreSQL
    runs each once, first (a hashed subplan), and estimates `public OR organization IN
    (...) OR id IN (...)` well. It could not estimate the correlated EXISTS this replaced,
    and planned sequential scans and JIT. Subqueries rather than ids fetched beforehand:
    no query more per page (the lists' query-count guards), and one generic plan for
    every caller of the API list's prepared statements (exchanges.api.lean)."""

    # Organization ids read as staff (every program), program ids applied to or
    # facilitated: each a values() subquery.
    readers: QuerySet | None = None
    reached: tuple[QuerySet, ...] = ()

    def q(self) -> Q:
        visible = Q(status__in=PUBLIC_STATUSES)
        if self.readers is not None:
            visible |= Q(organization_id__in=self.readers)
        for programs in self.reached:
            visible |= Q(pk__in=programs)
        return visible

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(*self.count_sql())
            return int(cursor.fetchone()[0])

    def count_sql(self) -> tuple[str, list]:
        """The query counting the programs `q()` matches: the tally's public programs and
        those of the reader organizations, plus the others reached, counted apart (each
        part an index-driven semi-join; none counts a program twice)."""
        parts = [ProgramTally.objects.filter(self._tallied_q()).values("programs")]
        seen = Q()
        for programs in self.reached:
            others = (Program.objects.filter(pk__in=programs).filter(seen)
                      .exclude(status__in=PUBLIC_STATUSES)
                      .exclude(organization_id__in=self.readers))
            parts.append(others.order_by().values("pk"))
            seen &= ~Q(pk__in=programs)
        sql, params = [], []
        for i, part in enumerate(parts):
            part_sql, part_params = part.query.sql_with_params()
            total = "SUM(programs)" if i == 0 else "COUNT(*)"
            # Only compiled querysets and fixed words; values are parameters.
            sql.append(f"(SELECT COALESCE({total}, 0) FROM ({part_sql}) AS part)")  # noqa: S608
            params.extend(part_params)
        return "SELECT " + " + ".join(sql), params

    def _tallied_q(self) -> Q:
        if self.readers is None:
            return Q(public=True)
        return Q(public=True) | Q(organization_id__in=self.readers)


def visibility_of(user, *, through_facilitation: bool = True) -> Visibility:
    """The organizations where the caller is more than a facilitator; the programs they
    applied to; with `through_facilitation`, those where they have a session assigned
    while still a member of the program's organization."""
    if not user.is_authenticated:
        return Visibility()
    readers = (Membership.objects.filter(user_id=user.pk, role__in=READER_ROLES)
               .values("organization_id"))
    reached = [Application.objects.filter(applicant_id=user.pk).values("program_id")]
    if through_facilitation:
        # Through the reverse relation: exchanges does not import dialogues. Driven by
        # the person's own sessions (a few), not by their organizations' programs (a
        # big organization's 500 took 0.8 ms at 100,000 programs).
        sessions = Program._meta.get_field("sessions").related_model.objects
        facilitated = sessions.filter(facilitators=user.pk).values("program_id")
        member_of = Membership.objects.filter(user_id=user.pk).values("organization_id")
        reached.append(Program.objects.filter(among_found_first("pk", facilitated),
                                              organization_id__in=member_of).values("pk"))
    return Visibility(readers, tuple(reached))


def programs_visible_to(user, *, through_facilitation: bool = True) -> QuerySet[Program]:
    """Published and closed programs, plus every program of the organizations where the
    caller is more than a facilitator, the programs where a facilitator (still a member)
    has a session assigned, and those the caller applied to (API v1.1: facilitators no
    longer list drafts). Its `count()` in a paginator comes from the tally."""
    return programs_visible_through(
        visibility_of(user, through_facilitation=through_facilitation))


def programs_visible_through(visibility: Visibility) -> QuerySet[Program]:
    programs = (
        Program.objects.filter(visibility.q())
        .select_related("organization")
        .prefetch_related("sides")
        .order_by("starts_on", "id")
    )
    return _tallied(programs, visibility.count)


def _tallied(programs: QuerySet[Program], count) -> QuerySet[Program]:
    """The tally answers counts on PostgreSQL, whose triggers keep it."""
    return count_with(programs, count) if connection.vendor == "postgresql" else programs


def programs_open_for_applications() -> QuerySet[Program]:
    return (
        Program.objects.filter(open_now_q())
        .select_related("organization")
        .prefetch_related("sides")
        .order_by("starts_on", "id")
    )


def programs_staffed_by(user, roles=STAFF_ROLES) -> QuerySet[Program]:
    """Programs the caller may manage (owner or coordinator of their organization), or
    with `roles=READER_ROLES` those they read as staff (custodians too)."""
    if not user.is_authenticated:
        return Program.objects.none()
    staff = Membership.objects.filter(
        user=user, organization=OuterRef("organization"), role__in=roles
    )
    return Program.objects.filter(Exists(staff)).select_related("organization")


def programs_read_by(user) -> QuerySet[Program]:
    """Programs the caller reads as staff: owners, coordinators and custodians."""
    return programs_staffed_by(user, roles=READER_ROLES)


def applications_visible_to(user) -> QuerySet[Application]:
    """Own applications, and every application to programs the caller reads as staff."""
    if not user.is_authenticated:
        return Application.objects.none()
    staff = Membership.objects.filter(
        user=user, organization=OuterRef("program__organization"), role__in=READER_ROLES
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
# organization but not its staff: they see display names only. Under identity protection
# no role of the organization sees them, outside a reveal (exchanges.identity).


def personal_data_organizations(viewer) -> frozenset[int]:
    """Organizations whose applicants' email and legal name `viewer` may see: those where
    the viewer reads as staff (owner, coordinator, custodian) and identity protection is
    off. One query: a page or an API request computes it once and asks
    `sees_applicant_personal_data` for each row."""
    if not viewer.is_authenticated:
        return frozenset()
    return frozenset(
        Membership.objects.filter(user=viewer, role__in=READER_ROLES,
                                  organization__identity_protection=False)
        .values_list("organization_id", flat=True)
    )


def staff_access(viewer) -> tuple[frozenset[int], frozenset[int]]:
    """Both sets in one query: (the organizations whose programs, applications and sessions
    the viewer reads as staff, `personal_data_organizations`)."""
    if not viewer.is_authenticated:
        return frozenset(), frozenset()
    rows = list(Membership.objects.filter(user=viewer, role__in=READER_ROLES)
                .values_list("organization_id", "organization__identity_protection"))
    return (frozenset(org for org, _protected in rows),
            frozenset(org for org, protected in rows if not protected))


def role_sees_personal_data(role: str | None, organization: Organization) -> bool:
    """`personal_data_organizations` for one organization whose role is known already."""
    return role in READER_ROLES and not organization.identity_protection


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


# --- Catalogue, organization pages ---------------------------------------------------


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
    return search_programs(programs, search)


def search_programs(programs: QuerySet[Program], text: str) -> QuerySet[Program]:
    """Every word must appear in the title, summary, description or location, in the
    reader's language or the program's main language."""
    for word in text.split():
        programs = programs.filter(_word_in_texts(word))
    return programs


def _word_in_texts(word: str, indexed: bool | None = None) -> Q:
    """On PostgreSQL a trigram index over all of a program's texts in every language
    (search_text_sql) finds the candidates, and the rule above checks each. The rule is
    wrapped in a CASE so that the planner takes it as an even chance: it multiplies the
    selectivities of its ORed LIKEs into "one row" and then joins as if for one row."""
    rule = (content.search_q("title", word) | content.search_q("summary", word)
            | content.search_q("description", word) | Q(location__icontains=word))
    if not (connection.vendor == "postgresql" if indexed is None else indexed):
        return rule
    pattern = f"%{connection.ops.prep_for_like_query(word)}%"
    text = search_text_sql(Program._meta.db_table)
    # Only the fixed expression is SQL; the word is a parameter.
    candidate = RawSQL(f"UPPER({text}) LIKE UPPER(%s) ESCAPE '\\'", (pattern,),  # noqa: S611
                       output_field=BooleanField())
    checked = Case(When(rule, then=Value(True)), default=Value(False),
                   output_field=BooleanField())
    return Q(candidate) & Q(checked)


def _sides_with_accepted() -> Prefetch:
    accepted = Count("applications", filter=Q(applications__status=ApplicationStatus.ACCEPTED))
    return Prefetch("sides", queryset=Side.objects.annotate(accepted=accepted))


def catalogue_programs(**filters) -> QuerySet[Program]:
    """Published programs, then closed ones; each side carries its `accepted` count."""
    programs = _tallied(Program.objects.filter(status__in=PUBLIC_STATUSES),
                        Visibility().count)
    return (
        filter_programs(programs, **filters)
        .select_related("organization")
        .prefetch_related(_sides_with_accepted())
        .annotate(closed_last=CLOSED_LAST)
        .order_by("closed_last", "starts_on", "id")
    )


def catalogue_organizations() -> QuerySet:
    """Organizations with at least one public program, for the catalogue's filter: rows
    of (pk, slug, name), by name. On PostgreSQL the tally's rows tell which (a few per
    organization, however many programs each has); elsewhere a semi-join over programs."""
    if connection.vendor == "postgresql":
        public = Q(pk__in=ProgramTally.objects.filter(public=True, programs__gt=0)
                   .values("organization_id"))
    else:
        public = Exists(Program.objects.filter(organization=OuterRef("pk"),
                                               status__in=PUBLIC_STATUSES))
    return (Organization.objects.filter(public).order_by("name")
            .values_list("pk", "slug", "name", named=True))


@dataclass(frozen=True)
class SideSeatsLeft:
    name: str
    seats_left: int | None  # None under balance "none": only the total counts


def seats_left(program: Program) -> tuple[int, list[SideSeatsLeft]]:
    """Seats that can still be filled, in total and per side, by the rule acceptance
    follows (exchanges.services.applications): a side takes no more than its share
    under parity, and no side more than the program's capacity leaves. The total is
    what the sides can still take, so the two always agree. Sides (with `accepted`) are
    prefetched by `catalogue_programs`."""
    sides = list(program.sides.all())
    accepted = sum(side.accepted for side in sides)
    total_left = max(program.capacity - accepted, 0)
    if program.balance != Balance.PARITY or not sides:
        return total_left, [SideSeatsLeft(side.name, None) for side in sides]
    share = program.capacity // len(sides)
    per_side = [SideSeatsLeft(side.name, min(max(share - side.accepted, 0), total_left))
                for side in sides]
    return min(total_left, sum(side.seats_left for side in per_side)), per_side


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


def organization_seats(organization: Organization, *, with_invitations: bool
                       ) -> QuerySet[Membership]:
    """Members, and (for owners) open invitations, by id: one id space, one list."""
    seats = Q(status=MembershipStatus.ACTIVE)
    if with_invitations:
        seats |= Q(status=MembershipStatus.INVITED, expires_at__gt=timezone.now())
    return (Membership.seats.filter(seats, organization=organization)
            .select_related("user").order_by("id"))


def open_invitations(organization: Organization) -> QuerySet[Membership]:
    return organization_seats(organization, with_invitations=True).filter(
        status=MembershipStatus.INVITED)


def invitation_by_token(token: str) -> Membership | None:
    """The invitation behind a link (open or not), or None for a token never issued."""
    if not token or len(token) > 200:
        return None
    return (Membership.seats.filter(token_hash=Membership.hash_token(token))
            .select_related("organization").first())


def membership_of(user, slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, organization__slug=slug)
        .select_related("organization")
        .first()
    )


def organization_programs(organization: Organization, viewer=None) -> QuerySet[Program]:
    """The organization's programs; a facilitator `viewer` gets only those they may see
    (public ones and those with a session assigned to them), never drafts of others.
    Each carries its `pending_count`, counted per program through the index on
    (program, status) rather than by joining and grouping every application."""
    programs = Program.objects.filter(organization=organization)
    if viewer is not None and role_in(viewer, organization.pk) == Role.FACILITATOR:
        programs = programs.filter(visibility_of(viewer).q())
    pending = (Application.objects.filter(program=OuterRef("pk"),
                                          status=ApplicationStatus.PENDING)
               .order_by().values("program").annotate(n=Count("pk")).values("n"))
    return (
        programs
        .annotate(pending_count=Coalesce(Subquery(pending), 0))
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
