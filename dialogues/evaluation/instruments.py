"""The built-in survey instruments, in our own words.

Each item's text carries `[other side]`, filled per respondent with the name(s) of the
program's other side(s). A respondent's instrument score is the mean of its items,
reverse-scored items flipped (min + max − value) first, so that for every instrument
a higher score means a warmer attitude and a positive change means improvement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

OTHER_SIDE = "[other side]"


@dataclass(frozen=True)
class Item:
    key: str
    text: str | Promise
    reverse: bool = False


@dataclass(frozen=True)
class Instrument:
    key: str
    name: str | Promise
    min: int
    max: int
    items: tuple[Item, ...]
    # What the two ends of the scale mean, shown beside the answers.
    low: str | Promise
    high: str | Promise

    @cached_property
    def _plan(self) -> tuple[tuple[str, bool], ...]:
        return tuple((item.key, item.reverse) for item in self.items)

    def score(self, answers: Mapping[str, float]) -> float | None:
        """The respondent's score, or None when an item is unanswered. (A plain loop:
        results call this once per response and instrument, 70,000 times for 2,000
        participants.)"""
        flip = self.min + self.max
        total = 0
        for key, reverse in self._plan:
            value = answers.get(key)
            if value is None:
                return None
            total += flip - value if reverse else value
        return total / len(self._plan)


AGREE_LOW, AGREE_HIGH = _("strongly disagree"), _("strongly agree")


def _items(key: str, *texts: str | Promise, reverse: bool = False) -> tuple[Item, ...]:
    return tuple(Item(key=f"{key}.{n}", text=text, reverse=reverse)
                 for n, text in enumerate(texts, start=1))


INSTRUMENTS: dict[str, Instrument] = {i.key: i for i in (
    Instrument(
        key="thermometer", name=_("Feeling thermometer"), min=0, max=100,
        low=_("very cold"), high=_("very warm"),
        items=_items("thermometer", _(
            "How warm or cold do you feel toward people from [other side]? 0 is very cold, "
            "50 is neither warm nor cold, 100 is very warm.")),
    ),
    Instrument(
        key="ios", name=_("Closeness (inclusion of the other in the self)"), min=1, max=7,
        low=_("far apart"), high=_("almost one"),
        items=_items("ios", _(
            "Think of one circle as you and the other as people from [other side]. Which pair "
            "of circles best shows how close you feel to them?")),
    ),
    Instrument(
        key="social_distance", name=_("Social distance"), min=1, max=7,
        low=_("not even as a visitor to my country"), high=_("as a member of my family"),
        items=_items("social_distance", _(
            "How close a relationship would you welcome with someone from [other side]? "
            "1 is not even as a visitor to your country, 7 is as a member of your family.")),
    ),
    Instrument(
        key="trust", name=_("Trust"), min=1, max=5, low=AGREE_LOW, high=AGREE_HIGH,
        items=_items(
            "trust",
            _("Most people from [other side] can be trusted."),
            _("People from [other side] would keep a promise they made to people like me."),
            _("If I needed help, I could count on someone from [other side]."),
        ),
    ),
    Instrument(
        key="anxiety", name=_("Ease with the other side (intergroup anxiety, reversed)"),
        min=1, max=5, low=AGREE_LOW, high=AGREE_HIGH,
        items=_items(
            "anxiety",
            _("I would feel nervous talking with people from [other side]."),
            _("I would feel uneasy spending an evening with people from [other side]."),
            _("I would worry about saying the wrong thing to someone from [other side]."),
            reverse=True,
        ),
    ),
    Instrument(
        key="heard", name=_("Feeling heard"), min=1, max=5, low=AGREE_LOW, high=AGREE_HIGH,
        items=_items(
            "heard",
            _("When I speak with people from [other side], they listen to what I say."),
            _("People from [other side] try to understand my point of view."),
        ),
    ),
    Instrument(
        key="friends", name=_("Friends on the other side"), min=0, max=1000,
        low=_("none"), high=_("1000 or more"),
        items=_items("friends", _(
            "How many people from [other side] do you count as friends?")),
    ),
)}

INSTRUMENT_KEYS = tuple(INSTRUMENTS)
ITEMS: dict[str, tuple[Instrument, Item]] = {
    item.key: (instrument, item) for instrument in INSTRUMENTS.values()
    for item in instrument.items
}


def ordered(keys: Iterable[str]) -> list[str]:
    """Instrument keys in the catalogue's order, each once."""
    wanted = set(keys)
    return [key for key in INSTRUMENT_KEYS if key in wanted]


def other_sides_text(names: list[str]) -> str:
    """"A", "A or B", "A, B or C": what `[other side]` becomes for one respondent."""
    if len(names) <= 1:
        return names[0] if names else gettext("the other side")
    return gettext("%(others)s or %(last)s") % {"others": ", ".join(names[:-1]),
                                                "last": names[-1]}


def item_text(item: Item, other_sides: str) -> str:
    return str(item.text).replace(OTHER_SIDE, other_sides)
