"""Times as Parley shows them: "Tue 31 Mar, 09:00 (Nicosia, UTC+3)", with the year
("Thu 1 Jun 2028, 10:00 (...)") when it is not this year's. The pattern is the
active language's (core/formats/<lang>/formats.py): "mardi 31 mars à 09:00",
"31 Mart Salı, 09:00", "יום שלישי, 31 במרץ, 09:00".

Usage in templates::

    {% load parley_time %}
    {% show_time session.starts_at %}                          {# viewer's zone only #}
    {% show_time session.starts_at event_tz=session.timezone %} {# + the event's zone #}
    {% show_time value viewer_tz="Asia/Kolkata" %}
    {{ session.starts_at|show_time:session.timezone }}         {# filter form #}
    {% show_time rsvp.accepted_at as when %}                    {# into a variable #}
    {{ day|show_date:"WEEKDAY_DATE_FORMAT" }}                   {# a date, by pattern name #}

The viewer's zone defaults to the active Django timezone (set per request by
``participants.middleware.UserTimezoneMiddleware``). When ``event_tz`` names a
different zone, the time there is shown beside the viewer's.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import template
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.formats import get_format

register = template.Library()

MINUS = "\u2212"
LRI, PDI = "\u2066", "\u2069"  # Unicode's left-to-right isolate and its end
_UTC_NAMES = frozenset(
    {
        "UTC",
        "UCT",
        "GMT",
        "Zulu",
        "Universal",
        "Greenwich",
        "Etc/UTC",
        "Etc/UCT",
        "Etc/GMT",
        "Etc/Zulu",
        "Etc/Universal",
        "Etc/Greenwich",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "Etc/GMT0",
        "GMT0",
        "GMT+0",
        "GMT-0",
    }
)


def _to_tzinfo(tz: dt.tzinfo | str | None) -> dt.tzinfo | None:
    """A tzinfo from a tzinfo or an IANA name; None for empty or unknown names."""
    if tz is None or tz == "":
        return None
    if isinstance(tz, dt.tzinfo):
        return tz
    try:
        return zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _zone_key(tz: dt.tzinfo) -> str:
    key = getattr(tz, "key", None)
    if key:
        return key
    if tz is dt.UTC:
        return "UTC"
    return str(tz)


def offset_label(offset: dt.timedelta | None) -> str:
    """UTC+3, UTC+5:30, UTC−7 (real minus sign), or UTC for zero."""
    minutes = int((offset or dt.timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else MINUS
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}:{mins:02d}" if mins else f"UTC{sign}{hours}"


def city_label(tz: dt.tzinfo) -> str:
    """Nicosia for Europe/Nicosia, Los Angeles for America/Los_Angeles, UTC for UTC.

    Returns "" for fixed-offset zones (Etc/GMT+3...) whose names would only
    repeat, with the opposite sign, what the offset already says.
    """
    key = _zone_key(tz)
    if key in _UTC_NAMES:
        return "UTC"
    if key.startswith("Etc/") or not getattr(tz, "key", None):
        return ""
    return key.rsplit("/", 1)[-1].replace("_", " ")


def _zone_text(local: dt.datetime, tz: dt.tzinfo) -> str:
    """The part in brackets: "Nicosia, UTC+3"; just "UTC" when both parts say UTC."""
    city = city_label(tz)
    offset = offset_label(local.utcoffset())
    if not city or city == offset:
        return offset
    return f"{city}, {offset}"


def _one(value: dt.datetime, tz: dt.tzinfo) -> SafeString:
    local = value.astimezone(tz)
    # The year only when it is not this year's, so "Thu 1 Jun" never hides a 2028.
    same_year = local.year == timezone.now().astimezone(tz).year
    pattern = get_format(
        "WEEKDAY_DATETIME_FORMAT" if same_year else "WEEKDAY_DATETIME_YEAR_FORMAT")
    day, zone = dateformat.format(local, pattern), f"({_zone_text(local, tz)})"
    if translation.get_language_bidi():
        # "(Nicosia, UTC+3)" is left-to-right inside right-to-left text: kept whole and
        # isolated, by the span in a page and by LRI…PDI in a plain-text email.
        return format_html('{} <span class="time__zone" dir="ltr">{}{}{}</span>',
                           day, LRI, zone, PDI)
    return format_html("{} {}", day, zone)


def format_time(
    value: dt.datetime | None,
    viewer_tz: dt.tzinfo | str | None = None,
    event_tz: dt.tzinfo | str | None = None,
) -> SafeString:
    """Render ``value`` as a <time> element in the viewer's zone (and the event's)."""
    if not isinstance(value, dt.datetime):
        return mark_safe("")  # noqa: S308 - constant empty string
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    viewer = _to_tzinfo(viewer_tz) or timezone.get_current_timezone()
    event = _to_tzinfo(event_tz)

    text = _one(value, viewer)
    if event is not None and _zone_key(event) != _zone_key(viewer):
        text = format_html("{} \u00b7 {}", text, _one(value, event))
    iso_utc = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return format_html('<time class="time" datetime="{}">{}</time>', iso_utc, text)


@register.simple_tag(name="show_time")
def show_time(value, viewer_tz=None, event_tz=None):
    return format_time(value, viewer_tz=viewer_tz, event_tz=event_tz)


@register.filter(name="show_time")
def show_time_filter(value, event_tz=None):
    return format_time(value, event_tz=event_tz)


@register.filter(name="show_date")
def show_date(value, pattern_name="DATE_FORMAT"):
    """A date in the active language's pattern `pattern_name` (see core.formats)."""
    if not isinstance(value, dt.date):
        return ""
    return dateformat.format(value, get_format(pattern_name))
