"""The group solver, as pure functions: the hard rule, the preferences' report, rotation
and repair (API.md "Groups"). Every rule is re-checked here from its definition, not
with the solver's own checker."""

import itertools
import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogues.groups import solver
from dialogues.groups.solver import Person, Preferences

LANGUAGES = ["en", "el", "tr", "ar", "he"]
INSTITUTIONS = ["", "St George", "st  george", "Lycée", "Club A", "club a", "Uni"]


@st.composite
def programs(draw, min_people=2, max_people=120):
    """Random programs: 2–5 sides of uneven sizes, random languages and institutions."""
    n_sides = draw(st.integers(2, 5))
    n = draw(st.integers(max(min_people, n_sides), max_people))
    sides = draw(st.lists(st.integers(0, n_sides - 1), min_size=n, max_size=n))
    people = []
    for i, side in enumerate(sides):
        languages = draw(st.frozensets(st.sampled_from(LANGUAGES), max_size=3))
        institution = draw(st.sampled_from(INSTITUTIONS))
        people.append(Person(id=1000 + i, side=100 + side, languages=languages,
                             institution=solver.normalize_institution(institution)))
    size = draw(st.integers(3, 50))
    preferences = Preferences(languages=draw(st.booleans()),
                              max_per_institution=draw(st.one_of(st.none(), st.integers(1, 4))))
    return people, size, preferences


def assert_hard_rule(groups, people, size):
    """The rule, from API.md: g groups, sizes within 1, every side spread ⌊·⌋/⌈·⌉, every
    person in exactly one group."""
    n = len(people)
    g = max(1, int(n / size + 0.5))
    assert len(groups) == g
    placed = [i for group in groups for i in group]
    assert sorted(placed) == sorted(p.id for p in people)  # everyone, once
    sizes = [len(group) for group in groups]
    assert max(sizes) - min(sizes) <= 1
    side_of = {p.id: p.side for p in people}
    for side, n_side in Counter(p.side for p in people).items():
        for group in groups:
            count = sum(1 for i in group if side_of[i] == side)
            assert n_side // g <= count <= -(-n_side // g), (side, count, n_side, g)


def broken_preferences(groups, people, preferences) -> set[tuple[int, str]]:
    """(group index, rule) for every preference a group breaks, by the definition."""
    by_id = {p.id: p for p in people}
    broken = set()
    for j, group in enumerate(groups):
        members = [by_id[i] for i in group]
        if not members:
            continue  # an empty group breaks no preference
        if preferences.languages and not set.intersection(*(set(p.languages)
                                                             for p in members)):
            broken.add((j, "language"))
        limit = preferences.max_per_institution
        counts = Counter(p.institution for p in members if p.institution)
        if limit is not None and any(c > limit for c in counts.values()):
            broken.add((j, "institution"))
    return broken


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_a_round_keeps_the_hard_rule_and_reports_exactly_the_broken_preferences(program):
    people, size, preferences = program

    groups = solver.make_round(people, size, preferences, time_limit=0.05)

    assert_hard_rule(groups, people, size)
    by_id = {p.id: p for p in people}
    reported = solver.check([[by_id[i] for i in g] for g in groups], size, preferences)
    assert {(v.group, v.rule) for v in reported} == broken_preferences(groups, people,
                                                                       preferences)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_people=60), st.randoms(use_true_random=False))
def test_the_check_reports_every_broken_rule_of_any_layout(program, rnd):
    """Also for layouts the solver would never make (a staff member's moves)."""
    people, size, preferences = program
    g = max(1, int(len(people) / size + 0.5))
    groups = [[] for _ in range(g)]
    for p in people:
        groups[rnd.randrange(g)].append(p)

    reported = solver.check(groups, size, preferences)

    ids = [[p.id for p in group] for group in groups]
    expected = broken_preferences(ids, people, preferences)
    sizes = [len(group) for group in groups]
    n_groups = len(groups)
    for j, group in enumerate(groups):
        if not len(people) // n_groups <= len(group) <= -(-len(people) // n_groups):
            expected.add((j, "size"))
        for side, n_side in Counter(p.side for p in people).items():
            count = sum(1 for p in group if p.side == side)
            if not n_side // n_groups <= count <= -(-n_side // n_groups):
                expected.add((j, "side"))
    assert {(v.group, v.rule) for v in reported} == expected
    assert (max(sizes) - min(sizes) <= 1) == all(v.rule != "size" for v in reported)


def test_institutions_are_compared_without_case_or_spacing():
    people = [Person(i, side=i % 2, institution=solver.normalize_institution(name))
              for i, name in enumerate(["St George", "st  GEORGE", "ST GEORGE ", "Uni"])]

    [violation] = solver.check([people], 4, Preferences(languages=False,
                                                        max_per_institution=2))

    assert (violation.rule, violation.fact("institution"), violation.fact("count")) == (
        "institution", "st george", 3)


def test_languages_are_read_from_the_profile_text():
    assert solver.parse_languages(" en, EL;tr ,, ") == {"en", "el", "tr"}
    assert solver.parse_languages("") == frozenset()


def test_group_count_rounds_half_up():
    assert [solver.group_count(n, 10) for n in (0, 1, 14, 15, 24, 25, 1000)] == [
        1, 1, 1, 2, 2, 3, 100]


def test_preferences_that_can_be_met_are_met():
    """Two languages and institutions that fit: nothing to report."""
    people = []
    for i in range(40):
        side = i % 2
        languages = frozenset({"en"} if i < 20 else {"el"})
        people.append(Person(i, side, languages, institution=f"school {i % 10}"))

    groups = solver.make_round(people, 10, Preferences(True, 1), time_limit=60)

    by_id = {p.id: p for p in people}
    assert solver.check([[by_id[i] for i in g] for g in groups], 10,
                        Preferences(True, 1)) == []


# --- Rotation -----------------------------------------------------------------------


def _pairs(groups):
    return [frozenset(pair) for group in groups for pair in itertools.combinations(group, 2)]


def _repeated_pairs(rounds) -> int:
    seen, repeated = set(), 0
    for groups in rounds:
        pairs = _pairs(groups)
        repeated += sum(1 for pair in pairs if pair in seen)
        seen.update(pairs)
    return repeated


def _random_balanced_round(people, rng):
    """A random assignment that keeps the hard rule: shuffle each side, deal by the
    same counts."""
    side_a = [p.id for p in people if p.side == 0]
    side_b = [p.id for p in people if p.side == 1]
    rng.shuffle(side_a)
    rng.shuffle(side_b)
    return [side_a[3 * j:3 * j + 3] + side_b[3 * j:3 * j + 3] for j in range(4)]


def test_rotation_over_four_rounds_repeats_fewer_pairs_than_random_balanced_rounds():
    people = [Person(i, side=i % 2) for i in range(24)]
    preferences = Preferences(languages=False, max_per_institution=None)
    rotated = []
    for number in range(4):
        met = solver.met_before(rotated)
        # A time limit far off: the step budget decides, so the result is the same on a
        # busy machine.
        groups = solver.make_round(people, 6, preferences, met=met, rotate=True, seed=number,
                                   time_limit=60)
        assert_hard_rule(groups, people, 6)
        rotated.append(groups)
    rng = random.Random(7)
    random_rounds = [_random_balanced_round(people, rng) for _ in range(4)]
    for groups in random_rounds:
        assert_hard_rule(groups, people, 6)

    assert _repeated_pairs(rotated) < _repeated_pairs(random_rounds)
    side = {p.id: p.side for p in people}
    cross = {pair for groups in rotated for pair in _pairs(groups)
             if len({side[i] for i in pair}) == 2}
    assert len(cross) >= 132  # of the 144 cross-side pairs there are, nearly all met


def test_without_rotation_history_is_ignored_but_pairs_are_counted():
    people = [Person(i, side=i % 2) for i in range(12)]
    first = solver.make_round(people, 6, Preferences(False, None))
    met = solver.met_before([first])
    by_id = {p.id: p for p in people}

    new_cross, repeated = solver.pair_stats([[by_id[i] for i in g] for g in first], met)

    assert (new_cross, repeated) == (0, 30)  # the same round again: every pair repeats


# --- Repair -------------------------------------------------------------------------


def _minimum_moves(groups, people, size):
    """Brute force: the fewest people of `groups` that any layout keeping the hard rule
    (with the kept groups first, any new ones empty) must move."""
    by_id = {p.id: p for p in people}
    current = [[i for i in group if i in by_id] for group in groups]
    g = solver.group_count(len(people), size)
    sides = sorted({p.side for p in people})
    totals = [sum(1 for p in people if p.side == s) for s in sides]
    best = None
    for kept in itertools.combinations(range(len(current)), min(g, len(current))):
        layout = [current[j] for j in kept] + [[] for _ in range(g - len(kept))]
        floating = sum(len(current[j]) for j in range(len(current)) if j not in kept)
        have = [[sum(1 for i in grp if by_id[i].side == s) for s in sides] for grp in layout]
        for choice in _count_matrices(totals, g):
            moves = floating + sum(max(0, h - c) for row, goal in zip(have, choice, strict=True)
                                   for h, c in zip(row, goal, strict=True))
            best = moves if best is None else min(best, moves)
    return best


def _count_matrices(totals, g):
    """Every counts[j][s] with sides spread ⌊·⌋/⌈·⌉ and sizes within 1."""
    per_side = []
    for n in totals:
        low, extra = divmod(n, g)
        per_side.append([[low + (j in chosen) for j in range(g)]
                         for chosen in itertools.combinations(range(g), extra)])
    for combo in itertools.product(*per_side):
        matrix = [[combo[s][j] for s in range(len(totals))] for j in range(g)]
        sizes = [sum(row) for row in matrix]
        if max(sizes) - min(sizes) <= 1:
            yield matrix


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(min_people=5, max_people=16), st.randoms(use_true_random=False))
def test_repair_after_one_withdrawal_moves_no_more_than_needed(program, rnd):
    people, _size, preferences = program
    size = rnd.choice([3, 4, 5])
    groups = solver.make_round(people, size, preferences, time_limit=0.05)
    gone = rnd.choice(people)
    staying = [p for p in people if p.id != gone.id]

    repair = solver.repair_round(groups, staying, size, preferences, time_limit=0.05)

    result = [g for g in repair.groups if g is not None] + repair.added
    assert_hard_rule(result, staying, size)
    assert repair.moved == _minimum_moves(groups, staying, size)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(min_people=4, max_people=14), st.randoms(use_true_random=False))
def test_repair_of_any_layout_moves_the_fewest_people_and_places_newcomers(program, rnd):
    """Staff moved people by hand, some left, some were accepted: repair restores the rule
    with the fewest moves any valid layout needs."""
    people, size, preferences = program
    size = rnd.choice([3, 4])
    g = rnd.randint(1, 4)
    placed = [p for p in people if rnd.random() < 0.8]
    groups = [[] for _ in range(g)]
    for p in placed:
        groups[rnd.randrange(g)].append(p.id)
    groups = [group for group in groups if group] or [[]]
    staying = [p for p in people if rnd.random() < 0.9] or people[:1]

    repair = solver.repair_round(groups, staying, size, preferences, time_limit=0.05)

    result = [g for g in repair.groups if g is not None] + repair.added
    assert_hard_rule(result, staying, size)
    assert repair.moved == _minimum_moves(groups, staying, size)


def test_repair_never_moves_a_locked_member_and_reports_what_locks_make_impossible():
    people = [Person(i, side=0 if i < 6 else 1) for i in range(12)]
    # Staff locked four people of side 0 into the first group: the rule wants 3 per group.
    groups = [[0, 1, 2, 3, 6, 7], [4, 5, 8, 9, 10, 11]]

    repair = solver.repair_round(groups, people, 6, Preferences(False, None),
                                 locked=[0, 1, 2, 3])

    assert set(repair.groups[0]) >= {0, 1, 2, 3}
    by_id = {p.id: p for p in people}
    violations = solver.check([[by_id[i] for i in g] for g in repair.groups], 6,
                              Preferences(False, None))
    # Side 0 cannot be 3 and 3; side 1 still is, so the sizes are 7 and 5.
    assert {(v.group, v.rule) for v in violations} == {(0, "side"), (1, "side"),
                                                       (0, "size"), (1, "size")}
    assert [sorted(by_id[i].side for i in g) for g in repair.groups] == [
        [0, 0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1]]


def test_repair_unlocked_moves_one_person_back():
    people = [Person(i, side=0 if i < 6 else 1) for i in range(12)]
    groups = [[0, 1, 2, 3, 6, 7, 8], [4, 5, 9, 10, 11]]  # someone moved by hand

    repair = solver.repair_round(groups, people, 6, Preferences(False, None))

    assert repair.moved == 1
    assert_hard_rule(repair.groups, people, 6)


def test_repair_keeps_groups_with_sessions_when_it_must_dissolve_one():
    people = [Person(i, side=i % 2) for i in range(12)]
    groups = [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9, 10, 11]]  # g should be 2

    repair = solver.repair_round(groups, people, 6, Preferences(False, None), keep=[0])

    assert repair.groups[0] is not None
    assert [g is None for g in repair.groups].count(True) == 1
    assert_hard_rule([g for g in repair.groups if g is not None], people, 6)
