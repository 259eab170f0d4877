"""Sessions' read rules, one by one: access, outcomes, attendees, a person's sessions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from dialogues import selectors
from tests.factories import (
    OutcomeFactory,
    ProgramFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


def pks(items):
    return [item.pk for item in items]


@pytest.fixture
def session(program, facilitator):
    session = SessionFactory(program=program)
    session.facilitators.add(facilitator)
    return session


def access(user, session):
    return selectors.program_access(user, session.program)


# --- Access ---------------------------------------------------------------------------------


def test_what_each_person_is_to_a_program(session, alice, facilitator, participant, bob):
    cases = {  # who: (staff, accepted, runs the session, sees the link)
        "owner": (alice, True, False, True, True),
        "facilitator": (facilitator, False, False, True, True),
        "participant": (participant, False, True, False, True),
        "outsider": (bob, False, False, False, False),
    }
    for who, (user, staff, accepted, runs, link) in cases.items():
        seen = access(user, session)
        assert (seen.user_id, seen.is_staff, seen.is_accepted) == (user.pk, staff, accepted), who
        assert (seen.can_run(session), seen.can_see_link(session)) == (runs, link), who
    nobody = access(ANONYMOUS, session)
    assert (nobody.user_id, nobody.is_staff, nobody.is_accepted) == (None, False, False)
    assert not nobody.can_see_link(session)


def test_facilitating_one_session_is_not_running_another(program, session, facilitator):
    other = SessionFactory(program=program)
    seen = access(facilitator, session)
    assert seen.is_facilitator(session)
    assert not seen.is_facilitator(other)
    assert not seen.can_run(other)


def test_off_record_outcomes_are_read_by_those_who_said_yes(program, session, participant,
                                                            facilitator, bob):
    session.confidentiality = "off_record"
    maybe = accepted_participant(program)
    RSVPFactory(session=session, participant=participant, response="yes")
    RSVPFactory(session=session, participant=maybe, response="no")
    assert selectors.can_read_outcomes(
        access(participant, session), session, selectors.own_rsvp(participant, session))
    assert not selectors.can_read_outcomes(
        access(maybe, session), session, selectors.own_rsvp(maybe, session))
    assert not selectors.can_read_outcomes(access(bob, session), session, None)
    assert selectors.can_read_outcomes(access(facilitator, session), session, None)
    session.confidentiality = "open"
    assert selectors.can_read_outcomes(access(maybe, session), session, None)
    assert not selectors.can_read_outcomes(access(bob, session), session, None)


def test_own_rsvp_is_the_callers_only(session, participant, bob):
    mine = RSVPFactory(session=session, participant=participant)
    RSVPFactory(session=session, participant=bob)
    assert selectors.own_rsvp(participant, session) == mine
    assert selectors.own_rsvp(ANONYMOUS, session) is None
    assert selectors.own_rsvp(UserFactory(), session) is None


# --- Visibility -----------------------------------------------------------------------------


def test_sessions_visible_to_follow_their_programs(org, session, facilitator):
    draft = SessionFactory(program=ProgramFactory(organization=org, status="draft"))
    foreign_draft = SessionFactory(program=ProgramFactory(status="draft"))
    assert set(pks(selectors.sessions_visible_to(ANONYMOUS))) == {session.pk}
    # v1.1: a facilitator sees a draft's sessions only when assigned to them.
    assert set(pks(selectors.sessions_visible_to(facilitator))) == {session.pk}
    draft.facilitators.add(facilitator)
    others = SessionFactory(program=draft.program)  # someone else's, of the same draft
    assert set(pks(selectors.sessions_visible_to(facilitator))) == {session.pk, draft.pk}
    others.delete()
    assert foreign_draft.pk not in pks(selectors.sessions_visible_to(facilitator))
    assert pks(selectors.sessions_of_program(draft.program)) == [draft.pk]


# --- Attendees and outcomes -----------------------------------------------------------------


def test_attendees_by_side_then_name_and_the_headcount(program, session):
    greek, turkish = program.sides.all()
    zeynep = accepted_participant(program, side=turkish, display_name="Zeynep")
    ali = accepted_participant(program, side=turkish, display_name="Ali")
    petros = accepted_participant(program, side=greek, display_name="Petros")
    RSVPFactory(session=session, participant=zeynep, response="yes", attended=True)
    RSVPFactory(session=session, participant=ali, response="no", attended=None)
    RSVPFactory(session=session, participant=petros, response="yes", attended=False)
    attendees = list(selectors.attendees_of(session))
    assert [(r.participant.display_name, r.side_name) for r in attendees] == [
        ("Petros", greek.name), ("Ali", turkish.name), ("Zeynep", turkish.name)]
    assert selectors.headcount_by_side(attendees) == [
        selectors.SideCount(name=greek.name, yes=1, attended=0),
        selectors.SideCount(name=turkish.name, yes=1, attended=1),
    ]
    assert selectors.yes_count(session) == 2


def test_someone_without_an_application_counts_under_no_side(session):
    # An application to another program gives no side here; another session's answers
    # are not counted.
    elsewhere = SessionFactory()
    person = accepted_participant(elsewhere.program)
    RSVPFactory(session=session, participant=person, response="yes", attended=True)
    RSVPFactory(session=elsewhere, participant=person, response="yes")
    assert selectors.headcount_by_side(list(selectors.attendees_of(session))) == [
        selectors.SideCount(name="", yes=1, attended=1)]
    assert selectors.yes_count(session) == 1


def test_outcomes_in_the_order_they_were_written(session):
    later = OutcomeFactory(session=session)
    earlier = OutcomeFactory(session=session)
    earlier.created_at = later.created_at - timedelta(minutes=5)
    earlier.save()
    OutcomeFactory()
    assert pks(selectors.outcomes_of(session)) == [earlier.pk, later.pk]


# --- A person's sessions --------------------------------------------------------------------


def test_a_persons_sessions_are_those_accepted_to_or_facilitated(org, program, session,
                                                                  participant, facilitator):
    first = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=1))
    other_program = ProgramFactory(organization=org)
    facilitated = SessionFactory(program=other_program)
    facilitated.facilitators.add(facilitator)
    SessionFactory()
    RSVPFactory(session=session, participant=participant, response="no")
    mine = list(selectors.sessions_of_person(participant))
    assert pks(mine) == [first.pk, session.pk]
    assert [s.my_response for s in mine] == [None, "no"]
    assert [(s.is_accepted, s.is_facilitating, s.is_staff) for s in mine] == [
        (True, False, False)] * 2
    theirs = list(selectors.sessions_of_person(facilitator))
    assert set(pks(theirs)) == {session.pk, facilitated.pk}
    assert all(s.is_facilitating and not s.is_staff for s in theirs)


def test_staff_flag_marks_the_organizations_owners(org, program, alice):
    session = SessionFactory(program=program)
    session.facilitators.add(alice)
    [mine] = selectors.sessions_of_person(alice)
    assert (mine.pk, mine.is_staff) == (session.pk, True)


def test_split_upcoming_keeps_running_sessions_upcoming_and_past_newest_first(program):
    now = timezone.now()
    ended = [SessionFactory(program=program, starts_at=now - timedelta(days=d),
                            ends_at=now - timedelta(days=d) + timedelta(hours=1))
             for d in (3, 2)]
    running = SessionFactory(program=program, starts_at=now - timedelta(hours=1),
                             ends_at=now + timedelta(hours=1))
    upcoming, past = selectors.split_upcoming([*ended, running])
    assert pks(upcoming) == [running.pk]
    assert pks(past) == [ended[1].pk, ended[0].pk]
