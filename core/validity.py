"""What a valid time is in Parley: the one rule for dates, times and timezones.

Forms, API serializers, models and services all call these functions, so a page,
the API and a direct service call refuse the same input with the same message.

- Every date and time lies in the years 1900 to 2200. A date is judged by its
  year; an instant by its year in UTC; a wall-clock time by its own year.
- A wall-clock time is read in its timezone. One that a DST change skips does not
  exist and is refused with a message naming the gap. One that happens twice
  (clocks go back) means the first time it happens: the earlier instant (fold=0).
- A timezone is a zone of the IANA database (the pinned `tzdata` package), stored
  under its canonical name: an old name (a link such as Asia/Calcutta) is read as
  the zone it names (Asia/Kolkata); names that are not zones (localtime, Factory,
  posixrules) are refused. The canonical names are those of `zone.tab` plus UTC.
"""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIRST_YEAR = 1900
LAST_YEAR = 2200
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
AFTER_LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)


# --- Years ------------------------------------------------------------------------------


def _out_of_range() -> ValidationError:
    return ValidationError(
        _("Give a date between the years %(first)d and %(last)d.")
        % {"first": FIRST_YEAR, "last": LAST_YEAR},
        code="out_of_range",
    )


def validate_date(value: date) -> None:
    """A date (or the date of a wall-clock time) lies in the years 1900–2200."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _out_of_range()


def validate_instant(value: datetime) -> None:
    """An aware time lies in 1900–2200 in UTC and, read in a real zone, exists."""
    try:
        instant = value.astimezone(UTC)
    except (OverflowError, ValueError):  # past year 9999 or before year 1 in UTC
        raise _out_of_range() from None
    if not EARLIEST <= instant < AFTER_LATEST:
        raise _out_of_range()
    if isinstance(value.tzinfo, zoneinfo.ZoneInfo):
        validate_wall_time(value.replace(tzinfo=None), value.tzinfo)


def in_range(value: datetime) -> bool:
    try:
        validate_instant(value)
    except ValidationError:
        return False
    return True


# --- Wall-clock times -------------------------------------------------------------------


def local_time(wall: datetime, zone: str | zoneinfo.ZoneInfo) -> datetime:
    """The instant (in UTC) of a wall-clock time in a zone.

    Refuses a time out of range or one a DST change skips; a time that happens
    twice means the earlier instant.
    """
    tz = zone if isinstance(zone, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(zone)
    wall = wall.replace(tzinfo=None, fold=0)
    validate_wall_time(wall, tz)
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    validate_instant(instant)
    return instant


def validate_wall_time(wall: datetime, tz: zoneinfo.ZoneInfo) -> None:
    validate_date(wall)
    if _skipped(wall, tz):
        raise ValidationError(gap_message(wall, tz), code="dst_gap")


def _skipped(wall: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    wall = wall.replace(tzinfo=None, fold=0)
    round_trip = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return round_trip.replace(tzinfo=None, fold=0) != wall


def gap_message(wall: datetime, tz: zoneinfo.ZoneInfo) -> str:
    """E.g. "02:30 does not exist in Europe/Berlin on 2027-03-28: clocks go from 02:00
    to 03:00"."""
    start, end = _gap_around(wall.replace(tzinfo=None, fold=0), tz)
    return _(
        "%(time)s does not exist in %(zone)s on %(date)s: clocks go from %(start)s to %(end)s."
    ) % {"time": _clock(wall, wall.date()), "zone": tz.key, "date": wall.date().isoformat(),
         "start": _clock(start, wall.date()), "end": _clock(end, wall.date())}


def _gap_around(wall: datetime, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The wall clock just before and just after the transition that skips `wall`."""
    before = wall.replace(tzinfo=tz, fold=0).utcoffset()
    after = wall.replace(tzinfo=tz, fold=1).utcoffset()
    # The transition lies between the two readings of `wall`; find it to the second.
    low = (wall - after).replace(tzinfo=UTC)
    high = (wall - before).replace(tzinfo=UTC)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    transition = high.replace(microsecond=0)
    naive = transition.replace(tzinfo=None)
    return naive + before, naive + after


def _clock(value: datetime, day: date) -> str:
    text = value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return text if value.date() == day else f"{value.date().isoformat()} {text}"


def day_start(day: date, zone: str | zoneinfo.ZoneInfo) -> datetime:
    """The first instant (in UTC) of a day in a zone, also when midnight is skipped."""
    tz = zone if isinstance(zone, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(zone)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_end(day: date, zone: str | zoneinfo.ZoneInfo) -> datetime:
    """The first instant after a day in a zone (the day's end, exclusive)."""
    return day_start(day + timedelta(days=1), zone)


# --- Timezones --------------------------------------------------------------------------


def _tzdata_text(name: str) -> str:
    return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")


@cache
def known_timezones() -> frozenset[str]:
    """Every zone name of the IANA database, old names included, without non-zones."""
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(names) - {"Factory"}


@cache
def canonical_timezones() -> tuple[str, ...]:
    """The names a person picks from: one per region (zone.tab), and UTC; sorted."""
    names = {
        line.split("\t")[2]
        for line in _tzdata_text("zone.tab").splitlines()
        if line and not line.startswith("#")
    }
    return tuple(sorted(names | {"UTC"}))


@cache
def _links() -> dict[str, str]:
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _kind, target, name = line.split()
            links[name] = target
    return links


_UTC_ZONES = {"Etc/UTC", "Etc/GMT"}


def canonical_timezone(name: str) -> str:
    """The canonical name of a known zone; anything else comes back unchanged."""
    if not isinstance(name, str) or name not in known_timezones():
        return name
    canonical = set(canonical_timezones())
    seen = name
    while seen not in canonical and seen in _links():
        seen = _links()[seen]
    if seen in _UTC_ZONES:
        return "UTC"
    return seen if seen in canonical else name


def validate_timezone(value: str) -> None:
    if not isinstance(value, str) or value not in known_timezones():
        raise ValidationError(
            _("%(value)s is not a known IANA timezone name (e.g. Asia/Nicosia)."),
            code="invalid_timezone",
            params={"value": value},
        )


def validate_canonical_timezone(value: str) -> None:
    """Stricter than validate_timezone: one of the names people pick from (no old
    aliases such as US/Eastern or Asia/Nicosia's old spellings)."""
    if not isinstance(value, str) or value not in canonical_timezones():
        raise ValidationError(
            _("%(value)s is not a canonical IANA timezone name (e.g. Asia/Nicosia)."),
            code="invalid_timezone",
            params={"value": value},
        )


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in canonical_timezones()]
