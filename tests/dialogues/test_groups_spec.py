"""The group services' rules at their own level: each refusal's message, the limits'
boundaries, what a round and a move store, and the log rows."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict
from dialogues.groups import services as groups
from dialogues.models import DialogueGroup, GroupMember, GroupRound
from exchanges.models import ActivityLog
from tests.factories import UserFactory, accepted_participant, program_with_sides

pytestmark = pytest.mark.django_db

SIZE = "Give a group size from 3 to 50."
LIMIT = "Give a number from 1 to 50, or nothing for no limit."


@pytest.fixture
def program(org):
    today = timezone.localdate()
    return program_with_sides("North", "South", organization=org, capacity=40,
                              starts_on=today - timedelta(days=30),
                              ends_on=today + timedelta(days=60))


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
