"""Splitting people into balanced dialogue groups: pure functions over plain data.

Nothing here touches the database; `dialogues.groups.services` loads people, calls
these functions and saves what they return. The local search of step 2 lives in
`dialogues.groups.search`, the min-cost flow of step 3 in `dialogues.groups.flow`.

The rules (API.md "Groups"). For N people and a group size: g = max(1, ⌊N/size + ½⌋)
groups; group sizes differ by at most 1; for every side with n_s people, every group
holds ⌊n_s/g⌋ or ⌈n_s/g⌉ of them (the *hard rule*). Preferences, met where possible:
a language every member of a group speaks; at most k members of a group from one
institution. With rotation: as many cross-side pairs who have not met before as
possible, then as few pairs meeting again as possible.

Why not a general solver. OR-Tools CP-SAT could state the hard rule as constraints,
but rotation's objective counts *pairs* in a group, which a CP-SAT model needs a
variable for per pair and group (hundreds of thousands for 1,000 people in 100
groups); within a 2-second budget it would be stopped by its time limit, with no
better guarantee on the preferences than a local search; and its wheel with its
dependencies is large. The one thing that must hold, the hard rule, we get by
construction, with the proof below; the preferences are soft and reported when
unmet, which suits local search.

1. The skeleton (hard rule by construction). Order the people side after side and
   deal the sequence round-robin: position t goes to group t mod g. Proof: any run
   of L consecutive positions visits every residue mod g either ⌊L/g⌋ or ⌈L/g⌉
   times. Each side is such a run (length n_s), so each group gets ⌊n_s/g⌋ or
   ⌈n_s/g⌉ of that side; the whole sequence is a run of length N, so group sizes
   are ⌊N/g⌋ or ⌈N/g⌉, which differ by at most 1. Only the *counts* of this dealing
   are kept (`count_matrix`); which person fills which of a side's slots is free,
   so each side's people fill the slots in an order that puts speakers of the most
   common languages together and interleaves institutions (`_fill_order`).

2. Improvement (preferences and rotation) by local search over swaps. Swapping two
   people of the same side between two groups changes no count, so it keeps the
   hard rule. Swapping people of two different sides is allowed only when every
   count it changes stays within its ⌊·⌋/⌈·⌉ bounds, and sizes do not change. Every
   state the search visits therefore satisfies the hard rule. A swap is kept when it
   does not make this cost worse (lexicographic through the weights):
   - a group without a shared language: a large fixed cost, plus a concave cost of
     how many members do not speak its most spoken language (concave, so that
     people no language can reach are gathered in as few groups as possible);
   - each member over an institution's limit in a group;
   - with rotation: minus each new cross-side pair, then plus each repeated pair.
   With rotation the search anneals (a worse swap is sometimes taken, less and less
   often), because encounters across rounds make many local optima. It runs for a
   number of steps proportional to N, stops early when nothing is left to improve,
   and never past its time limit.

3. Repair. People who are no longer there are dropped; if g changed, groups are
   added, or the smallest groups without locked members are dissolved. Which
   groups get the ⌈·⌉ share of each side is then chosen by a min-cost flow that
   keeps as many people where they are as possible: for a side s whose n_s is not
   a multiple of g, r_s = n_s mod g groups get one extra; a group keeping one more
   of s saves a move when it already holds at least ⌈n_s/g⌉ of s; the number of
   extras per group is bounded so that sizes differ by at most 1; a group whose
   locked members alone reach ⌈n_s/g⌉ must get the extra. The people over their
   group's count move (never a locked one), and they and the newly accepted fill
   the free places; a local search among the people who move anyway improves the
   preferences without moving anyone else. What locks make impossible is left and
   reported by `check`.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dialogues.groups.flow import MinCostFlow
from dialogues.groups.search import STEPS_PER_PERSON, Search

SIZE, SIDE, LANGUAGE, INSTITUTION = "size", "side", "language", "institution"


@dataclass(frozen=True)
class Person:
    id: int
    side: int
    languages: frozenset[str] = frozenset()
    institution: str = ""  # normalized (see `normalize_institution`); "" = none


@dataclass(frozen=True)
class Preferences:
    languages: bool = True
    max_per_institution: int | None = 2


@dataclass(frozen=True)
class Violation:
    """A rule a group breaks. `group` is an index into the groups checked (None: the
    round as a whole); `facts` say by how much, for the message."""

    group: int | None
    rule: str
    facts: tuple[tuple[str, object], ...] = ()

    def fact(self, name: str):
        return dict(self.facts).get(name)


@dataclass
class Repair:
    groups: list[list[int] | None]  # per existing group: its members, or None if dissolved
    added: list[list[int]]  # groups added, their members
    moved: int


# --- Reading people -----------------------------------------------------------------------


def parse_languages(text: str) -> frozenset[str]:
    """`"en, EL ;tr"` → {"en", "el", "tr"}: comma- (or semicolon-) separated, any case."""
    return frozenset(part.strip().casefold() for part in re.split(r"[,;]", text or "")
                     if part.strip())


def normalize_institution(text: str) -> str:
    """Institutions are compared case-insensitively, ignoring spacing."""
    return " ".join((text or "").split()).casefold()


# --- The hard rule --------------------------------------------------------------------------


def group_count(n: int, size: int) -> int:
    """g = max(1, ⌊n/size + ½⌋), in integers."""
    return max(1, (2 * n + size) // (2 * size))


def bounds(n: int, g: int) -> tuple[int, int]:
    """⌊n/g⌋ and ⌈n/g⌉."""
    return n // g, -(-n // g)


def side_bounds(people: Sequence[Person], g: int) -> dict[int, tuple[int, int]]:
    """Per side: how many of it each of g groups may hold."""
    return {side: bounds(n, g) for side, n in Counter(p.side for p in people).items()}


def count_matrix(side_sizes: Sequence[int], g: int) -> list[list[int]]:
    """counts[j][s]: how many of side s group j gets, by dealing the sides round-robin
    one after the other (the proof is in the module's docstring)."""
    counts = [[0] * len(side_sizes) for _ in range(g)]
    start = 0
    for s, n in enumerate(side_sizes):
        whole, extra = divmod(n, g)
        for j in range(g):
            counts[j][s] = whole
        for k in range(extra):
            counts[(start + k) % g][s] += 1
        start = (start + n) % g
    return counts


# --- Checking a round -----------------------------------------------------------------------


def check(groups: Sequence[Sequence[Person]], size: int, preferences: Preferences
          ) -> list[Violation]:
    """Every rule the groups break: the hard rule (`size`, `side`) and the preferences
    (`language`, `institution`). Independent of how the groups were made."""
    found: list[Violation] = []
    everyone = [p for group in groups for p in group]
    n, g = len(everyone), len(groups)
    if g == 0:
        return found
    expected = group_count(n, size)
    if g != expected:
        found.append(Violation(None, SIZE, (("groups", g), ("expected", expected))))
    low, high = bounds(n, g)
    side_sizes = Counter(p.side for p in everyone)
    for j, group in enumerate(groups):
        if not low <= len(group) <= high:
            found.append(Violation(j, SIZE, (("count", len(group)), ("low", low),
                                             ("high", high))))
        here = Counter(p.side for p in group)
        for side, n_side in sorted(side_sizes.items()):
            side_low, side_high = bounds(n_side, g)
            if not side_low <= here[side] <= side_high:
                found.append(Violation(j, SIDE, (("side", side), ("count", here[side]),
                                                 ("low", side_low), ("high", side_high))))
        found.extend(_preference_violations(j, group, preferences))
    return found


def _preference_violations(j: int, group: Sequence[Person], preferences: Preferences
                           ) -> list[Violation]:
    found = []
    if preferences.languages and group:
        shared = frozenset.intersection(*(p.languages for p in group))
        if not shared:
            spoken = Counter(lang for p in group for lang in p.languages)
            closest, speakers = min(spoken.items(), key=lambda kv: (-kv[1], kv[0]),
                                    default=("", 0))
            found.append(Violation(j, LANGUAGE, (("closest", closest), ("speakers", speakers),
                                                 ("members", len(group)))))
    limit = preferences.max_per_institution
    if limit is not None:
        counts = Counter(p.institution for p in group if p.institution)
        for institution, count in sorted(counts.items()):
            if count > limit:
                found.append(Violation(j, INSTITUTION, (("institution", institution),
                                                        ("count", count), ("limit", limit))))
    return found


# --- Pairs across rounds ---------------------------------------------------------------------


def met_before(rounds: Iterable[Iterable[Iterable[int]]]) -> dict[int, set[int]]:
    """For each person id, the ids they shared a group with in any of `rounds`."""
    met: dict[int, set[int]] = defaultdict(set)
    for groups in rounds:
        for group in groups:
            ids = list(group)
            for person in ids:
                met[person].update(ids)
    for person, others in met.items():
        others.discard(person)
    return met


def pair_stats(groups: Sequence[Sequence[Person]], met: dict[int, set[int]]
               ) -> tuple[int, int]:
    """(cross-side pairs who had not met, pairs of any sides who meet again)."""
    new_cross = repeated = 0
    for group in groups:
        for i, a in enumerate(group):
            seen = met.get(a.id, ())
            for b in group[i + 1:]:
                if b.id in seen:
                    repeated += 1
                elif a.side != b.side:
                    new_cross += 1
    return new_cross, repeated


# --- Making a round -----------------------------------------------------------------------


def make_round(people: Sequence[Person], size: int, preferences: Preferences, *,
               met: dict[int, set[int]] | None = None, rotate: bool = False, seed: int = 0,
               time_limit: float = 1.0) -> list[list[int]]:
    """Groups of person ids that satisfy the hard rule, with the preferences (and, with
    `rotate`, new encounters against `met`) improved as far as the search gets."""
    if not people:
        return []
    g = group_count(len(people), size)
    sides = sorted({p.side for p in people})
    by_side = {s: [p for p in people if p.side == s] for s in sides}
    counts = count_matrix([len(by_side[s]) for s in sides], g)
    popularity = _language_popularity(people)
    groups: list[list[Person]] = [[] for _ in range(g)]
    for k, s in enumerate(sides):
        queue = iter(_fill_order(by_side[s], popularity))
        for j in range(g):
            groups[j].extend(next(queue) for _ in range(counts[j][k]))
    history = met if rotate and met and any(met.get(p.id) for p in people) else None
    search = Search(groups, preferences, history, random.Random(seed),
                    side_bounds=side_bounds(people, g))
    search.run(steps=STEPS_PER_PERSON * len(people) + 20_000, time_limit=time_limit)
    return search.result()


def _language_popularity(people: Sequence[Person]) -> list[str]:
    spoken = Counter(lang for p in people for lang in p.languages)
    return [lang for lang, _n in sorted(spoken.items(), key=lambda kv: (-kv[1], kv[0]))]


def _fill_order(people: Sequence[Person], popularity: list[str]) -> list[Person]:
    """Speakers of the most common languages first, so that consecutive slots (one group)
    share a language; within a language profile, institutions take turns."""
    def profile(p: Person) -> tuple[int, ...]:
        return tuple(lang not in p.languages for lang in popularity)

    turn: Counter = Counter()
    keyed = []
    for p in sorted(people, key=lambda p: (profile(p), p.institution, p.id)):
        key = (profile(p), p.institution)
        keyed.append((profile(p), turn[key], p.institution, p.id, p))
        turn[key] += 1
    return [entry[-1] for entry in sorted(keyed, key=lambda e: e[:4])]


# --- Repairing a round ----------------------------------------------------------------------


def repair_round(groups: Sequence[Sequence[int]], people: Sequence[Person], size: int,
                 preferences: Preferences, *, locked: Iterable[int] = (),
                 keep: Iterable[int] = (), met: dict[int, set[int]] | None = None,
                 rotate: bool = False, seed: int = 0, time_limit: float = 0.5) -> Repair:
    """Bring `groups` (person ids) back to the hard rule for `people` (everyone who
    should be placed), moving as few people as possible and no locked one.

    `keep`: indices of groups that may not be dissolved (e.g. they have sessions).
    """
    by_id = {p.id: p for p in people}
    locked = {i for i in locked if i in by_id}
    current = [[i for i in group if i in by_id] for group in groups]
    placed = {i for group in current for i in group}
    newcomers = [p.id for p in people if p.id not in placed]
    g = group_count(len(people), size)
    protected = set(keep) | {j for j, group in enumerate(current) if locked & set(group)}
    sides = sorted({p.side for p in people})
    side_sizes = [sum(1 for p in people if p.side == s) for s in sides]

    def cells(group_list):
        return [[sum(1 for i in grp if by_id[i].side == s) for s in sides]
                for grp in group_list]

    locked_cells = [[sum(1 for i in grp if i in locked and by_id[i].side == s) for s in sides]
                    for grp in current]
    dissolved = _choose_dissolved(current, g, protected, cells, locked_cells, side_sizes)
    kept = [j for j in range(len(current)) if j not in dissolved]
    layout = [current[j] for j in kept] + [[] for _ in range(max(0, g - len(current)))]
    lock_layout = [locked_cells[j] for j in kept] + [[0] * len(sides)
                                                      for _ in range(len(layout) - len(kept))]
    target = _target_counts(cells(layout), lock_layout, side_sizes)

    floating = [i for j in dissolved for i in current[j]]
    final, mobile = _fill_targets(layout, target, sides, by_id, locked,
                                  newcomers + floating, preferences)
    original = {i: j for j, group in enumerate(current) for i in group}
    if mobile and len(final) > 1:
        search = Search([[by_id[i] for i in grp] for grp in final], preferences,
                        met if rotate else None, random.Random(seed),
                        side_bounds=side_bounds(people, len(final)), mobile=set(mobile))
        search.run(steps=200 * len(mobile) + 5_000, time_limit=time_limit,
                   allow_other_sides=False)
        final = search.result()
    positions = kept + [None] * (len(final) - len(kept))
    moved = sum(1 for j, grp in zip(positions, final, strict=True) for i in grp
                if i in original and original[i] != j)
    result: list[list[int] | None] = [None] * len(current)
    for j, grp in zip(positions, final, strict=True):
        if j is not None:
            result[j] = grp
    return Repair(groups=result, added=final[len(kept):], moved=moved)


def _choose_dissolved(current, g, protected, cells, locked_cells, side_sizes) -> set[int]:
    """Groups to dissolve when there are more than g: those without locked members or
    sessions, trying the smallest ones and keeping the choice that moves fewest."""
    dissolved: set[int] = set()
    while len(current) - len(dissolved) > g:
        candidates = sorted((j for j in range(len(current))
                             if j not in dissolved and j not in protected),
                            key=lambda j: (len(current[j]), j))[:6]
        if not candidates:
            break
        best, best_moves = None, None
        for j in candidates:
            trial = dissolved | {j}
            kept = [k for k in range(len(current)) if k not in trial]
            if len(kept) > g:  # more groups to dissolve after this one: judge by size
                moves = len(current[j])
            else:
                layout = cells([current[k] for k in kept])
                target = _target_counts(layout, [locked_cells[k] for k in kept], side_sizes)
                moves = len(current[j]) + _surplus(layout, target)
            if best_moves is None or moves < best_moves:
                best, best_moves = j, moves
        dissolved.add(best)
    return dissolved


def _surplus(layout: list[list[int]], target: list[list[int]]) -> int:
    return sum(max(0, have - want) for row, goal in zip(layout, target, strict=True)
               for have, want in zip(row, goal, strict=True))


def _target_counts(current: list[list[int]], locked: list[list[int]], side_sizes: list[int]
                   ) -> list[list[int]]:
    """counts[j][s] within the hard rule that keep the most people in place (min-cost flow).

    Side s has r_s = n_s mod g extras to hand out, one per group at most. An extra in
    group j saves a move when j already holds ⌈n_s/g⌉ of s; it is required when j's
    locked members of s alone reach ⌈n_s/g⌉. Each group takes ⌊E/g⌋ or ⌈E/g⌉ extras
    (E = Σ r_s), which is what keeps group sizes within 1 of each other.
    """
    g, n_sides = len(current), len(side_sizes)
    lows = [n // g for n in side_sizes]
    extras = [n % g for n in side_sizes]
    total = sum(extras)
    target = [list(lows) for _ in range(g)]
    if total == 0:
        return target
    per_group_low, per_group_high = bounds(total, g)
    required, floor_first, saved = 10**6, 10**3, 1
    source, sink = 0, 1 + n_sides + g
    flow = MinCostFlow(sink + 1)
    side_edges = {}
    for s in range(n_sides):
        if extras[s]:
            flow.add(source, 1 + s, extras[s], 0)
            for j in range(g):
                high = lows[s] + 1
                cost = -(saved if current[j][s] >= high else 0)
                if locked[j][s] >= high:
                    cost -= required
                side_edges[(s, j)] = flow.add(1 + s, 1 + n_sides + j, 1, cost)
    for j in range(g):
        if per_group_low:
            flow.add(1 + n_sides + j, sink, per_group_low, -floor_first)
        if per_group_high > per_group_low:
            flow.add(1 + n_sides + j, sink, per_group_high - per_group_low, 0)
    flow.run(source, sink, total)
    for (s, j), edge in side_edges.items():
        target[j][s] += flow.flow(edge)
    return target


def _fill_targets(layout, target, sides, by_id, locked, incoming, preferences):
    """Move the people over their group's count out (unlocked, worst fit first) and
    place them and `incoming` into the free places. Returns the groups and who moved
    or arrived (the only people a later search may swap)."""
    groups = [list(grp) for grp in layout]
    side_index = {s: k for k, s in enumerate(sides)}
    pool: dict[int, list[int]] = defaultdict(list)
    for i in incoming:
        pool[side_index[by_id[i].side]].append(i)
    for j, grp in enumerate(groups):
        for k in range(len(sides)):
            here = [i for i in grp if side_index[by_id[i].side] == k]
            surplus = len(here) - target[j][k]
            if surplus <= 0:
                continue
            movable = sorted((i for i in here if i not in locked),
                             key=lambda i, jj=j: (-_misfit(by_id[i], groups[jj], by_id,
                                                           preferences), i))
            for i in movable[:surplus]:
                grp.remove(i)
                pool[k].append(i)
    mobile = [i for people in pool.values() for i in people]
    for k, waiting in pool.items():
        waiting.sort(key=lambda i: (len(by_id[i].languages), i))
        for i in waiting:
            free = [j for j in range(len(groups))
                    if sum(1 for m in groups[j] if side_index[by_id[m].side] == k)
                    < target[j][k]]
            if not free:  # locks keep someone over a count: take the smallest group
                free = [min(range(len(groups)), key=lambda jj: (len(groups[jj]), jj))]
            best = min(free, key=lambda jj: (_misfit(by_id[i], groups[jj], by_id,
                                                      preferences), len(groups[jj]), jj))
            groups[best].append(i)
    return groups, mobile


def _misfit(person: Person, group: Sequence[int], by_id, preferences: Preferences) -> int:
    """How badly a person fits a group (0: shares its main language, institution in room)."""
    others = [by_id[i] for i in group if i != person.id]
    score = 0
    if preferences.languages and others:
        spoken = Counter(lang for p in others for lang in p.languages)
        best = max(spoken.values(), default=0)
        if not any(spoken[lang] == best for lang in person.languages):
            score += 2
    if preferences.max_per_institution is not None and person.institution:
        same = sum(1 for p in others if p.institution == person.institution)
        if same >= preferences.max_per_institution:
            score += 1
    return score
