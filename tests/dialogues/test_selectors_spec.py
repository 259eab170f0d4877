"""Sessions' read rules, one by one: access, outcomes, attendees, a person's sessions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from dialogues import selectors
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OutcomeFactory,
    ProgramFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
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


def test_own_rsvp_is_the_callers_only(program, session, participant, bob):
    RSVPFactory(session=session, participant=participant)  # an earlier session's answer
    later = SessionFactory(program=program)
    mine = RSVPFactory(session=later, participant=participant)
    RSVPFactory(session=later, participant=bob)
    assert selectors.own_rsvp(participant, later) == mine
    assert selectors.own_rsvp(ANONYMOUS, later) is None
    assert selectors.own_rsvp(UserFactory(), later) is None


# --- Visibility -----------------------------------------------------------------------------


def test_sessions_visible_to_follow_their_programs(org, session, facilitator):
    draft = SessionFactory(program=ProgramFactory(organization=org, status="draft"))
    foreign_draft = SessionFactory(program=ProgramFactory(status="draft"))
    assert set(pks(selectors.sessions_visible_to(ANONYMOUS))) == {session.pk}
    # v1.1: a facilitator sees a draft's sessions only when assigned to them.
    assert set(pks(selectors.sessions_visible_to(facilitator))) == {session.pk}
    draft.facilitators.add(facilitator)
    others = SessionFactory(program=draft.program)  # someone else's, of the same draft
    others.facilitators.add(UserFactory())
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


# --- Roles beyond staff ---------------------------------------------------------------------


@pytest.fixture
def custodian(org):
    user = UserFactory(display_name="Kustos")
    MembershipFactory(organization=org, user=user, role="custodian")
    return user


def test_a_custodian_reads_and_sees_the_venue_but_runs_nothing(session, custodian):
    seen = access(custodian, session)
    assert (seen.role, seen.is_staff, seen.is_reader, seen.is_member) == (
        "custodian", False, True, True)
    assert not seen.can_run(session)
    assert seen.can_read(session)
    assert seen.can_see_link(session)
    assert seen.sees_venue_early(session)


def test_only_staff_custodians_and_the_sessions_facilitators_see_the_venue_early(
        program, session, alice, facilitator, participant, bob):
    other = SessionFactory(program=program)
    assert access(alice, session).sees_venue_early(other)
    assert access(facilitator, session).sees_venue_early(session)
    assert not access(facilitator, session).sees_venue_early(other)
    assert not access(participant, session).sees_venue_early(session)
    assert not access(bob, session).sees_venue_early(session)


def test_the_venue_is_judged_at_the_time_given(program, session, participant, alice):
    program.venue_disclosure_hours = 24
    program.save()
    session.location = "Ledra Palace"
    seen = access(participant, session)
    before = session.starts_at - timedelta(hours=25)
    after = session.starts_at - timedelta(hours=23)
    assert (seen.venue(session, now=before).withheld,
            seen.venue(session, now=before).location) == (True, None)
    assert (seen.venue(session, now=after).withheld,
            seen.venue(session, now=after).location) == (False, "Ledra Palace")
    staff = access(alice, session).venue(session, now=before)
    assert (staff.withheld, staff.location) == (False, "Ledra Palace")


def test_a_facilitator_who_left_the_organization_runs_nothing(session, facilitator):
    facilitator.memberships.all().delete()
    seen = access(facilitator, session)
    assert (seen.role, seen.is_member) == (None, False)
    assert not seen.is_facilitator(session)
    assert not seen.can_run(session)
    assert not seen.can_read(session)
    assert facilitator.pk in pks(session.facilitators.all())  # the assignment is still there


def test_a_member_who_facilitates_nothing_reads_no_attendees(session, org):
    colleague = UserFactory()
    MembershipFactory(organization=org, user=colleague, role="facilitator")
    seen = access(colleague, session)
    assert (seen.is_member, seen.is_staff, seen.is_reader) == (True, False, False)
    assert not seen.can_read(session)
    assert not seen.can_see_link(session)


# --- Counting who comes ---------------------------------------------------------------------


def test_an_erased_persons_yes_is_not_counted(program, session):
    kept = accepted_participant(program, display_name="Kept")
    erased = accepted_participant(program, display_name="Erased")
    erased.erased_at = timezone.now()
    erased.save()
    RSVPFactory(session=session, participant=kept, response="yes", attended=True)
    RSVPFactory(session=session, participant=erased, response="yes", attended=True)
    assert selectors.yes_count(session) == 1
    [side] = program.sides.filter(position=0)
    assert selectors.headcount_by_side(list(selectors.attendees_of(session))) == [
        selectors.SideCount(name=side.name, yes=1, attended=2)]


def test_a_group_sessions_attendees_are_its_members_only(program, session):
    from dialogues.models import DialogueGroup, GroupMember, GroupRound

    member, stranger = (accepted_participant(program, display_name=n) for n in ("M", "S"))
    round_ = GroupRound.objects.create(program=program, number=1, size=4)
    group = DialogueGroup.objects.create(round=round_, number=1)
    GroupMember.objects.create(round=round_, group=group, participant=member)
    session.group = group
    session.save()
    mine = RSVPFactory(session=session, participant=member)
    RSVPFactory(session=session, participant=stranger)
    assert pks(selectors.attendees_of(session)) == [mine.pk]


# --- A person's sessions, further -----------------------------------------------------------


def test_a_persons_group_sessions_are_their_own_groups_only(program, participant):
    from dialogues.models import DialogueGroup, GroupMember, GroupRound

    round_ = GroupRound.objects.create(program=program, number=1, size=4)
    mine, theirs = (DialogueGroup.objects.create(round=round_, number=n) for n in (1, 2))
    GroupMember.objects.create(round=round_, group=mine, participant=participant)
    GroupMember.objects.create(round=round_, group=theirs,
                               participant=accepted_participant(program))
    own = SessionFactory(program=program, group=mine)
    SessionFactory(program=program, group=theirs)
    assert pks(selectors.sessions_of_person(participant)) == [own.pk]


def test_a_person_sees_no_session_of_a_program_not_accepted_to(program, session):
    pending = ApplicationFactory(program=program, side=program.sides.first()).applicant
    assert pks(selectors.sessions_of_person(pending)) == []


def test_a_facilitator_who_left_no_longer_lists_the_session(session, facilitator):
    facilitator.memberships.all().delete()
    assert pks(selectors.sessions_of_person(facilitator)) == []


def test_a_persons_row_gives_their_access_without_a_query(
        org, program, session, alice, facilitator, participant, custodian,
        django_assert_num_queries):
    session.facilitators.add(alice, custodian)
    rows = {user: selectors.sessions_of_person(user).get(pk=session.pk)
            for user in (alice, facilitator, participant, custodian)}
    with django_assert_num_queries(0):
        seen = {user: selectors.person_access(row) for user, row in rows.items()}
        assert (seen[alice].role, seen[alice].is_staff) == ("owner", True)
        assert (seen[custodian].role, seen[custodian].is_reader,
                seen[custodian].is_staff) == ("custodian", True, False)
        assert seen[facilitator].role == "facilitator"
        assert seen[facilitator].can_run(rows[facilitator])
        assert seen[participant].role is None
        assert (seen[participant].is_accepted, seen[participant].can_run(rows[participant])
                ) == (True, False)
        assert seen[participant].can_see_link(rows[participant])
    assert (rows[custodian].is_custodian, rows[alice].is_custodian) == (True, False)


def test_a_session_ending_exactly_now_is_past(program, monkeypatch):
    now = timezone.now()
    ended = SessionFactory(program=program, starts_at=now - timedelta(hours=1), ends_at=now)
    monkeypatch.setattr(selectors.timezone, "now", lambda: now)
    assert selectors.split_upcoming([ended]) == ([], [ended])


def test_a_persons_answer_is_their_own(program, session, participant):
    RSVPFactory(session=session, participant=accepted_participant(program), response="yes")
    [row] = selectors.sessions_of_person(participant)
    assert row.my_response is None


def test_a_facilitator_lists_only_the_sessions_assigned_to_them(program, session, facilitator,
                                                                alice):
    someone_elses = SessionFactory(program=program)
    someone_elses.facilitators.add(alice)
    assert pks(selectors.sessions_of_person(facilitator)) == [session.pk]


def test_roles_in_another_organization_count_for_nothing(program, session, facilitator,
                                                         other_org, charlie):
    # The facilitator left this organization but belongs to another; the other
    # organization's owner is accepted here as a participant.
    facilitator.memberships.all().delete()
    MembershipFactory(organization=other_org, user=facilitator, role="facilitator")
    assert pks(selectors.sessions_of_person(facilitator)) == []
    ApplicationFactory(program=program, side=program.sides.first(), applicant=charlie,
                       status="accepted")
    [row] = selectors.sessions_of_person(charlie)
    assert (row.pk, row.is_accepted, row.is_staff, row.is_custodian, row.is_facilitating) == (
        session.pk, True, False, False, False)


def test_a_group_member_no_longer_accepted_lists_no_group_session(program, participant):
    from dialogues.models import DialogueGroup, GroupMember, GroupRound

    round_ = GroupRound.objects.create(program=program, number=1, size=4)
    group = DialogueGroup.objects.create(round=round_, number=1)
    GroupMember.objects.create(round=round_, group=group, participant=participant)
    SessionFactory(program=program, group=group)
    participant.applications.update(status="withdrawn")
    assert pks(selectors.sessions_of_person(participant)) == []


def test_attendees_are_read_in_one_query_with_all_they_show(program, session,
                                                           django_assert_num_queries):
    for name in ("Ali", "Petros", "Zeynep"):
        RSVPFactory(session=session, participant=accepted_participant(program, display_name=name),
                    response="yes", attended=True, ground_rules_accepted_at=timezone.now())
    with django_assert_num_queries(1):
        shown = [(r.pk, r.session_id, r.participant_id, r.response, r.attended,
                  r.ground_rules_accepted_at is not None, r.participant.pk,
                  r.participant.display_name, r.participant.erased_at, r.side_name)
                 for r in selectors.attendees_of(session)]
    assert [row[7] for row in shown] == ["Ali", "Petros", "Zeynep"]
    assert all(row[1] == session.pk and row[3:6] == ("yes", True, True) for row in shown)


def test_outcomes_are_read_with_their_authors_in_one_query(session, facilitator,
                                                           django_assert_num_queries):
    for _ in range(3):
        OutcomeFactory(session=session, author=facilitator)
    with django_assert_num_queries(1):
        authors = [outcome.author.display_name for outcome in selectors.outcomes_of(session)]
    assert authors == ["Fatma"] * 3


def test_visible_sessions_are_read_with_program_group_and_facilitators_in_two_queries(
        program, facilitator, django_assert_num_queries):
    from dialogues.models import DialogueGroup, GroupRound

    round_ = GroupRound.objects.create(program=program, number=1, size=4)
    for number in (1, 2, 3):
        group = DialogueGroup.objects.create(round=round_, number=number)
        SessionFactory(program=program, group=group).facilitators.add(facilitator)
    with django_assert_num_queries(2):  # the sessions, then their facilitators
        shown = [(s.program.organization.name, s.group.round.number,
                  [f.display_name for f in s.facilitators.all()])
                 for s in selectors.sessions_visible_to(ANONYMOUS)]
    assert [row[1:] for row in shown] == [(1, ["Fatma"])] * 3


def test_a_sessions_facilitators_are_read_with_their_display_name_only(session):
    # Session lists reach everyone: their facilitators' other fields (email…) are not read.
    [session] = selectors.sessions_visible_to(ANONYMOUS)
    [facilitator] = session.facilitators.all()
    assert facilitator.display_name == "Fatma"
    assert {"email", "legal_name", "password"} <= facilitator.get_deferred_fields()


def test_each_row_says_what_the_person_is_to_that_session(org, program, session, facilitator,
                                                          participant):
    # The facilitator of `session` is also accepted to another program of the
    # organization and has only applied to this one; the participant accepted here
    # runs a session of the other program. Each row tells only its own session's story.
    other = program_with_sides(organization=org)
    other_session = SessionFactory(program=other)
    other_session.facilitators.add(participant)
    MembershipFactory(organization=org, user=participant, role="facilitator")
    ApplicationFactory(program=other, side=other.sides.first(), applicant=facilitator,
                       status="accepted")
    ApplicationFactory(program=program, side=program.sides.first(), applicant=facilitator)

    rows = {row.pk: row for row in selectors.sessions_of_person(facilitator)}
    assert set(rows) == {session.pk, other_session.pk}
    assert (rows[session.pk].is_accepted, rows[session.pk].is_facilitating) == (False, True)
    assert (rows[other_session.pk].is_accepted,
            rows[other_session.pk].is_facilitating) == (True, False)

    rows = {row.pk: row for row in selectors.sessions_of_person(participant)}
    assert (rows[session.pk].is_accepted, rows[session.pk].is_facilitating) == (True, False)
    assert (rows[other_session.pk].is_accepted,
            rows[other_session.pk].is_facilitating) == (False, True)
