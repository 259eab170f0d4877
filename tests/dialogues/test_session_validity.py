"""When a session may be (API.md "Validity of programs and sessions"), on every path.

A session lies within its program's dates (from its first day's 00:00 to the end of
its last day, in the session's timezone), lasts at most 24 hours and cannot be
created or moved to start in the past; its times are in the years 1900–2200 and a
wall-clock time that a DST change skips is refused naming the gap. Findings 8 and 9
of the outside review, and reminder planning that never overflows, are guarded here.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.validity import canonical_timezones, known_timezones
from dialogues import services
from dialogues.models import Session
from dialogues.reminders import services as reminders
from exchanges import services as exchange_services
from exchanges.models import Program
from participants.models import Notification
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NICOSIA = ZoneInfo("Asia/Nicosia")
BERLIN = ZoneInfo("Europe/Berlin")
YEARS = "Give a date between the years 1900 and 2200."
PAST = "A session cannot start in the past."
TOO_LONG = "A session lasts at most 24 hours."
WITHIN = "A session takes place within its program's dates: 2031-01-01 to 2031-12-31 (in {})."
BY_THE_END = "A session ends by the end of its program's last day, 2031-12-31 (in {})."
BERLIN_GAP = "02:30 does not exist in Europe/Berlin on 2031-03-30: clocks go from 02:00 to 03:00."


def create(program, actor, *, starts_at, ends_at=None, timezone_name="Asia/Nicosia", **more):
    return services.session_create(
        program=program, actor=actor, title="Circle", format="storytelling",
        starts_at=starts_at, ends_at=ends_at or starts_at + dt.timedelta(hours=2),
        timezone=timezone_name, **more)


def refused(program, actor, **kwargs) -> dict:
    with pytest.raises(ValidationError) as err:
        create(program, actor, **kwargs)
    assert Session.objects.count() == 0
    return err.value.message_dict


# --- Within the program's dates, in the session's timezone ------------------------------


def test_the_first_minute_of_the_first_day_counts_in_the_sessions_zone(program_2031, alice):
    half_past_midnight = dt.datetime(2031, 1, 1, 0, 30, tzinfo=NICOSIA)  # 22:30 UTC the day before
    create(program_2031, alice, starts_at=half_past_midnight)
    Session.objects.all().delete()
    assert refused(program_2031, alice, starts_at=half_past_midnight, timezone_name="UTC") == {
        "starts_at": [WITHIN.format("UTC")]}


def test_a_session_ends_by_the_end_of_the_last_day(program_2031, alice):
    late = dt.datetime(2031, 12, 31, 22, 0, tzinfo=NICOSIA)
    create(program_2031, alice, starts_at=late, ends_at=late + dt.timedelta(hours=2))  # 24:00
    Session.objects.all().delete()
    assert refused(program_2031, alice, starts_at=late + dt.timedelta(days=1),
                   ends_at=late + dt.timedelta(days=1, hours=1)) == {
        "starts_at": [WITHIN.format("Asia/Nicosia")]}
    Session.objects.all().delete()
    assert refused(program_2031, alice, starts_at=late,
                   ends_at=late + dt.timedelta(hours=2, minutes=1)) == {
        "ends_at": [BY_THE_END.format("Asia/Nicosia")]}


def test_a_session_in_a_later_year_than_its_program_is_refused(program_2031, alice):
    start = dt.datetime(2032, 6, 1, 9, 0, tzinfo=NICOSIA)
    assert list(refused(program_2031, alice, starts_at=start)) == ["starts_at"]


# --- Length and order -----------------------------------------------------------------------


def test_a_session_lasts_at_most_24_hours(program_2031, alice):
    start = dt.datetime(2031, 5, 1, 9, 0, tzinfo=NICOSIA)
    create(program_2031, alice, starts_at=start, ends_at=start + dt.timedelta(hours=24))
    Session.objects.all().delete()
    assert refused(program_2031, alice, starts_at=start,
                   ends_at=start + dt.timedelta(hours=24, minutes=1)) == {"ends_at": [TOO_LONG]}
    assert refused(program_2031, alice, starts_at=start,
                   ends_at=start + dt.timedelta(days=14)) == {"ends_at": [TOO_LONG]}


def test_order_and_length_compare_instants_not_wall_clocks(program_2031, alice):
    """The night clocks go back: 02:50 summer time comes before 02:10 winter time."""
    before = dt.datetime(2031, 10, 26, 2, 50, tzinfo=BERLIN)  # fold=0: +02:00
    after = dt.datetime(2031, 10, 26, 2, 10, tzinfo=BERLIN, fold=1)  # +01:00
    session = create(program_2031, alice, starts_at=before, ends_at=after,
                     timezone_name="Europe/Berlin")
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=20)


# --- Not in the past ---------------------------------------------------------------------------


def test_a_session_cannot_be_created_in_the_past(program, alice):
    assert refused(program, alice, starts_at=timezone.now() - dt.timedelta(minutes=1)) == {
        "starts_at": [PAST]}


def test_a_session_cannot_be_moved_into_the_past(program, alice):
    session = create(program, alice, starts_at=timezone.now() + dt.timedelta(days=1))
    start = timezone.now() - dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as err:
        services.session_update(session=session, actor=alice, starts_at=start,
                                ends_at=start + dt.timedelta(hours=2))
    assert err.value.message_dict == {"starts_at": [PAST]}


def test_a_past_session_can_still_be_edited_and_an_ongoing_one_extended(program, alice):
    now = timezone.now()
    past = SessionFactory(program=program, starts_at=now - dt.timedelta(days=2),
                          ends_at=now - dt.timedelta(days=2) + dt.timedelta(hours=2))
    services.session_update(session=past, actor=alice, ground_rules="We listened.")
    ongoing = SessionFactory(program=program, starts_at=now - dt.timedelta(hours=1),
                             ends_at=now + dt.timedelta(hours=1))
    services.session_update(session=ongoing, actor=alice, ends_at=now + dt.timedelta(hours=2))


def test_the_edit_page_of_a_completed_session_saves_without_moving_it(client, alice, program):
    now = timezone.now().replace(second=30)  # stored with seconds the form does not show
    past = SessionFactory(program=program, starts_at=now - dt.timedelta(days=1),
                          ends_at=now - dt.timedelta(days=1) + dt.timedelta(hours=2))
    client.force_login(alice)
    form = client.get(f"/sessions/{past.pk}/edit/").context["form"]
    data = {name: form[name].value() for name in ("title", "format", "timezone", "location",
                                                  "confidentiality", "ground_rules")}
    data.update(starts_at=form["starts_at"].value().strftime("%Y-%m-%dT%H:%M"),
                ends_at=form["ends_at"].value().strftime("%Y-%m-%dT%H:%M"), title="Renamed")
    response = client.post(f"/sessions/{past.pk}/edit/", data)
    assert response.status_code == 302
    past.refresh_from_db()
    assert (past.title, past.starts_at) == ("Renamed", now - dt.timedelta(days=1))


# --- DST gaps (finding 9) ------------------------------------------------------------------


def test_the_schedule_page_refuses_a_start_in_a_dst_gap(client, alice, program_2031):
    """Before: 02:30 (skipped) to 03:10 passed in Python and broke the database's rule: 500."""
    client.force_login(alice)
    response = client.post(f"/programs/{program_2031.pk}/sessions/new/", {
        "title": "Circle", "format": "storytelling", "starts_at": "2031-03-30T02:30",
        "ends_at": "2031-03-30T03:10", "timezone": "Europe/Berlin", "confidentiality": "open",
    })
    assert response.status_code == 200
    assert response.context["form"].errors == {"starts_at": [BERLIN_GAP]}
    assert BERLIN_GAP in response.content.decode()
    assert Session.objects.count() == 0


def test_the_service_refuses_a_zone_aware_time_in_a_gap(program_2031, alice):
    start = dt.datetime(2031, 3, 30, 2, 30, tzinfo=BERLIN)
    assert refused(program_2031, alice, starts_at=start, ends_at=start + dt.timedelta(hours=1),
                   timezone_name="Europe/Berlin") == {"starts_at": [BERLIN_GAP]}


def test_the_api_has_no_gaps_its_offsets_fix_the_instant(alice, program_2031):
    response = client_for(alice).post(f"/api/v1/programs/{program_2031.pk}/sessions/", {
        "title": "Circle", "format": "storytelling", "starts_at": "2031-03-30T02:30:00+01:00",
        "ends_at": "2031-03-30T04:00:00+02:00", "timezone": "Europe/Berlin"}, format="json")
    assert response.status_code == 201
    assert response.json()["starts_at"] == "2031-03-30T01:30:00Z"


def test_the_schedule_page_reads_a_repeated_hour_as_its_first_time(client, alice, program_2031):
    client.force_login(alice)
    client.post(f"/programs/{program_2031.pk}/sessions/new/", {
        "title": "Circle", "format": "storytelling", "starts_at": "2031-10-26T02:30",
        "ends_at": "2031-10-26T04:00", "timezone": "Europe/Berlin", "confidentiality": "open",
    })
    session = Session.objects.get()
    assert session.starts_at == dt.datetime(2031, 10, 26, 0, 30, tzinfo=UTC)  # still summer
    assert session.ends_at - session.starts_at == dt.timedelta(hours=2, minutes=30)


# --- Years (finding 8) ---------------------------------------------------------------------


def test_the_schedule_page_refuses_a_start_past_year_9999_in_utc(client, alice, program, bob):
    """Before: stored, and then every list of sessions answered 500 for everyone."""
    client.force_login(alice)
    response = client.post(f"/programs/{program.pk}/sessions/new/", {
        "title": "Circle", "format": "storytelling", "starts_at": "9999-12-31T22:00",
        "ends_at": "9999-12-31T23:00", "timezone": "Pacific/Pago_Pago", "confidentiality": "open",
    })
    assert response.status_code == 200
    assert response.context["form"].errors == {"starts_at": [YEARS], "ends_at": [YEARS]}
    assert Session.objects.count() == 0
    assert client.get(f"/programs/{program.pk}/sessions/").status_code == 200
    assert client_for(bob).get(f"/api/v1/programs/{program.pk}/sessions/").status_code == 200


@pytest.mark.parametrize(("starts_at", "ends_at"), [
    ("9999-12-31T22:00:00-11:00", "9999-12-31T23:00:00-11:00"),
    ("0001-01-01T00:00:00+05:00", "0001-01-01T01:00:00+05:00"),
    ("1899-12-31T10:00:00Z", "1899-12-31T11:00:00Z"),
    ("2201-01-01T10:00:00Z", "2201-01-01T11:00:00Z"),
])
def test_the_api_refuses_times_outside_the_years_naming_both_fields(alice, program, starts_at,
                                                                    ends_at):
    response = client_for(alice).post(f"/api/v1/programs/{program.pk}/sessions/", {
        "title": "Circle", "format": "storytelling", "starts_at": starts_at, "ends_at": ends_at,
        "timezone": "UTC"}, format="json")
    assert (response.status_code, response.json()) == (
        400, {"starts_at": [YEARS], "ends_at": [YEARS]})


def test_the_api_refuses_a_move_into_the_past_naming_starts_at(alice, program):
    session = SessionFactory(program=program)
    start = timezone.now() - dt.timedelta(hours=3)
    response = client_for(alice).patch(f"/api/v1/sessions/{session.pk}/", {
        "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=1)).isoformat()},
        format="json")
    assert (response.status_code, response.json()) == (400, {"starts_at": [PAST]})


# --- Reminder planning never overflows (finding 8) ----------------------------------------


@pytest.fixture
def scheduled(program):
    reminders.default_schedule(sender=None, program=program)
    return program


def accept_someone(program, actor):
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=UserFactory())
    exchange_services.application_accept(application=application, actor=actor)
    return application.applicant


def test_planning_for_a_program_ending_on_the_last_day_of_the_calendar(scheduled, alice):
    """Rows stored before the rule: accepting someone plans what the calendar can hold."""
    Program.objects.filter(pk=scheduled.pk).update(ends_on=dt.date(9999, 12, 31))
    scheduled.refresh_from_db()
    session = SessionFactory(program=scheduled)
    person = accept_someone(scheduled, alice)
    kinds = set(Notification.objects.filter(recipient=person, kind__in=reminders.REMINDER_KINDS)
                .values_list("kind", flat=True))
    assert kinds == {"session_reminder", "session_followup"}
    assert reminders.program_followup_base(scheduled) is None
    reminders.session_rescheduled(session=session)


@pytest.mark.parametrize(("starts_at", "ends_at"), [
    (dt.datetime(1, 1, 1, 1, 0, tzinfo=UTC), dt.datetime(1, 1, 1, 3, 0, tzinfo=UTC)),
    (dt.datetime(9999, 12, 31, 20, 0, tzinfo=UTC), dt.datetime(9999, 12, 31, 23, 0, tzinfo=UTC)),
])
def test_planning_around_a_session_at_the_edge_of_the_calendar(scheduled, alice, starts_at,
                                                               ends_at):
    session = SessionFactory(program=scheduled)
    Session.objects.filter(pk=session.pk).update(starts_at=starts_at, ends_at=ends_at)
    person = accept_someone(scheduled, alice)
    assert not Notification.objects.filter(recipient=person, context__session=session.pk)
    reminders.replan_program(program=scheduled)


# --- Properties: random times and zones give a valid session or a clean refusal --------------

TIME_FIELDS = {"starts_at", "ends_at", "timezone"}
ZONES = sorted(canonical_timezones())
# Wall clocks around the changes of a few zones: gaps, repeated hours, half-hour shifts.
CHANGES = [
    (dt.datetime(2031, 3, 30, 2, 0), "Europe/Berlin"),
    (dt.datetime(2031, 10, 26, 2, 0), "Europe/Berlin"),
    (dt.datetime(2031, 3, 30, 3, 0), "Asia/Nicosia"),
    (dt.datetime(2031, 3, 9, 2, 0), "America/New_York"),
    (dt.datetime(2031, 11, 2, 1, 0), "America/New_York"),
    (dt.datetime(2031, 10, 5, 2, 0), "Australia/Lord_Howe"),
    (dt.datetime(2031, 9, 7, 0, 0), "America/Santiago"),
]
zone_names = st.one_of(
    st.sampled_from(ZONES),
    st.sampled_from(["US/Eastern", "Europe/Nicosia", "Etc/GMT-14", "localtime", "Factory",
                     "posixrules", "Mars/Olympus", "", "UTC"]),
)


@st.composite
def wall_times(draw):
    """A zone-aware start (maybe inside a gap or a repeated hour) and a length."""
    kind = draw(st.sampled_from(["change", "program", "anywhere"]))
    if kind == "change":
        wall, zone = draw(st.sampled_from(CHANGES))
        wall += dt.timedelta(minutes=draw(st.integers(-150, 150)))
    elif kind == "program":
        zone = draw(st.sampled_from(ZONES))
        wall = draw(st.datetimes(min_value=dt.datetime(2030, 12, 30),
                                 max_value=dt.datetime(2032, 1, 2)))
    else:
        zone = draw(st.sampled_from(ZONES))
        wall = draw(st.datetimes(min_value=dt.datetime(1, 1, 2),
                                 max_value=dt.datetime(9999, 12, 30)))
    start = wall.replace(tzinfo=ZoneInfo(zone), fold=draw(st.integers(0, 1)))
    length = dt.timedelta(minutes=draw(st.integers(-120, 26 * 60)))
    return start, length


def assert_valid(session: Session, program: Program, started_after: dt.datetime) -> None:
    session.refresh_from_db()
    first, after_last = session.program_bounds(program)
    assert first <= session.starts_at < session.ends_at <= after_last
    assert session.ends_at - session.starts_at <= dt.timedelta(hours=24)
    assert session.starts_at >= started_after
    assert session.timezone in known_timezones()
    assert session.timezone == session.timezone.strip()


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY_SETTINGS
@given(when=wall_times(), zone=zone_names)
def test_any_time_and_zone_through_the_service(program_2031, alice, when, zone):
    start, length = when
    began = timezone.now()
    with transaction.atomic():
        try:
            session = create(program_2031, alice, starts_at=start, ends_at=start + length,
                             timezone_name=zone)
        except ValidationError as exc:
            assert set(exc.message_dict) <= TIME_FIELDS, exc.message_dict
            assert all(exc.message_dict.values())
            event(f"refused: {sorted(exc.message_dict)}")
        else:
            event("created")
            assert_valid(session, program_2031, began)
            assert session.starts_at == start.astimezone(UTC)  # the instant, not a wall clock
        transaction.set_rollback(True)


offsets = st.one_of(
    st.just("Z"),
    st.builds(lambda sign, h, m: f"{sign}{h:02d}:{m:02d}", st.sampled_from("+-"),
              st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59])),
    st.just(""),  # no offset: refused
)


@st.composite
def iso_times(draw):
    """ISO 8601 starts and ends as a client sends them: any year, any offset or none."""
    wall = draw(st.one_of(
        st.datetimes(min_value=dt.datetime(2030, 12, 30), max_value=dt.datetime(2032, 1, 2)),
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 30)),
    ))
    end = wall + dt.timedelta(minutes=draw(st.integers(-120, 26 * 60)))
    return (wall.strftime("%Y-%m-%dT%H:%M:%S") + draw(offsets),
            end.strftime("%Y-%m-%dT%H:%M:%S") + draw(offsets))


@PROPERTY_SETTINGS
@given(times=iso_times(), zone=zone_names)
def test_any_time_and_zone_through_the_api(program_2031, alice, times, zone):
    starts_at, ends_at = times
    began = timezone.now()
    with transaction.atomic():
        response = client_for(alice).post(f"/api/v1/programs/{program_2031.pk}/sessions/", {
            "title": "Circle", "format": "storytelling", "starts_at": starts_at,
            "ends_at": ends_at, "timezone": zone}, format="json")
        event(f"answered {response.status_code}")
        if response.status_code == 201:
            assert_valid(Session.objects.get(pk=response.json()["id"]), program_2031, began)
        else:
            assert response.status_code == 400, response.content
            assert set(response.json()) <= TIME_FIELDS, response.json()
        transaction.set_rollback(True)
