"""The group services' rules at their own level: each refusal's message, the limits'
boundaries, what a round and a move store, and the log rows."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict
from dialogues.groups import services as groups
from dialogues.groups import solver
from dialogues.models import DialogueGroup, GroupMember, GroupRound
from exchanges.models import ActivityLog, Application
from tests.factories import SessionFactory, UserFactory, accepted_participant, program_under_way

pytestmark = pytest.mark.django_db

SIZE = "Give a group size from 3 to 50."
LIMIT = "Give a number from 1 to 50, or nothing for no limit."


@pytest.fixture
def program(org):
    return program_under_way(org)


@pytest.fixture
def people(program):
    north, south = program.sides.all()
    return [accepted_participant(program, side=north if i % 2 else south,
                                 display_name=f"Member {i}", languages="en",
                                 institution=f"School {i}") for i in range(6)]


@pytest.mark.parametrize(("size", "limit", "errors"), [
    (2, 2, {"size": [SIZE]}),
    (51, 2, {"size": [SIZE]}),
    (True, 2, {"size": [SIZE]}),
    ("4", 2, {"size": [SIZE]}),
    (4, 0, {"max_per_institution": [LIMIT]}),
    (4, 51, {"max_per_institution": [LIMIT]}),
    (4, True, {"max_per_institution": [LIMIT]}),
    (4, "2", {"max_per_institution": [LIMIT]}),
    (1, 0, {"size": [SIZE], "max_per_institution": [LIMIT]}),
])
def test_bad_limits_are_each_named(program, people, alice, size, limit, errors):
    with pytest.raises(ValidationError) as err:
        groups.round_create(program=program, actor=alice, size=size, max_per_institution=limit)
    assert err.value.message_dict == errors
    assert not GroupRound.objects.exists()


@pytest.mark.parametrize(("size", "limit"), [(3, 1), (50, 50), (4, None)])
def test_the_limits_themselves_are_allowed(program, people, alice, size, limit):
    group_round = groups.round_create(program=program, actor=alice, size=size,
                                      max_per_institution=limit)
    assert (group_round.size, group_round.max_per_institution) == (size, limit)


def test_a_round_stores_its_settings_numbers_and_everyone_once(program, people, alice):
    first = groups.round_create(program=program, actor=alice, size=3, languages=False,
                                max_per_institution=None, rotate=True)
    second = groups.round_create(program=program, actor=alice, size=3)
    stored = GroupRound.objects.get(pk=first.pk)
    assert (stored.number, stored.size, stored.languages, stored.max_per_institution,
            stored.rotate) == (1, 3, False, None, True)
    assert (second.number, second.languages, second.max_per_institution, second.rotate) == (
        2, True, 2, False)
    assert list(DialogueGroup.objects.filter(round=first).values_list("number", flat=True)) == [
        1, 2]
    assert sorted(GroupMember.objects.filter(round=first).values_list(
        "participant_id", flat=True)) == sorted(p.pk for p in people)
    log = ActivityLog.objects.filter(verb="groups.round_created").order_by("pk").first()
    assert (log.actor, log.target_id, log.organization_id) == (
        alice, str(first.pk), program.organization_id)
    assert log.data == {"round": 1, "size": 3, "groups": 2, "participants": 6,
                        "languages": False, "max_per_institution": None, "rotate": True}


def test_the_same_round_made_again_gives_the_same_groups(program, people, alice):
    def layout(group_round):
        return [sorted(g.members.values_list("participant_id", flat=True))
                for g in group_round.groups.order_by("number")]
    first = layout(groups.round_create(program=program, actor=alice, size=3))
    GroupRound.objects.all().delete()
    assert layout(groups.round_create(program=program, actor=alice, size=3)) == first


def test_groups_need_two_accepted_participants(program, alice):
    accepted_participant(program)
    with pytest.raises(Conflict) as err:
        groups.round_create(program=program, actor=alice, size=3)
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "Groups need at least two accepted participants.")


def test_two_accepted_participants_are_enough(program, alice):
    accepted_participant(program)
    accepted_participant(program)
    assert groups.round_create(program=program, actor=alice, size=3).groups.count() == 1


def test_an_archived_program_is_read_only(program, people, alice):
    program.status = "archived"
    program.save()
    with pytest.raises(Conflict) as err:
        groups.round_create(program=program, actor=alice, size=3)
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "An archived program is read-only.")


def test_only_accepted_participants_are_placed(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    with pytest.raises(ValidationError) as err:
        groups.member_move(group=group_round.groups.first(), participant=UserFactory(),
                           actor=alice)
    assert err.value.message_dict == {"participant": [
        "Only accepted participants of this program can be placed in a group."]}


def test_a_move_stores_the_group_and_lock_and_is_logged(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one, two = group_round.groups.order_by("number")
    person = one.members.first().participant_id
    groups.member_move(group=two, participant=person, actor=alice, locked=1)
    member = GroupMember.objects.get(round=group_round, participant_id=person)
    assert (member.group_id, member.locked) == (two.pk, True)
    log = ActivityLog.objects.get(verb="groups.member_moved")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(group_round.pk), program.organization_id,
        {"participant": person, "from": one.pk, "to": two.pk, "locked": True})


def test_a_newly_accepted_person_is_placed_from_nowhere(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    newcomer = accepted_participant(program)
    group = group_round.groups.first()
    groups.member_move(group=group, participant=newcomer, actor=alice)
    member = GroupMember.objects.get(round=group_round, participant=newcomer)
    assert (member.group_id, member.locked) == (group.pk, False)
    assert ActivityLog.objects.get(verb="groups.member_moved").data["from"] is None


def test_a_repair_drops_who_left_and_is_logged(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    people[0].applications.update(status="withdrawn")
    moved = groups.round_repair(group_round=group_round, actor=alice)
    assert not GroupMember.objects.filter(round=group_round, participant=people[0]).exists()
    assert GroupMember.objects.filter(round=group_round).count() == 5
    log = ActivityLog.objects.get(verb="groups.round_repaired")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(group_round.pk), program.organization_id, {"moved": moved, "groups": 2})


# --- Repair: groups added and dissolved, sessions and locks kept ---------------------------


def test_a_repair_adds_groups_numbered_after_the_last(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    north, south = program.sides.all()
    newcomers = [accepted_participant(program, side=north if i % 2 else south, languages="en",
                                      institution=f"College {i}") for i in range(6)]

    groups.round_repair(group_round=group_round, actor=alice)

    assert list(group_round.groups.order_by("number").values_list("number", flat=True)) == [
        1, 2, 3, 4]
    assert sorted(GroupMember.objects.filter(round=group_round).values_list(
        "participant_id", flat=True)) == sorted(p.pk for p in people + newcomers)
    assert sorted(g.members.count() for g in group_round.groups.all()) == [3, 3, 3, 3]
    log = ActivityLog.objects.get(verb="groups.round_repaired")
    assert log.data["groups"] == 2  # the groups the round had before


def _withdraw_from(group, count):
    """Withdraw `count` members of `group`; returns the remaining members' ids."""
    ids = list(group.members.order_by("participant_id").values_list("participant_id", flat=True))
    Application.objects.filter(applicant_id__in=ids[:count]).update(status="withdrawn")
    return ids[count:]


def test_a_repair_dissolves_a_group_too_small_to_keep(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one, two = group_round.groups.order_by("number")
    left = _withdraw_from(one, 2)

    moved = groups.round_repair(group_round=group_round, actor=alice)

    assert list(group_round.groups.values_list("pk", flat=True)) == [two.pk]
    assert set(two.members.values_list("participant_id", flat=True)) >= set(left)
    assert GroupMember.objects.filter(round=group_round).count() == 4
    assert moved == 1  # the one left in the dissolved group


def test_a_repair_keeps_a_group_that_has_a_session(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one, two = group_round.groups.order_by("number")
    SessionFactory(program=program, group=one)
    _withdraw_from(one, 2)

    groups.round_repair(group_round=group_round, actor=alice)

    assert list(group_round.groups.values_list("pk", flat=True)) == [one.pk]
    assert one.members.count() == 4


def test_a_repair_keeps_a_locked_member_where_staff_put_them(program, people, alice):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one, two = group_round.groups.order_by("number")
    person = one.members.order_by("participant_id").first().participant_id
    groups.member_move(group=two, participant=person, actor=alice, locked=True)

    moved = groups.round_repair(group_round=group_round, actor=alice)

    member = GroupMember.objects.get(round=group_round, participant_id=person)
    assert (member.group_id, member.locked) == (two.pk, True)
    assert moved == 1
    assert sorted(g.members.count() for g in group_round.groups.all()) == [3, 3]


# --- What the search is given ---------------------------------------------------------------


@pytest.fixture
def search_calls(monkeypatch):
    """The arguments each call of the solver's make_round and repair_round got."""
    calls = []

    def spy(name):
        real = getattr(solver, name)

        def record(*args, **kwargs):
            calls.append((name, args, kwargs))
            return real(*args, **kwargs)
        monkeypatch.setattr(solver, name, record)
    spy("make_round")
    spy("repair_round")
    return calls


def test_the_search_is_seeded_by_program_and_round_within_its_time_share(
        program, people, alice, search_calls):
    groups.round_create(program=program, actor=alice, size=3)
    second = groups.round_create(program=program, actor=alice, size=3, rotate=True)
    groups.round_repair(group_round=second, actor=alice)

    (_n, made, first_make), (_n2, _a2, second_make), (_n3, args, repair) = search_calls
    assert made[1:] == (3, solver.Preferences(languages=True, max_per_institution=2))
    assert (first_make["seed"], first_make["time_limit"], first_make["met"],
            first_make["rotate"]) == (program.pk * 1000 + 1, 0.8, None, False)
    first_layout = [set(g.members.values_list("participant_id", flat=True))
                    for g in GroupRound.objects.get(number=1).groups.all()]
    met = {i: (first_layout[0] if i in first_layout[0] else first_layout[1]) - {i}
           for i in first_layout[0] | first_layout[1]}
    assert (second_make["seed"], second_make["met"], second_make["rotate"]) == (
        program.pk * 1000 + 2, met, True)
    assert (repair["seed"], repair["time_limit"], repair["met"], repair["rotate"],
            repair["keep"], repair["locked"]) == (program.pk * 1000 + 2, 0.5, met, True,
                                                  set(), [])
    assert args[2:] == (3, solver.Preferences(languages=True, max_per_institution=2))


def test_a_repair_of_a_round_without_rotation_ignores_earlier_rounds(
        program, people, alice, search_calls):
    groups.round_create(program=program, actor=alice, size=3)
    second = groups.round_create(program=program, actor=alice, size=3, languages=False,
                                 max_per_institution=None)
    one = second.groups.order_by("number").first()
    SessionFactory(program=program, group=one)
    locked = one.members.order_by("participant_id").first().participant_id
    groups.member_move(group=one, participant=locked, actor=alice, locked=True)

    groups.round_repair(group_round=second, actor=alice)

    assert search_calls[1][1][1:] == (3, solver.Preferences(languages=False,
                                                             max_per_institution=None))
    _name, args, repair = search_calls[-1]
    assert (repair["met"], repair["rotate"], repair["keep"], repair["locked"]) == (
        None, False, {0}, [locked])
    assert args[2:] == (3, solver.Preferences(languages=False, max_per_institution=None))


# --- Who is told when a group's members change -----------------------------------------------


@pytest.fixture
def replanned(monkeypatch):
    """The sessions whose reminders were planned again for a new audience."""
    from dialogues.reminders import services as reminders

    sessions = []
    monkeypatch.setattr(reminders, "session_audience_changed",
                        lambda *, session: sessions.append(session.pk))
    return sessions


def test_a_move_replans_only_upcoming_scheduled_sessions_of_both_groups(
        program, people, alice, replanned):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one, two = group_round.groups.order_by("number")
    soon = timezone.now() + timedelta(days=3)
    upcoming = [SessionFactory(program=program, group=group, starts_at=soon)
                for group in (one, two)]
    SessionFactory(program=program, group=one, starts_at=soon, status="cancelled")
    SessionFactory(program=program, group=two, starts_at=timezone.now() - timedelta(hours=3),
                   ends_at=timezone.now() - timedelta(hours=1))
    SessionFactory(program=program, starts_at=soon)  # for everyone: no group changed

    groups.member_move(group=two, participant=one.members.first().participant_id,
                       actor=alice)

    assert sorted(replanned) == [s.pk for s in upcoming]


def test_locking_someone_where_they_are_replans_nothing(program, people, alice, replanned):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one = group_round.groups.order_by("number").first()
    SessionFactory(program=program, group=one, starts_at=timezone.now() + timedelta(days=3))

    groups.member_move(group=one, participant=one.members.first().participant, actor=alice,
                       locked=True)

    assert replanned == []
    log = ActivityLog.objects.get(verb="groups.member_moved")
    assert log.data["locked"] is True and log.data["from"] == log.data["to"] == one.pk


def test_a_repair_replans_the_sessions_of_groups_whose_members_changed(
        program, people, alice, replanned):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one, two = group_round.groups.order_by("number")
    soon = timezone.now() + timedelta(days=3)
    session_one = SessionFactory(program=program, group=one, starts_at=soon)
    SessionFactory(program=program, group=two, starts_at=soon)
    _withdraw_from(one, 1)
    accepted_participant(program, side=Application.objects.filter(
        applicant_id=one.members.order_by("participant_id").first().participant_id).get().side,
        languages="en", institution="Elsewhere")

    groups.round_repair(group_round=group_round, actor=alice)

    assert replanned == [session_one.pk]


# --- One session per group -------------------------------------------------------------------


def per_group(group_round, alice, **fields):
    start = timezone.now() + timedelta(days=10)
    return groups.sessions_create_per_group(
        group_round=group_round, actor=alice, format="storytelling", starts_at=start,
        ends_at=start + timedelta(hours=2), timezone="UTC", **fields)


def test_each_groups_session_gets_the_facilitators_and_a_title_cut_to_fit(
        program, people, alice, org):
    from tests.factories import MembershipFactory

    group_round = groups.round_create(program=program, actor=alice, size=3)
    facilitator = UserFactory()
    MembershipFactory(organization=org, user=facilitator, role="facilitator")

    made = per_group(group_round, alice, title="  " + "a" * 195 + "  ",
                     facilitators=[facilitator])

    assert [s.title for s in made] == ["a" * 195 + " · Gr"] * 2
    assert all(list(s.facilitators.all()) == [facilitator] for s in made)


def test_no_title_or_a_title_of_none_leaves_the_group_names(program, people, alice):
    # Only code calls it so (the page's form requires a title): the separator stays.
    group_round = groups.round_create(program=program, actor=alice, size=3)

    assert [s.title for s in per_group(group_round, alice, title=None)] == [
        "· Group 1", "· Group 2"]
    assert [s.title for s in per_group(group_round, alice)] == ["· Group 1", "· Group 2"]


def test_a_repair_replans_a_group_that_only_lost_a_member(program, people, alice, replanned):
    group_round = groups.round_create(program=program, actor=alice, size=3)
    one, two = group_round.groups.order_by("number")
    soon = timezone.now() + timedelta(days=3)
    session_one = SessionFactory(program=program, group=one, starts_at=soon)
    SessionFactory(program=program, group=two, starts_at=soon)
    # One of the side that has two in group one leaves: the groups stay balanced.
    sides = dict(Application.objects.values_list("applicant_id", "side_id"))
    members = list(one.members.values_list("participant_id", flat=True))
    leaver = next(m for m in members if [sides[o] for o in members].count(sides[m]) == 2)
    Application.objects.filter(applicant_id=leaver).update(status="withdrawn")

    assert groups.round_repair(group_round=group_round, actor=alice) == 0
    assert replanned == [session_one.pk]


def test_a_repair_leaves_the_other_rounds_alone(program, people, alice):
    first = groups.round_create(program=program, actor=alice, size=3)
    before = set(GroupMember.objects.filter(round=first).values_list("participant_id",
                                                                     "group_id"))
    second = groups.round_create(program=program, actor=alice, size=3)
    one, two = second.groups.order_by("number")
    groups.member_move(group=two, participant=one.members.first().participant_id,
                       actor=alice, locked=True)

    assert groups.round_repair(group_round=second, actor=alice) == 1
    assert set(GroupMember.objects.filter(round=first).values_list("participant_id",
                                                                   "group_id")) == before


def test_a_move_changes_only_the_rounds_own_membership(program, people, alice):
    first = groups.round_create(program=program, actor=alice, size=3)
    before = set(GroupMember.objects.filter(round=first).values_list("participant_id",
                                                                     "group_id", "locked"))
    second = groups.round_create(program=program, actor=alice, size=3)
    one, two = second.groups.order_by("number")
    person = one.members.first().participant_id

    groups.member_move(group=two, participant=person, actor=alice, locked=True)

    assert set(GroupMember.objects.filter(round=first).values_list(
        "participant_id", "group_id", "locked")) == before
    assert GroupMember.objects.get(round=second, participant_id=person).group == two
    assert GroupMember.objects.filter(participant_id=person).count() == 2
