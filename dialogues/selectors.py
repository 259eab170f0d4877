"""Read queries and viewer permissions for sessions, shared by pages and the API.

Each list is one query (plus a fixed number of prefetches), whatever its length.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from dialogues.models import RSVP, Confidentiality, GroupMember, Outcome, RSVPResponse, Session
from dialogues.venue import ShownVenue, venue_for
from exchanges.models import (
    READER_ROLES,
    STAFF_ROLES,
    Application,
    ApplicationStatus,
    Membership,
    Program,
    Role,
)
from exchanges.selectors import is_accepted_to, programs_visible_to, role_in
from participants.models import User


def _with_facilitators(queryset: QuerySet[Session]) -> QuerySet[Session]:
    return queryset.select_related("program__organization", "group__round").prefetch_related(
        Prefetch("facilitators", queryset=User.objects.only("id", "display_name"))
    )


def sessions_visible_to(user) -> QuerySet[Session]:
    """Sessions of the programs the caller can see (drafts only to their own people). A
    facilitator who sees a draft only because a session of it is theirs sees that
    session, not the others."""
    sessions = Session.objects.filter(program__in=programs_visible_to(user).values("pk"))
    if user.is_authenticated:
        fully = programs_visible_to(user, through_facilitation=False).values("pk")
        mine = Session.facilitators.through.objects.filter(session=OuterRef("pk"), user=user)
        sessions = sessions.filter(Q(program__in=fully) | Q(Exists(mine)))
    return _with_facilitators(sessions)


def sessions_of_program_for(user, program: Program) -> QuerySet[Session]:
    """The program's sessions the caller may see (see sessions_visible_to)."""
    return sessions_visible_to(user).filter(program=program)


def sessions_of_program(program: Program) -> QuerySet[Session]:
    return _with_facilitators(Session.objects.filter(program=program))


@dataclass(frozen=True)
class ProgramAccess:
    """What the caller is to one program; computed once per page or request."""

    user_id: int | None
    role: str | None  # in the program's organization; None for everyone else
    is_accepted: bool

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_reader(self) -> bool:
        """Reads the program's sessions as staff do (custodians too: they change nothing)."""
        return self.role in READER_ROLES

    @property
    def is_member(self) -> bool:
        return self.role is not None

    def is_facilitator(self, session: Session) -> bool:
        """Assigned to the session and still a member of the organization: leaving it
        ends every power at once, whatever assignment might be left behind."""
        # Uses the prefetched facilitators: no query per session.
        return self.is_member and self.user_id is not None and any(
            f.pk == self.user_id for f in session.facilitators.all()
        )

    def can_run(self, session: Session) -> bool:
        return self.is_staff or self.is_facilitator(session)

    def can_read(self, session: Session) -> bool:
        """Sees what those who run the session see (attendees, outcomes), changing nothing."""
        return self.is_reader or self.is_facilitator(session)

    def can_see_link(self, session: Session) -> bool:
        return self.is_accepted or self.role == Role.CUSTODIAN or self.can_run(session)

    def sees_venue_early(self, session: Session) -> bool:
        """Before disclosure: staff, custodians and the session's facilitators."""
        return self.role == Role.CUSTODIAN or self.can_run(session)

    def venue(self, session: Session, now=None) -> ShownVenue:
        return venue_for(session, sees_early=self.sees_venue_early(session),
                         sees_link=self.can_see_link(session), now=now)


def program_access(user, program: Program) -> ProgramAccess:
    if not user.is_authenticated:
        return ProgramAccess(user_id=None, role=None, is_accepted=False)
    return ProgramAccess(
        user_id=user.pk,
        role=role_in(user, program.organization_id),
        is_accepted=is_accepted_to(user, program.pk),
    )


def own_rsvp(user, session: Session) -> RSVP | None:
    if not user.is_authenticated:
        return None
    return RSVP.objects.filter(session=session, participant=user).first()


def can_read_outcomes(access: ProgramAccess, session: Session, rsvp: RSVP | None) -> bool:
    if access.can_read(session):
        return True
    if not access.is_accepted:
        return False
    if session.confidentiality == Confidentiality.OFF_RECORD:
        return rsvp is not None and rsvp.response == RSVPResponse.YES
    return True


def yes_count(session: Session) -> int:
    return RSVP.objects.filter(session=session, response=RSVPResponse.YES,
                               participant__erased_at__isnull=True).count()


def attendees_of(session: Session) -> QuerySet[RSVP]:
    """Everyone who answered, with their side (from their application) and no email; for
    a session of one group, its members only."""
    side = Application.objects.filter(
        program_id=session.program_id, applicant_id=OuterRef("participant_id")
    )
    rsvps = RSVP.objects.filter(session=session)
    if session.group_id is not None:
        rsvps = rsvps.filter(participant__group_memberships__group_id=session.group_id)
    return (
        rsvps
        .select_related("participant")
        .only("id", "session_id", "participant_id", "response", "attended",
              "ground_rules_accepted_at", "participant__id", "participant__display_name",
              "participant__erased_at")
        .annotate(side_name=Subquery(side.values("side__name")[:1]),
                  side_position=Subquery(side.values("side__position")[:1]))
        .order_by("side_position", "participant__display_name", "id")
    )


@dataclass(frozen=True)
class SideCount:
    name: str
    yes: int
    attended: int


def headcount_by_side(attendees: list[RSVP]) -> list[SideCount]:
    yes, attended, names = Counter(), Counter(), []
    for rsvp in attendees:
        name = rsvp.side_name or ""
        if name not in names:
            names.append(name)
        yes[name] += rsvp.response == RSVPResponse.YES and rsvp.participant.erased_at is None
        attended[name] += rsvp.attended is True
    return [SideCount(name=n, yes=yes[n], attended=attended[n]) for n in names]


def outcomes_of(session: Session) -> QuerySet[Outcome]:
    return Outcome.objects.filter(session=session).select_related("author").order_by(
        "created_at", "id")


def sessions_of_person(user) -> QuerySet[Session]:
    """Sessions of every program the person is accepted to (of the sessions of one group,
    only their own group's), and those they facilitate, each annotated with the person's
    own answer."""
    accepted = Application.objects.filter(
        applicant=user, program=OuterRef("program"), status=ApplicationStatus.ACCEPTED
    )
    member = Membership.objects.filter(user=user, organization=OuterRef("program__organization"))
    facilitating = Session.facilitators.through.objects.filter(
        session=OuterRef("pk"), user=user
    )
    staff = member.filter(role__in=STAFF_ROLES)
    custodian = member.filter(role=Role.CUSTODIAN)
    mine = RSVP.objects.filter(session=OuterRef("pk"), participant=user)
    in_group = GroupMember.objects.filter(group=OuterRef("group"), participant=user)
    # The rows the rule below can keep, found first through indexes: without this the
    # database checks every session of the field with each correlated EXISTS.
    candidates = (Q(program_id__in=Application.objects.filter(
        applicant=user, status=ApplicationStatus.ACCEPTED).values("program_id"))
        | Q(pk__in=Session.facilitators.through.objects.filter(user=user).values("session_id")))
    return (
        Session.objects.filter(candidates).annotate(
            is_accepted=Exists(accepted),
            is_facilitating=Exists(facilitating) & Exists(member),
            is_staff=Exists(staff), is_custodian=Exists(custodian), in_group=Exists(in_group),
            my_response=Subquery(mine.values("response")[:1]),
        )
        .filter(Q(is_accepted=True, group__isnull=True) | Q(is_accepted=True, in_group=True)
                | Q(is_facilitating=True))
        .select_related("program__organization")
        .order_by("starts_at", "id")
    )


def person_access(session: Session) -> ProgramAccess:
    """The ProgramAccess of the person a `sessions_of_person` row was read for, from its
    annotations (no query)."""
    role = (Role.OWNER if session.is_staff else Role.CUSTODIAN if session.is_custodian
            else Role.FACILITATOR if session.is_facilitating else None)
    return _PersonRowAccess(user_id=None, role=role, is_accepted=session.is_accepted)


@dataclass(frozen=True)
class _PersonRowAccess(ProgramAccess):
    def is_facilitator(self, session: Session) -> bool:
        return bool(session.is_facilitating)


def split_upcoming(sessions) -> tuple[list[Session], list[Session]]:
    now = timezone.now()
    upcoming = [s for s in sessions if s.ends_at > now]
    past = [s for s in sessions if s.ends_at <= now]
    past.reverse()
    return upcoming, past
