"""The local search of `dialogues.groups.solver`: swaps that keep the hard rule.

How it works and why is in the solver's docstring (step 2); this module only does it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dialogues.groups.solver import Person, Preferences


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


class Search:
    """Swaps people between groups, keeping every state within the hard rule.

    People are numbered 0..N-1 internally; lists indexed by that number keep side,
    languages (as small ints), institution and group, and per group the counts the
    cost needs, so that a swap is weighed in O(group size)."""

    def __init__(self, groups: list[list[Person]], preferences: Preferences,
                 met: dict[int, set[int]] | None, rng: random.Random, *,
                 side_bounds: dict[int, tuple[int, int]], mobile: set[int] | None = None):
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
        self.side_bounds = [side_bounds[s] for s in side_ids]
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
