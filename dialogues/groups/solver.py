"""Splitting people into balanced dialogue groups: pure functions over plain data.

Nothing here touches the database; `dialogues.groups.services` loads people, calls
these functions and saves what they return.

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

import math
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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


@dataclass
class _Weights:
    # Lexicographic through magnitudes: one unit of a heavier term outweighs any
    # change a single swap can make to the lighter ones.
    language_group: int = 10**13
    language_spread: int = 10**6
    institution: int = 10**10
    new_cross_pair: int = 1000
    repeated_pair: int = 1


WEIGHTS = _Weights()
STEPS_PER_PERSON = 400
# The annealing's starting temperature: a lost encounter is taken with chance 1/e.
ANNEALING_HEAT = float(WEIGHTS.new_cross_pair)
# It cools geometrically to 1/10,000 of that: the last part, below one repeated pair's
# weight, is plain hill-climbing on the repeated pairs.
COOLING = 1e-4


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
    search = _Search(groups, preferences, history, random.Random(seed))
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


# --- The local search -----------------------------------------------------------------------


class _Search:
    """Swaps people between groups, keeping every state within the hard rule.

    People are numbered 0..N-1 internally; lists indexed by that number keep side,
    languages (as small ints), institution and group, and per group the counts the
    cost needs, so that a swap is weighed in O(group size)."""

    def __init__(self, groups: list[list[Person]], preferences: Preferences,
                 met: dict[int, set[int]] | None, rng: random.Random,
                 mobile: set[int] | None = None):
        self.people = [p for group in groups for p in group]
        self.rng = rng
        self.w = WEIGHTS
        index = {p.id: i for i, p in enumerate(self.people)}
        side_ids = sorted({p.side for p in self.people})
        side_of = {s: k for k, s in enumerate(side_ids)}
        self.side = [side_of[p.side] for p in self.people]
        self.use_languages = preferences.languages
        self.limit = preferences.max_per_institution
        language_ids: dict[str, int] = {}
        self.langs = [frozenset(language_ids.setdefault(lang, len(language_ids))
                                for lang in p.languages) for p in self.people]
        institution_ids: dict[str, int] = {}
        self.inst = [institution_ids.setdefault(p.institution, len(institution_ids))
                     if p.institution else -1 for p in self.people]
        self.met = None
        if met is not None:
            self.met = [{index[o] for o in met.get(p.id, ()) if o in index}
                        for p in self.people]
        self.members: list[list[int]] = []
        self.group_of = [0] * len(self.people)
        for j, group in enumerate(groups):
            self.members.append([index[p.id] for p in group])
            for p in group:
                self.group_of[index[p.id]] = j
        g = len(groups)
        n_sides = len(side_ids)
        self.side_count = [[0] * n_sides for _ in range(g)]
        self.lang_count: list[dict[int, int]] = [{} for _ in range(g)]
        self.inst_count: list[dict[int, int]] = [{} for _ in range(g)]
        self.excess = [0] * g  # members over an institution's limit, per group
        for j, group in enumerate(self.members):
            for i in group:
                self._add(j, i)
        totals = Counter(self.side)
        self.side_bounds = [bounds(totals[k], g) for k in range(n_sides)]
        self.cap = 2 * (max((len(m) for m in self.members), default=0) + 1)
        self.group_cost = [self._cost(j) for j in range(g)]
        self.mobile = (list(range(len(self.people))) if mobile is None
                       else sorted(index[i] for i in mobile if i in index))
        self.mobile_set = set(self.mobile)
        self.by_side: list[list[int]] = [[] for _ in range(n_sides)]
        for i in self.mobile:
            self.by_side[self.side[i]].append(i)

    # Counts and costs of one group.

    def _add(self, j: int, i: int) -> None:
        self.side_count[j][self.side[i]] += 1
        counts = self.lang_count[j]
        for lang in self.langs[i]:
            counts[lang] = counts.get(lang, 0) + 1
        if self.inst[i] >= 0:
            counts = self.inst_count[j]
            count = counts.get(self.inst[i], 0) + 1
            counts[self.inst[i]] = count
            if self.limit is not None and count > self.limit:
                self.excess[j] += 1

    def _remove(self, j: int, i: int) -> None:
        self.side_count[j][self.side[i]] -= 1
        counts = self.lang_count[j]
        for lang in self.langs[i]:
            if counts[lang] == 1:
                del counts[lang]
            else:
                counts[lang] -= 1
        if self.inst[i] >= 0:
            counts = self.inst_count[j]
            count = counts[self.inst[i]]
            if self.limit is not None and count > self.limit:
                self.excess[j] -= 1
            if count == 1:
                del counts[self.inst[i]]
            else:
                counts[self.inst[i]] = count - 1

    def _language_cost(self, size: int, best: int) -> int:
        unreached = size - best
        if unreached <= 0:
            return 0
        return self.w.language_group + self.w.language_spread * unreached * (self.cap - unreached)

    def _cost(self, j: int) -> int:
        cost = 0
        if self.use_languages and self.members[j]:
            best = max(self.lang_count[j].values(), default=0)
            cost += self._language_cost(len(self.members[j]), best)
        if self.limit is not None:
            cost += self.w.institution * self.excess[j]
        return cost

    def _cost_after(self, j: int, out: int, into: int) -> int:
        """The cost of group j with `out` replaced by `into`."""
        cost = 0
        if self.use_languages:
            out_langs, in_langs = self.langs[out], self.langs[into]
            best = 0
            for lang, count in self.lang_count[j].items():
                value = count - (lang in out_langs) + (lang in in_langs)
                if value > best:
                    best = value
            if best == 0 and in_langs:
                best = 1
            cost += self._language_cost(len(self.members[j]), best)
        limit = self.limit
        if limit is not None:
            excess = self.excess[j]
            a, b = self.inst[out], self.inst[into]
            if a != b:
                counts = self.inst_count[j]
                if a >= 0 and counts[a] > limit:
                    excess -= 1
                if b >= 0 and counts.get(b, 0) >= limit:
                    excess += 1
            cost += self.w.institution * excess
        return cost

    def _encounters(self, j: int, out: int, into: int) -> int:
        """The rotation cost change in group j when `out` leaves and `into` joins."""
        met_out, met_in = self.met[out], self.met[into]
        side_out, side_in = self.side[out], self.side[into]
        new_cross = repeated = 0
        for m in self.members[j]:
            if m == out:
                continue
            was, now = m in met_out, m in met_in
            repeated += now - was
            side = self.side[m]
            if side != side_out and not was:
                new_cross -= 1
            if side != side_in and not now:
                new_cross += 1
        return self.w.repeated_pair * repeated - self.w.new_cross_pair * new_cross

    def delta(self, a: int, b: int) -> tuple[int, int, int]:
        """The cost change of swapping a and b, and the two groups' new costs."""
        x, y = self.group_of[a], self.group_of[b]
        cost_x = self._cost_after(x, a, b)
        cost_y = self._cost_after(y, b, a)
        change = cost_x + cost_y - self.group_cost[x] - self.group_cost[y]
        if self.met is not None:
            change += self._encounters(x, a, b) + self._encounters(y, b, a)
        return change, cost_x, cost_y

    def _keeps_hard_rule(self, a: int, b: int) -> bool:
        sa, sb = self.side[a], self.side[b]
        if sa == sb:
            return True
        x, y = self.group_of[a], self.group_of[b]
        low_a, high_a = self.side_bounds[sa]
        low_b, high_b = self.side_bounds[sb]
        return (self.side_count[x][sa] - 1 >= low_a and self.side_count[y][sa] + 1 <= high_a
                and self.side_count[y][sb] - 1 >= low_b and self.side_count[x][sb] + 1 <= high_b)

    def swap(self, a: int, b: int, cost_x: int, cost_y: int) -> None:
        x, y = self.group_of[a], self.group_of[b]
        self._remove(x, a)
        self._remove(y, b)
        self.members[x][self.members[x].index(a)] = b
        self.members[y][self.members[y].index(b)] = a
        self.group_of[a], self.group_of[b] = y, x
        self._add(x, b)
        self._add(y, a)
        self.group_cost[x], self.group_cost[y] = cost_x, cost_y

    # The search itself.

    def _pick_group(self) -> int:
        g, rand = len(self.members), self.rng.random
        x, other = int(rand() * g), int(rand() * g)
        return other if self.group_cost[other] > self.group_cost[x] else x

    def _pick_member(self, x: int) -> int | None:
        members = self.members[x]
        if not members:
            return None
        if self.use_languages and self.group_cost[x] and self.rng.random() < 0.5:
            counts = self.lang_count[x]
            best = max(counts, key=counts.__getitem__, default=None)
            outsiders = [m for m in members if best not in self.langs[m]
                         and m in self.mobile_set]
            if outsiders:
                return _pick(self.rng, outsiders)
        if self.met is not None and self.rng.random() < 0.7:
            # Someone who meets a person again here: the swaps that can gain are theirs.
            again = [m for m in members if m in self.mobile_set
                     and not self.met[m].isdisjoint(members)]
            if again:
                return _pick(self.rng, again)
        a = _pick(self.rng, members)
        return a if a in self.mobile_set else None

    def _pick_partner(self, a: int, allow_other_sides: bool) -> int | None:
        chance = self.rng.random()
        if allow_other_sides and chance < 0.15:
            b = _pick(self.rng, self.mobile)
        elif chance < 0.5:  # often from another costly group: that is where gains pair up
            side = self.side[a]
            same = [m for m in self.members[self._pick_group()]
                    if self.side[m] == side and m in self.mobile_set]
            if not same:
                return None
            b = _pick(self.rng, same)
        else:
            b = _pick(self.rng, self.by_side[self.side[a]])
        if self.group_of[b] == self.group_of[a] or not self._keeps_hard_rule(a, b):
            return None
        return b

    def run(self, *, steps: int, time_limit: float, allow_other_sides: bool = True) -> None:
        """Hill-climbing that also takes sideways steps; with rotation, annealing: a swap
        that loses a few encounters is sometimes taken early on, less and less often,
        which gets out of the many local optima that pairs across rounds create."""
        if len(self.members) < 2 or len(self.mobile) < 2:
            return
        started = time.monotonic()
        rotating = self.met is not None
        patience = max(20_000, 60 * len(self.mobile))
        heat = start_heat = ANNEALING_HEAT if rotating else 0.0
        since_gain = 0
        for step in range(steps):
            if step % 256 == 0:
                progress = max(step / steps, (time.monotonic() - started) / time_limit)
                if progress >= 1:
                    return
                heat = start_heat * COOLING ** progress if rotating else 0.0
                if not rotating and not any(self.group_cost):
                    return
            if since_gain > patience and heat < 1:
                return
            since_gain += 1
            a = self._pick_member(self._pick_group())
            b = None if a is None else self._pick_partner(a, allow_other_sides)
            if b is None:
                continue
            change, cost_x, cost_y = self.delta(a, b)
            if change <= 0 or (heat >= 1 and change < 20 * heat
                               and self.rng.random() < math.exp(-change / heat)):
                self.swap(a, b, cost_x, cost_y)
                if change < 0:
                    since_gain = 0

    def result(self) -> list[list[int]]:
        return [[self.people[i].id for i in group] for group in self.members]


def _pick(rng: random.Random, items: Sequence[int]) -> int:
    # rng.choice's rejection sampling costs more than the rest of a step.
    return items[int(rng.random() * len(items))]


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
        search = _Search([[by_id[i] for i in grp] for grp in final], preferences,
                         met if rotate else None, random.Random(seed), mobile=set(mobile))
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
    flow = _MinCostFlow(sink + 1)
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


# --- Min-cost flow (successive shortest paths) ------------------------------------------------


@dataclass
class _MinCostFlow:
    """Small min-cost flow: successive shortest paths with Bellman-Ford (SPFA), which
    allows the negative costs used above. Graphs here have sides × groups edges."""

    size: int
    heads: list[int] = field(default_factory=list)
    caps: list[int] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)
    adjacency: list[list[int]] = field(default_factory=list)

    def __post_init__(self):
        self.adjacency = [[] for _ in range(self.size)]

    def add(self, u: int, v: int, cap: int, cost: int) -> int:
        edge = len(self.heads)
        self.heads += [v, u]
        self.caps += [cap, 0]
        self.costs += [cost, -cost]
        self.adjacency[u].append(edge)
        self.adjacency[v].append(edge + 1)
        return edge

    def flow(self, edge: int) -> int:
        return self.caps[edge + 1]

    def run(self, source: int, sink: int, amount: int) -> int:
        sent = 0
        while sent < amount:
            parent = self._shortest_path(source)
            if parent[sink] < 0:
                break
            push, v = amount - sent, sink
            while v != source:
                edge = parent[v]
                push = min(push, self.caps[edge])
                v = self.heads[edge ^ 1]
            v = sink
            while v != source:
                edge = parent[v]
                self.caps[edge] -= push
                self.caps[edge ^ 1] += push
                v = self.heads[edge ^ 1]
            sent += push
        return sent

    def _shortest_path(self, source: int) -> list[int]:
        inf = float("inf")
        dist = [inf] * self.size
        parent = [-1] * self.size
        queued = [False] * self.size
        dist[source] = 0
        queue = [source]
        queued[source] = True
        head = 0
        while head < len(queue):
            u = queue[head]
            head += 1
            queued[u] = False
            for edge in self.adjacency[u]:
                if self.caps[edge] <= 0:
                    continue
                v = self.heads[edge]
                candidate = dist[u] + self.costs[edge]
                if candidate < dist[v]:
                    dist[v] = candidate
                    parent[v] = edge
                    if not queued[v]:
                        queued[v] = True
                        queue.append(v)
        return parent
