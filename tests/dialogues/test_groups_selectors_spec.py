"""The group reads at their own level: who counts as accepted, which rounds and groups a
program has, what a participant sees of a round, and every rule check worded for staff.

Rounds are laid out by hand here (no search), so each test knows who sits where."""


import pytest
from django.contrib.auth.models import AnonymousUser

from dialogues.groups import selectors, solver
from dialogues.models import DialogueGroup, GroupMember, GroupRound
from tests.factories import (
    ApplicationFactory,
    UserFactory,
    accepted_participant,
    program_under_way,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return program_under_way(org)


@pytest.fixture
def sides(program):
    return list(program.sides.all())


def person(program, side, name, *, languages="en", institution="", status="accepted"):
    return ApplicationFactory(program=program, side=side, status=status, applicant=UserFactory(
        display_name=name, languages=languages, institution=institution)).applicant


def lay_out(program, groups, *, number=1, size=3, languages=True, limit=2, rotate=False,
            locked=()):
    """A round whose groups hold exactly `groups` (lists of users), in that order."""
    group_round = GroupRound.objects.create(program=program, number=number, size=size,
                                            languages=languages, max_per_institution=limit,
                                            rotate=rotate)
    for k, users in enumerate(groups, 1):
        group = DialogueGroup.objects.create(round=group_round, number=k)
        for user in users:
            GroupMember.objects.create(round=group_round, group=group, participant=user,
                                       locked=user in locked)
    return group_round


def six(program, sides, **fields):
    """Six accepted people, alternately North and South, named A to F."""
    return [person(program, sides[i % 2], "ABCDEF"[i], **fields) for i in range(6)]


# --- People -----------------------------------------------------------------------------------


def test_program_people_knows_everyone_who_applied_and_who_is_accepted(program, sides, org):
    north, south = sides
    accepted = person(program, north, "A", languages="EN; el ", institution="  Old   School ")
    waiting = person(program, south, "B", languages="", institution="old school",
                     status="pending")
    accepted_participant(program_with_sides(organization=org))

    people = selectors.program_people(program)

    assert people.sides == {north.pk: "North", south.pk: "South"}
    assert people.side_of == {accepted.pk: north.pk, waiting.pk: south.pk}
    assert people.accepted == {accepted.pk}
    assert people.persons[accepted.pk] == solver.Person(
        id=accepted.pk, side=north.pk, languages=frozenset({"en", "el"}),
        institution="old school")
    assert people.persons[waiting.pk].languages == frozenset()
    assert people.institution_label == {"old school": "Old School"}  # the first spelling
    assert people.accepted_persons() == [people.persons[accepted.pk]]


def test_accepted_persons_come_in_id_order(program, sides):
    users = six(program, sides)

    assert [p.id for p in selectors.program_people(program).accepted_persons()] == sorted(
        u.pk for u in users)


def test_institutions_are_not_even_labelled_under_identity_protection(program, sides, org):
    org.identity_protection = True
    org.save()
    person(program, sides[0], "A", institution="Lycée")

    assert selectors.program_people(program).institution_label == {}


def test_accepted_count_counts_this_programs_accepted_only(program, sides, org):
    six(program, sides)
    person(program, sides[0], "Waiting", status="pending")
    accepted_participant(program_with_sides(organization=org))

    assert selectors.accepted_count(program) == 6


# --- Rounds and groups ----------------------------------------------------------------------


def test_rounds_and_groups_are_read_per_program_in_number_order(program, sides, org,
                                                               django_assert_num_queries):
    users = six(program, sides)
    second = lay_out(program, [users[:3], users[3:]], number=2)
    first = lay_out(program, [users], number=1)
    other = program_with_sides(organization=org)
    elsewhere = lay_out(other, [six(other, list(other.sides.all()))], number=1)

    assert list(selectors.rounds_of(program)) == [first, second]
    assert selectors.round_of(program, 2) == second
    assert selectors.round_of(other, 1) == elsewhere
    assert selectors.round_of(program, 3) is None
    with django_assert_num_queries(1):
        assert [(g.round.number, g.number) for g in selectors.groups_of_program(program)] == [
            (1, 1), (2, 1), (2, 2)]
    group = second.groups.get(number=2)
    assert selectors.group_of_program(program.pk, group.pk) == group
    assert selectors.group_of_program(other.pk, group.pk) is None


def test_membership_of_a_group(program, sides):
    users = six(program, sides)
    one, two = lay_out(program, [users[:3], users[3:]]).groups.order_by("number")

    assert selectors.member_ids(one.pk) == {u.pk for u in users[:3]}
    assert selectors.is_in_group(users[0], one.pk) is True
    assert selectors.is_in_group(users[0], two.pk) is False
    assert selectors.is_in_group(AnonymousUser(), one.pk) is False


def test_assignments_are_the_earlier_rounds_groups_in_order(program, sides, org):
    a, b, c, d, e, f = six(program, sides)
    lay_out(program, [[a, b, c], [d, e, f]], number=1)
    lay_out(program, [[f, a, d], [c, b, e]], number=2)
    lay_out(program, [[a, b, c, d, e, f]], number=3)
    other = program_with_sides(organization=org)
    lay_out(other, [six(other, list(other.sides.all()))], number=1)

    assert selectors.assignments(program, before=3) == {
        1: [[a.pk, b.pk, c.pk], [d.pk, e.pk, f.pk]], 2: [[f.pk, a.pk, d.pk], [c.pk, b.pk, e.pk]]}
    assert list(selectors.assignments(program)) == [1, 2, 3]
    assert selectors.met_before(program, 2) == {
        a.pk: {b.pk, c.pk}, b.pk: {a.pk, c.pk}, c.pk: {a.pk, b.pk},
        d.pk: {e.pk, f.pk}, e.pk: {d.pk, f.pk}, f.pk: {d.pk, e.pk}}


# --- A round as people see it ---------------------------------------------------------------


def test_a_round_lists_its_groups_members_by_name_with_side_and_lock(program, sides):
    north, south = sides
    a, b, c, d, e, f = six(program, sides, institution="School")
    group_round = lay_out(program, [[f, e, d], [c, b, a]], size=3, languages=False, limit=None,
                          rotate=True, locked=[e])

    [view] = selectors.program_rounds(program)

    assert (view.id, view.number, view.created_at, view.size, view.rotate, view.stats) == (
        group_round.pk, 1, group_round.created_at, 3, True, None)
    assert view.preferences == solver.Preferences(languages=False, max_per_institution=None)
    assert [(g.number, g.name) for g in view.groups] == [(1, "Group 1"), (2, "Group 2")]
    members = view.groups[0].members
    assert [m.display_name for m in members] == ["D", "E", "F"]
    assert members[1] == selectors.Member(
        participant_id=e.pk, display_name="E", side_id=north.pk, side_name="North",
        locked=True, accepted=True, languages="en", institution="School")
    assert [m.side_name for m in members] == ["South", "North", "South"]
    assert not view.needs_repair


def test_a_participant_sees_only_their_groups_without_those_who_hid(program, sides):
    a, b, c, d, e, f = six(program, sides)
    b.hidden_from_participants = True
    b.save()
    lay_out(program, [[a, b, c], [d, e, f]], number=1)
    lay_out(program, [[a, b, c, d, e]], number=2)
    lay_out(program, [[d, e, f, a, b, c]], number=3)

    seen = selectors.program_rounds(program, viewer_id=f.pk)
    hidden = selectors.program_rounds(program, viewer_id=b.pk)

    assert [(r.number, [g.number for g in r.groups]) for r in seen] == [(1, [2]), (3, [1])]
    assert [m.display_name for m in seen[1].groups[0].members] == ["A", "C", "D", "E", "F"]
    assert [m.display_name for m in hidden[0].groups[0].members] == ["A", "B", "C"]
    assert [r.number for r in selectors.program_rounds(program, only=2)] == [2]
    assert [len(r.groups) for r in selectors.program_rounds(program)] == [2, 1, 1]


def test_a_program_without_rounds_costs_one_query(program, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.program_rounds(program, with_stats=True) == []


def test_staff_stats_count_pairs_against_earlier_rounds_only(program, sides):
    a, b, c, d, e, f = six(program, sides)  # a, c, e North; b, d, f South
    lay_out(program, [[a, b, c], [d, e, f]], number=1)
    lay_out(program, [[a, d, e], [b, c, f]], number=2)
    lay_out(program, [[a, d, e], [b, c, f]], number=3)

    first, second, third = selectors.program_rounds(program, with_stats=True)

    assert (first.stats.new_cross_side_pairs, first.stats.repeated_pairs) == (4, 0)
    # Round 2: a-d and c-f are new across sides, d-e and b-c met in round 1, a-e and b-f
    # are new but of one side.
    assert (second.stats.new_cross_side_pairs, second.stats.repeated_pairs) == (2, 2)
    assert (third.stats.new_cross_side_pairs, third.stats.repeated_pairs) == (0, 6)
    assert (third.stats.groups, third.stats.participants, third.stats.violations,
            third.stats.moved) == (2, 6, [], None)
    assert [g.side_counts for g in third.groups] == [[("North", 2), ("South", 1)],
                                                    [("North", 1), ("South", 2)]]
    [only_third] = selectors.program_rounds(program, with_stats=True, only=3)
    assert (only_third.stats.new_cross_side_pairs, only_third.stats.repeated_pairs) == (0, 6)


def test_staff_see_who_left_and_how_many_wait_for_a_group(program, sides):
    a, b, c, d, e, f = six(program, sides)
    lay_out(program, [[a, b, c], [d, e, f]])
    d.applications.update(status="withdrawn")
    newcomers = [accepted_participant(program, side=sides[1]) for _ in range(2)]

    [view] = selectors.program_rounds(program, with_stats=True)

    assert [m.participant_id for m in view.departed] == [d.pk]
    assert view.departed[0].accepted is False
    assert view.unplaced == len(newcomers)
    assert view.needs_repair
    assert view.stats.participants == 6
    [bare] = selectors.program_rounds(program)
    assert (bare.departed, bare.unplaced) == ([], 0)


def test_a_round_with_only_people_who_left_needs_repair(program, sides):
    a, b, c, d, e, f = six(program, sides)
    lay_out(program, [[a, b, c], [d, e, f]])
    a.applications.update(status="withdrawn")

    [view] = selectors.program_rounds(program, with_stats=True)

    assert (view.unplaced, view.needs_repair) == (0, True)


def test_someone_in_a_group_who_never_applied_is_listed_but_not_checked(program, sides):
    users = six(program, sides)
    stranger = UserFactory(display_name="Z")
    lay_out(program, [users[:3], [*users[3:], stranger]])

    [view] = selectors.program_rounds(program, with_stats=True)

    assert view.groups[1].members[-1].side_name == ""
    assert view.stats.participants == 6
    assert view.stats.violations == []


# --- Every rule check, worded ---------------------------------------------------------------


def details(program, *, number=1):
    [view] = selectors.program_rounds(program, with_stats=True, only=number)
    return [(i.group_name, i.rule, i.rule_label, i.detail) for i in view.stats.violations]


def test_a_round_with_too_few_groups_says_how_many_it_should_have(program, sides):
    lay_out(program, [six(program, sides)], size=3)

    assert details(program) == [("", "size", "Size", (
        "The round has 1 groups; its participants make 2 groups of about 3."))]
    [view] = selectors.program_rounds(program, with_stats=True)
    assert view.stats.violations[0].group is None
    assert view.groups[0].issues == []


def test_a_group_of_the_wrong_size_or_balance_says_by_how_much(program, sides):
    a, b, c, d, e, f = six(program, sides)  # a, c, e North
    one, two = lay_out(program, [[a, c, e, b], [d, f]]).groups.order_by("number")

    assert details(program) == [
        ("Group 1", "size", "Size", "4 members; every group of this round should have 3."),
        ("Group 1", "side", "Balance of sides", "3 from North; every group should have 1–2."),
        ("Group 2", "size", "Size", "2 members; every group of this round should have 3."),
        ("Group 2", "side", "Balance of sides", "0 from North; every group should have 1–2."),
    ]
    [view] = selectors.program_rounds(program, with_stats=True)
    assert [[i.group for i in g.issues] for g in view.groups] == [[one.pk] * 2, [two.pk] * 2]


def test_a_size_range_is_written_once_when_sizes_are_equal(program, sides):
    users = six(program, sides) + [person(program, sides[0], "G")]
    lay_out(program, [users[:5], users[5:]], size=3)

    assert details(program)[0] == (
        "Group 1", "size", "Size", "5 members; every group of this round should have 3–4.")


def test_a_group_without_a_shared_language_names_the_closest(program, sides):
    a, b, c, d, e, f = [person(program, sides[i % 2], "ABCDEF"[i], languages=lang)
                        for i, lang in enumerate(["en, el", "el", "en", "tr", "", "tr, en"])]
    lay_out(program, [[a, b, c], [d, e, f]], limit=None)

    assert [d[3] for d in details(program)] == [
        "No language that every member speaks; el is spoken by 2 of 3.",
        "No language that every member speaks; tr is spoken by 2 of 3."]


def test_a_group_where_no_one_lists_a_language_says_so(program, sides):
    lay_out(program, [six(program, sides, languages="")], size=6)

    assert details(program) == [("Group 1", "language", "Language", (
        "No language that every member speaks: no member lists a language."))]


def test_too_many_from_one_institution_names_it_as_someone_wrote_it(program, sides, org):
    north, south = sides
    users = [person(program, north if i % 2 else south, "ABCDEF"[i],
                    institution="Lycée  de Nicosie" if i < 3 else "lycée de nicosie")
             for i in range(6)]
    lay_out(program, [users], size=6, limit=4)

    assert details(program) == [("Group 1", "institution", "Institution",
                                 "6 members from Lycée de Nicosie; at most 4.")]
    org.identity_protection = True
    org.save()
    assert details(program)[0][3] == "6 members from one institution; at most 4."


def test_groups_are_listed_by_number_whatever_order_they_were_stored_in(program, sides):
    users = six(program, sides)
    group_round = GroupRound.objects.create(program=program, number=1, size=3)
    for number, members in ((2, users[3:]), (1, users[:3])):
        group = DialogueGroup.objects.create(round=group_round, number=number)
        for user in members:
            GroupMember.objects.create(round=group_round, group=group, participant=user)

    [view] = selectors.program_rounds(program)

    assert [g.number for g in view.groups] == [1, 2]
    assert [g.number for g in selectors.groups_of_program(program)] == [1, 2]
