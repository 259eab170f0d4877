import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from core.templatetags.parley_time import format_time, offset_label

MINUS = "\u2212"
SUMMER = dt.datetime(2026, 3, 31, 6, 0, tzinfo=dt.UTC)  # Tuesday; Cyprus on summer time
WINTER = dt.datetime(2026, 1, 13, 7, 0, tzinfo=dt.UTC)  # Tuesday; Cyprus on winter time


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def render(source, **context):
    return Template("{% load parley_time %}" + source).render(Context(context))


def test_utc_viewer_by_default():
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        html = render("{% show_time value %}", value=SUMMER)
    assert html == (
        '<time class="time" datetime="2026-03-31T06:00:00Z">Tue 31 Mar, 06:00 (UTC)</time>'
    )


def test_active_timezone_is_the_viewer_zone():
    with timezone.override(zoneinfo.ZoneInfo("Europe/Nicosia")):
        html = render("{% show_time value %}", value=SUMMER)
    assert html == (
        '<time class="time" datetime="2026-03-31T06:00:00Z">'
        "Tue 31 Mar, 09:00 (Nicosia, UTC+3)</time>"
    )


def test_nicosia_summer():
    html = format_time(SUMMER, viewer_tz="Asia/Nicosia")
    assert html == (
        '<time class="time" datetime="2026-03-31T06:00:00Z">'
        "Tue 31 Mar, 09:00 (Nicosia, UTC+3)</time>"
    )


def test_nicosia_winter():
    html = render('{% show_time value viewer_tz="Europe/Nicosia" %}', value=WINTER)
    assert html == (
        '<time class="time" datetime="2026-01-13T07:00:00Z">'
        "Tue 13 Jan, 09:00 (Nicosia, UTC+2)</time>"
    )


def test_offset_with_minutes():
    html = format_time(SUMMER, viewer_tz=zoneinfo.ZoneInfo("Asia/Kolkata"))
    assert html == (
        '<time class="time" datetime="2026-03-31T06:00:00Z">'
        "Tue 31 Mar, 11:30 (Kolkata, UTC+5:30)</time>"
    )


def test_negative_offset_uses_a_real_minus_sign_and_spaces_in_city():
    html = format_time(SUMMER, viewer_tz="America/Los_Angeles")
    assert html == (
        '<time class="time" datetime="2026-03-31T06:00:00Z">'
        f"Mon 30 Mar, 23:00 (Los Angeles, UTC{MINUS}7)</time>"
    )


def test_two_zones_when_event_zone_differs():
    html = render(
        '{% show_time value viewer_tz="Asia/Nicosia" event_tz="America/Los_Angeles" %}',
        value=SUMMER,
    )
    assert html == (
        '<time class="time" datetime="2026-03-31T06:00:00Z">'
        "Tue 31 Mar, 09:00 (Nicosia, UTC+3) \u00b7 "
        f"Mon 30 Mar, 23:00 (Los Angeles, UTC{MINUS}7)</time>"
    )


def test_one_zone_when_event_zone_is_the_viewer_zone():
    html = format_time(SUMMER, viewer_tz="Asia/Nicosia", event_tz="Asia/Nicosia")
    assert html.count("Nicosia") == 1


def test_filter_form_uses_active_zone_and_event_zone():
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        html = render("{{ value|show_time:tz }}", value=SUMMER, tz="Asia/Kolkata")
    assert html == (
        '<time class="time" datetime="2026-03-31T06:00:00Z">'
        "Tue 31 Mar, 06:00 (UTC) \u00b7 Tue 31 Mar, 11:30 (Kolkata, UTC+5:30)</time>"
    )


def test_unknown_event_zone_is_ignored_and_empty_value_renders_nothing():
    html = format_time(SUMMER, viewer_tz="UTC", event_tz="<script>Nowhere/Land")
    assert "<script>" not in html
    assert html.endswith("(UTC)</time>")
    assert format_time(None) == ""


@pytest.mark.parametrize(("lang", "day"), [
    ("el", "Τρίτη 13 Ιανουαρίου, 09:00"),
    ("tr", "13 Ocak Salı, 09:00"),
    ("fr", "mardi 13 janvier à 09:00"),
    ("es", "martes 13 de enero, 09:00"),
    ("ru", "Вт, 13 января, 09:00"),
])
def test_each_language_orders_day_month_and_time_its_own_way(lang, day):
    with translation.override(lang):
        assert format_time(WINTER, viewer_tz="Asia/Nicosia").endswith(
            f">{day} (Nicosia, UTC+2)</time>")


@pytest.mark.parametrize(("lang", "day"), [
    ("ar", "الثلاثاء 13 يناير، 09:00"),
    ("he", "יום שלישי, 13 בינואר, 09:00"),
])
def test_right_to_left_languages_isolate_the_left_to_right_zone(lang, day):
    with translation.override(lang):
        assert format_time(WINTER, viewer_tz="Asia/Nicosia").endswith(
            f'>{day} <span class="time__zone" dir="ltr">\u2066(Nicosia, UTC+2)\u2069</span>'
            "</time>")


def test_day_and_month_names_follow_the_active_language():
    with translation.override("uk"):
        html = format_time(WINTER, viewer_tz="Asia/Nicosia")
    assert html == (
        '<time class="time" datetime="2026-01-13T07:00:00Z">'
        "Вт, 13 січня, 09:00 (Nicosia, UTC+2)</time>"
    )


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, "UTC"),
        (180, "UTC+3"),
        (330, "UTC+5:30"),
        (-420, f"UTC{MINUS}7"),
        (-210, f"UTC{MINUS}3:30"),
        (345, "UTC+5:45"),
    ],
)
def test_offset_label(minutes, expected):
    assert offset_label(dt.timedelta(minutes=minutes)) == expected


def test_a_time_of_another_year_shows_its_year_and_this_years_does_not():
    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    later = now.replace(year=now.year + 2, month=6, day=1, hour=10, minute=0)
    assert f"Jun {now.year + 2}, 10:00" in format_time(later, "UTC")
    assert str(now.year) not in format_time(now, "UTC").split(">", 1)[1]


def test_the_year_is_the_viewers_year_at_new_year():
    # 23:30 UTC on 31 December is already next year in Nicosia.
    from django.utils import timezone

    year = timezone.now().year
    eve = dt.datetime(year, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert f"Jan {year + 1}, 01:30" in format_time(eve, "Asia/Nicosia")
    assert str(year) not in format_time(eve, "UTC").split(">", 1)[1]
