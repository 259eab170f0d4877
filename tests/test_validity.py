"""One rule for a valid time (API.md "Validity of programs and sessions").

core.validity states it; forms, API serializers, models and services use it.
Here: the rule itself, the timezone validator at every entry point, and the program
limits through the service, the API and the page. Sessions: tests/dialogues/
test_session_validity.py.
"""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from core.validity import (
    canonical_timezone,
    canonical_timezones,
    day_end,
    day_start,
    local_time,
    validate_date,
    validate_instant,
    validate_timezone,
)
from dialogues.forms import SessionForm
from exchanges import services
from exchanges.forms import ActivityFilterForm
from exchanges.models import Program
from exchanges.services import SideSpec
from participants.forms import ProfileForm
from tests.api.conftest import client_for
from tests.factories import SessionFactory, program_with_sides

YEARS = "Give a date between the years 1900 and 2200."
BERLIN = ZoneInfo("Europe/Berlin")


def message(callable_, *args) -> str:
    with pytest.raises(ValidationError) as err:
        callable_(*args)
    return " ".join(err.value.messages)


# --- The rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(1900, 1, 1), date(2200, 12, 31), date(2027, 6, 1)])
def test_dates_from_1900_to_2200_are_valid(day):
    validate_date(day)


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(2201, 1, 1),
                                 date(9999, 12, 31)])
def test_dates_outside_1900_to_2200_are_refused(day):
    assert message(validate_date, day) == YEARS


@pytest.mark.parametrize("instant", [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # before year 1 in UTC
    datetime(9999, 12, 31, 22, 0, tzinfo=ZoneInfo("Pacific/Pago_Pago")),  # after 9999 in UTC
    datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2201, 1, 1, tzinfo=UTC),
    datetime(2200, 12, 31, 23, 0, tzinfo=ZoneInfo("Pacific/Pago_Pago")),  # 2201 in UTC
])
def test_instants_outside_the_years_are_refused_without_overflow(instant):
    assert message(validate_instant, instant) == YEARS


def test_a_skipped_wall_time_is_refused_naming_the_gap():
    assert message(local_time, datetime(2027, 3, 28, 2, 30), "Europe/Berlin") == (
        "02:30 does not exist in Europe/Berlin on 2027-03-28: clocks go from 02:00 to 03:00.")


@pytest.mark.parametrize(("wall", "zone", "expected"), [
    (datetime(2027, 3, 14, 2, 15), "America/New_York",
     "02:15 does not exist in America/New_York on 2027-03-14: clocks go from 02:00 to 03:00."),
    (datetime(2027, 9, 5, 0, 15), "America/Santiago",  # the day starts at 01:00
     "00:15 does not exist in America/Santiago on 2027-09-05: clocks go from 00:00 to 01:00."),
    (datetime(2011, 12, 30, 12, 0), "Pacific/Apia",  # Samoa skipped a whole day
     "12:00 does not exist in Pacific/Apia on 2011-12-30: clocks go from 00:00 to "
     "2011-12-31 00:00."),
    (datetime(2027, 10, 3, 2, 10), "Australia/Lord_Howe",  # a half-hour change
     "02:10 does not exist in Australia/Lord_Howe on 2027-10-03: clocks go from 02:00 to "
     "02:30."),
])
def test_gaps_elsewhere_are_named_too(wall, zone, expected):
    assert message(local_time, wall, zone) == expected


def test_an_aware_time_inside_a_gap_is_refused_too():
    """A service caller may attach the zone itself; the instant is then undefined."""
    assert "clocks go from 02:00 to 03:00" in message(
        validate_instant, datetime(2027, 3, 28, 2, 30, tzinfo=BERLIN))


def test_a_wall_time_that_happens_twice_is_the_earlier_instant():
    assert local_time(datetime(2027, 10, 31, 2, 30), "Europe/Berlin") == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 summer time, the first time round


def test_local_times_come_back_in_utc():
    assert local_time(datetime(2027, 3, 29, 9, 0), "Asia/Nicosia") == datetime(
        2027, 3, 29, 6, 0, tzinfo=UTC)


def test_a_day_starts_at_its_first_instant_even_when_midnight_is_skipped():
    assert day_start(date(2027, 9, 5), "America/Santiago") == datetime(
        2027, 9, 5, 4, 0, tzinfo=UTC)  # 01:00 -03, when clocks jump over midnight
    assert day_end(date(2027, 1, 31), "Asia/Nicosia") == datetime(2027, 1, 31, 22, 0, tzinfo=UTC)


# --- Timezones ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "Mars/Olympus", "",
                                  "Europe/../etc/passwd", "utc", "Asia/Nicosia "])
def test_names_that_are_not_zones_are_refused(name):
    assert "is not a known IANA timezone name" in message(validate_timezone, name)


@pytest.mark.parametrize(("name", "canonical"), [
    ("Asia/Nicosia", "Asia/Nicosia"), ("Europe/Nicosia", "Asia/Nicosia"),
    ("Asia/Calcutta", "Asia/Kolkata"), ("US/Eastern", "America/New_York"),
    ("Europe/Kiev", "Europe/Kyiv"), ("Etc/UTC", "UTC"), ("GMT", "UTC"), ("Zulu", "UTC"),
    ("Europe/Oslo", "Europe/Oslo"),  # a country's own zone stays itself
    ("Etc/GMT-3", "Etc/GMT-3"),  # a zone with no place: known, kept
    ("Factory", "Factory"),  # not a zone: unchanged, and refused by the validator
])
def test_old_names_read_as_their_zone(name, canonical):
    assert canonical_timezone(name) == canonical


def test_the_names_offered_are_canonical_and_every_one_is_a_zone():
    names = canonical_timezones()
    assert {"UTC", "Asia/Nicosia", "Europe/Istanbul", "Asia/Gaza"} <= set(names)
    assert not {"Europe/Nicosia", "US/Eastern", "localtime", "Factory"} & set(names)
    for name in names:
        validate_timezone(name)
        ZoneInfo(name)
    profile_choices = [value for value, _label in ProfileForm().fields["timezone"].choices]
    session_choices = [value for value, _label in SessionForm().fields["timezone"].choices]
    assert profile_choices == session_choices == list(names)


NOT_A_ZONE = "localtime is not a known IANA timezone name (e.g. Asia/Nicosia)."


@pytest.mark.django_db
def test_the_api_refuses_non_zones_on_the_profile(bob):
    response = client_for(bob).patch("/api/v1/me/", {"timezone": "localtime"}, format="json")
    assert (response.status_code, response.json()) == (400, {"timezone": [NOT_A_ZONE]})
    bob.refresh_from_db()
    assert bob.timezone == "UTC"


@pytest.mark.django_db
def test_the_api_stores_an_old_name_as_its_zone(bob):
    response = client_for(bob).patch("/api/v1/me/", {"timezone": "US/Eastern"}, format="json")
    assert (response.status_code, response.json()["timezone"]) == (200, "America/New_York")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["localtime", "Factory"])
def test_the_api_refuses_non_zones_on_a_session(alice, org, name):
    program = program_with_sides(organization=org)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    response = client_for(alice).post(f"/api/v1/programs/{program.pk}/sessions/", {
        "title": "Circle", "format": "storytelling", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(), "timezone": name,
    }, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "timezone": [f"{name} is not a known IANA timezone name (e.g. Asia/Nicosia)."]}


@pytest.mark.django_db
def test_the_profile_page_says_the_same(client, bob):
    client.force_login(bob)
    response = client.post("/me/profile/", {"display_name": "Bob", "timezone": "localtime",
                                     "language": "en"})
    assert response.context["form"].errors["timezone"] == [NOT_A_ZONE]


@pytest.mark.django_db
def test_a_stored_old_name_shows_as_its_zone_and_an_edit_keeps_the_place(client, org, alice):
    program = program_with_sides(organization=org)
    session = SessionFactory(program=program, timezone="Europe/Nicosia")
    client.force_login(alice)
    form = client.get(f"/sessions/{session.pk}/edit/").context["form"]
    assert form["timezone"].value() == "Asia/Nicosia"


# --- Programs -----------------------------------------------------------------------------


def program_fields(**overrides):
    return {"title": "Bridges", "kind": "dialogue", "starts_on": date(2027, 3, 1),
            "ends_on": date(2027, 3, 31), "capacity": 10, **overrides}


def create_program(org, actor, sides=("North", "South"), **overrides):
    return services.program_create(organization=org, actor=actor,
                                   sides=[SideSpec(name) for name in sides],
                                   **program_fields(**overrides))


def refused(org, actor, **overrides) -> dict:
    with pytest.raises(ValidationError) as err:
        create_program(org, actor, **overrides)
    assert Program.objects.count() == 0
    return err.value.message_dict


BEFORE_START = "The end date cannot be before the start date."
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")
UTC_MINUS_12 = timezone(-timedelta(hours=12))
LAST_DAY = "Applications must close by the end of the program's last day (2027-03-31)."


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "expected"), [
    ({"capacity": 100_001}, {"capacity": ["Ensure this value is less than or equal to 100000."]}),
    ({"capacity": 0}, {"capacity": ["Ensure this value is greater than or equal to 1."]}),
    ({"ends_on": date(9999, 12, 31)}, {"ends_on": [YEARS]}),  # finding 7
    ({"starts_on": date(1, 1, 1)}, {"starts_on": [YEARS]}),
    ({"ends_on": date(2027, 2, 28)}, {"ends_on": [BEFORE_START]}),
    ({"applications_close_at": datetime(2027, 4, 1, 12, 0, 1, tzinfo=UTC)},
     {"applications_close_at": [LAST_DAY]}),
    ({"applications_close_at": datetime(9999, 12, 31, 22, 0, tzinfo=PAGO_PAGO)},
     {"applications_close_at": [YEARS]}),
    ({"retention_days": 36_501},
     {"retention_days": ["Ensure this value is less than or equal to 36500."]}),
])
def test_program_limits_in_the_service(org, alice, overrides, expected):
    assert refused(org, alice, **overrides) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("overrides", [
    {"capacity": 100_000}, {"starts_on": date(1900, 1, 1)}, {"ends_on": date(2200, 12, 31)},
    # Until the last day has ended everywhere: 23:59 on 31 March at UTC-12.
    {"applications_close_at": datetime(2027, 3, 31, 23, 59, tzinfo=UTC_MINUS_12)},
    {"retention_days": 36_500},
])
def test_program_limits_are_inclusive(org, alice, overrides):
    create_program(org, alice, **overrides)


@pytest.mark.django_db
def test_every_program_error_is_reported_in_one_round(org, alice):
    assert set(refused(org, alice, sides=("Only",), capacity=0, ends_on=date(2027, 2, 1),
                       applications_close_at=datetime(2228, 1, 1, tzinfo=UTC))) == {
        "sides", "capacity", "ends_on", "applications_close_at"}


@pytest.mark.django_db
def test_an_update_to_extreme_dates_is_refused(org, alice):
    program = create_program(org, alice, retention_days=36_500)
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, ends_on=date(9999, 12, 31))
    assert err.value.message_dict == {"ends_on": [YEARS]}
    program.refresh_from_db()
    assert program.ends_on == date(2027, 3, 31)


API_BODY = {"organization": "bridges", "title": "Youth dialogue", "kind": "dialogue",
            "starts_on": "2027-03-01", "ends_on": "2027-03-10", "capacity": 10,
            "sides": [{"name": "North"}, {"name": "South"}]}


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"ends_on": "9999-12-31"}, "ends_on", YEARS),
    ({"starts_on": "0001-01-01"}, "starts_on", YEARS),
    ({"applications_close_at": "0001-01-01T00:00:00+05:00"}, "applications_close_at", YEARS),
    ({"applications_close_at": "9999-12-31T22:00:00-11:00"}, "applications_close_at", YEARS),
    ({"applications_close_at": "2027-03-11T12:00:01Z"}, "applications_close_at",
     "Applications must close by the end of the program's last day (2027-03-10)."),
    ({"capacity": 100_000_000_000}, "capacity",
     "Ensure this value is less than or equal to 100000."),
    ({"ends_on": "2027-02-01"}, "ends_on", BEFORE_START),
])
def test_the_api_answers_400_naming_the_field(alice, org, overrides, field, text):
    response = client_for(alice).post("/api/v1/programs/", {**API_BODY, **overrides},
                                      format="json")
    assert response.status_code == 400
    assert response.json() == {field: [text]}
    assert Program.objects.count() == 0


PAGE_DATA = {"title": "Youth dialogue", "kind": "dialogue", "starts_on": "2031-05-01",
             "ends_on": "2031-05-30", "capacity": "10", "balance": "parity",
             "side_id": ["", ""], "side_name": ["North", "South"]}


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"ends_on": "9999-12-31"}, "ends_on", YEARS),
    ({"capacity": "100000000000"}, "capacity",
     "Ensure this value is less than or equal to 100000."),
    ({"applications_close_at": "2031-06-02T09:00"}, "applications_close_at",
     "Applications must close by the end of the program's last day (2031-05-30)."),
])
def test_the_program_page_shows_the_same_messages(client, alice, org, overrides, field, text):
    client.force_login(alice)
    response = client.post("/orgs/bridges/programs/new/", {**PAGE_DATA, **overrides})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [text]
    assert Program.objects.count() == 0


@pytest.mark.django_db
def test_the_program_page_refuses_a_close_time_the_clocks_skip(client, alice, org):
    alice.timezone = "Europe/Berlin"
    alice.save()
    client.force_login(alice)
    response = client.post("/orgs/bridges/programs/new/", {
        **PAGE_DATA, "starts_on": "2031-04-01", "applications_close_at": "2031-03-30T02:30"})
    assert response.context["form"].errors["applications_close_at"] == [
        "02:30 does not exist in Europe/Berlin on 2031-03-30: clocks go from 02:00 to 03:00."]


@pytest.mark.django_db
def test_new_program_dates_must_still_hold_its_sessions(org, alice):
    program = create_program(org, alice, starts_on=date(2031, 3, 1), ends_on=date(2031, 3, 31))
    SessionFactory(program=program, starts_at=datetime(2031, 3, 10, 9, 0, tzinfo=UTC),
                   ends_at=datetime(2031, 3, 10, 11, 0, tzinfo=UTC))
    SessionFactory(program=program, starts_at=datetime(2031, 3, 20, 9, 0, tzinfo=UTC),
                   ends_at=datetime(2031, 3, 20, 11, 0, tzinfo=UTC), status="cancelled")
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, starts_on=date(2031, 3, 11),
                                ends_on=date(2031, 3, 15))
    assert err.value.message_dict == {
        "starts_on": ["1 session takes place before this date: move or cancel it first."]}
    services.program_update(program=program, actor=alice, ends_on=date(2031, 3, 10))


@pytest.mark.django_db
def test_date_filters_on_pages_keep_to_the_years(org):
    form = ActivityFilterForm(data={"since": "0001-01-01", "until": "2200-12-31"},
                              organization=org)
    assert form.errors == {"since": [YEARS]}
