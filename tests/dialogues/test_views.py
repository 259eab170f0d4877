import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from dialogues import services
from dialogues.models import RSVP, CalendarFeed, Outcome, Session
from exchanges.models import ActivityLog, Program
from tests.factories import (
    OutcomeFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
)

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def session(program, facilitator):
    session = SessionFactory(program=program, title="Listening circle",
                             online_url="https://meet.example/room", location="Ledra Palace",
                             confidentiality="chatham_house",
                             ground_rules="We do not quote anyone.")
    session.facilitators.add(facilitator)
    return session


# --- Scheduling ---


def test_schedule_form_stores_wall_time_in_chosen_zone(client, alice, program_2031,
                                                       facilitator):
    program = program_2031
    response = signed_in(client, alice).post(f"/programs/{program.pk}/sessions/new/", {
        "title": "Listening circle", "format": "storytelling",
        "starts_at": "2031-03-31T09:00", "ends_at": "2031-03-31T11:00",
        "timezone": "Europe/Nicosia", "confidentiality": "chatham_house",
        "facilitators": [facilitator.pk], "ground_rules": "",
    })
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert session.starts_at == dt.datetime(2031, 3, 31, 6, 0, tzinfo=dt.UTC)
    assert session.timezone == "Asia/Nicosia"  # the old name is stored as its zone
    assert session.ground_rules == services.default_ground_rules("chatham_house")
    assert list(session.facilitators.all()) == [facilitator]


def test_schedule_form_end_before_start_shows_error_beside_field(client, alice, program_2031):
    response = signed_in(client, alice).post(f"/programs/{program_2031.pk}/sessions/new/", {
        "title": "Circle", "format": "storytelling", "starts_at": "2031-03-31T09:00",
        "ends_at": "2031-03-31T08:00", "timezone": "Asia/Nicosia", "confidentiality": "open",
    })
    assert response.status_code == 200
    assert response.context["form"].errors == {"ends_at": ["The end must be after the start."]}
    assert Session.objects.count() == 0


def test_schedule_form_unknown_timezone_refused(client, alice, program):
    response = signed_in(client, alice).post(f"/programs/{program.pk}/sessions/new/", {
        "title": "Circle", "format": "storytelling", "starts_at": "2027-03-29T09:00",
        "ends_at": "2027-03-29T10:00", "timezone": "Mars/Olympus", "confidentiality": "open",
    })
    assert list(response.context["form"].errors) == ["timezone"]


def test_schedule_page_defaults_to_the_programs_zone(client, alice, program):
    alice.timezone = "Europe/Athens"
    alice.save()
    program.timezone = "Asia/Nicosia"
    program.save()
    response = signed_in(client, alice).get(f"/programs/{program.pk}/sessions/new/")
    assert response.context["form"]["timezone"].value() == "Asia/Nicosia"


def test_schedule_page_for_participant_forbidden_and_other_org_draft_404(
        client, participant, program, charlie):
    assert signed_in(client, participant).get(
        f"/programs/{program.pk}/sessions/new/").status_code == 403
    program.status = "draft"
    program.save()
    assert signed_in(client, charlie).get(f"/programs/{program.pk}/sessions/").status_code == 404


def test_edit_form_shows_wall_time_in_session_zone(client, alice, session):
    Program.objects.filter(pk=session.program_id).update(ends_on=dt.date(2031, 12, 31))
    Session.objects.filter(pk=session.pk).update(  # the day after clocks go back
        starts_at=dt.datetime(2031, 10, 27, 7, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2031, 10, 27, 9, 0, tzinfo=dt.UTC), timezone="Asia/Nicosia")
    response = signed_in(client, alice).get(f"/sessions/{session.pk}/edit/")
    assert 'value="2031-10-27T09:00"' in response.content.decode()


def test_cancel_page_cancels_with_reason(client, alice, session, participant):
    RSVPFactory(session=session, participant=participant)
    response = signed_in(client, alice).post(f"/sessions/{session.pk}/cancel/",
                                             {"reason": "Roads closed"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("cancelled", "Roads closed")


# --- The session page ---


def test_session_page_participant_sees_rules_checkbox_and_link(client, session, participant):
    html = signed_in(client, participant).get(f"/sessions/{session.pk}/").content.decode()
    assert "We do not quote anyone." in html
    assert "I accept the ground rules" in html
    assert "https://meet.example/room" in html
    assert "Export attendees" not in html


def test_session_page_outsider_sees_no_link(client, session, bob):
    html = signed_in(client, bob).get(f"/sessions/{session.pk}/").content.decode()
    assert "https://meet.example/room" not in html
    assert "Are you coming?" not in html


def test_session_page_rsvp_with_ground_rules(client, session, participant):
    client = signed_in(client, participant)
    client.post(f"/sessions/{session.pk}/rsvp/", {"response": "yes"})
    assert RSVP.objects.count() == 0
    client.post(f"/sessions/{session.pk}/rsvp/", {"response": "yes",
                                                   "accept_ground_rules": "on"})
    rsvp = RSVP.objects.get()
    assert rsvp.response == "yes" and rsvp.ground_rules_accepted_at is not None
    html = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "I accept the ground rules" not in html
    assert "Your answer: yes, you are coming." in html


def test_session_page_staff_sees_attendees_with_side_and_headcount(
        client, program, session, facilitator, participant):
    RSVPFactory(session=session, participant=participant, attended=True)
    html = signed_in(client, facilitator).get(f"/sessions/{session.pk}/").content.decode()
    assert "Petros" in html
    assert "<strong><bdi>Greek Cypriot</bdi></strong>:" in html
    assert "1 said yes · 1 attended" in html
    assert "Export attendees (CSV)" not in html
    assert participant.email not in html


def test_attendance_htmx_returns_row_and_headcount(client, session, facilitator, participant):
    RSVPFactory(session=session, participant=participant)
    response = signed_in(client, facilitator).post(
        f"/sessions/{session.pk}/attendance/", {"participant": participant.pk, "attended": "yes"},
        HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert f'<tr id="attendee-{participant.pk}">' in html
    assert 'hx-swap-oob="true"' in html
    assert RSVP.objects.get().attended is True


def test_attendance_plain_post_redirects(client, session, facilitator, participant):
    RSVPFactory(session=session, participant=participant)
    response = signed_in(client, facilitator).post(
        f"/sessions/{session.pk}/attendance/", {"participant": participant.pk, "attended": "no"})
    assert response["Location"] == f"/sessions/{session.pk}/#attendance"
    assert RSVP.objects.get().attended is False


def test_attendance_by_participant_changes_nothing(client, session, participant):
    RSVPFactory(session=session, participant=participant)
    response = signed_in(client, participant).post(
        f"/sessions/{session.pk}/attendance/", {"participant": participant.pk, "attended": "yes"})
    assert response.status_code == 403
    assert RSVP.objects.get().attended is None


def test_outcome_recorded_unattributed_under_chatham(client, session, facilitator, participant):
    signed_in(client, facilitator).post(f"/sessions/{session.pk}/outcomes/",
                                        {"kind": "idea", "text": "A joint choir"})
    assert Outcome.objects.get().author is None
    html = signed_in(client, participant).get(f"/sessions/{session.pk}/").content.decode()
    assert "A joint choir" in html
    assert "Recorded by" not in html


def test_outcome_attributed_under_open(client, session, facilitator, participant):
    Session.objects.filter(pk=session.pk).update(confidentiality="open")
    signed_in(client, facilitator).post(f"/sessions/{session.pk}/outcomes/",
                                        {"kind": "action", "text": "Write to the mayors"})
    html = signed_in(client, participant).get(f"/sessions/{session.pk}/").content.decode()
    assert "Recorded by <bdi>Fatma</bdi>" in html


def test_off_record_outcomes_hidden_until_yes(client, session, participant):
    Session.objects.filter(pk=session.pk).update(confidentiality="off_record")
    OutcomeFactory(session=session, text="Secret idea")
    client = signed_in(client, participant)
    assert "Secret idea" not in client.get(f"/sessions/{session.pk}/").content.decode()
    RSVPFactory(session=session, participant=participant, response="yes")
    assert "Secret idea" in client.get(f"/sessions/{session.pk}/").content.decode()


def test_attendee_export_only_under_open_and_logged(client, alice, session, participant):
    RSVPFactory(session=session, participant=participant)
    client = signed_in(client, alice)
    assert client.get(f"/sessions/{session.pk}/attendees.csv").status_code == 404
    Session.objects.filter(pk=session.pk).update(confidentiality="open")
    assert "Export attendees (CSV)" in client.get(f"/sessions/{session.pk}/").content.decode()
    response = client.get(f"/sessions/{session.pk}/attendees.csv")
    assert response.content.decode().splitlines() == [
        "Display name,Side,Answer,Attended", "Petros,Greek Cypriot,yes,"]
    assert ActivityLog.objects.filter(verb="session.attendees_exported").count() == 1


def test_session_ics_download(client, session, participant):
    RSVPFactory(session=session, participant=participant)
    response = signed_in(client, participant).get(f"/sessions/{session.pk}/calendar.ics")
    assert response["Content-Disposition"] == f'attachment; filename="session-{session.pk}.ics"'
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert (str(event["SUMMARY"]), str(event["LOCATION"])) == ("Listening circle",
                                                               "Ledra Palace")
    assert event.decoded("DTEND").utcoffset() == dt.timedelta(0)
    assert b"Petros" not in response.content


# --- Agenda and my sessions ---


@pytest.mark.parametrize("rows", [1, 3])
def test_agenda_groups_by_day_with_constant_queries(
        client, alice, program, facilitator, django_assert_max_num_queries, rows):
    Program.objects.filter(pk=program.pk).update(starts_on=dt.date(2031, 3, 1),
                                                 ends_on=dt.date(2031, 3, 31))
    program.refresh_from_db()
    start = dt.datetime(2031, 3, 3, 9, 0, tzinfo=dt.UTC)
    for i in range(rows):
        SessionFactory(program=program, starts_at=start + dt.timedelta(days=i),
                       ends_at=start + dt.timedelta(days=i, hours=2)).facilitators.add(
                           facilitator)
    client = signed_in(client, alice)
    with django_assert_max_num_queries(12):
        response = client.get(f"/programs/{program.pk}/sessions/")
    assert [day for day, _items in response.context["days"]] == [
        (start + dt.timedelta(days=i)).date() for i in range(rows)]
    assert "Monday 3 March 2031" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 3])
def test_my_sessions_upcoming_and_past_constant_queries(
        client, program, participant, django_assert_max_num_queries, rows):
    now = timezone.now()
    for i in range(rows):
        SessionFactory(program=program, starts_at=now + dt.timedelta(days=i + 1),
                       ends_at=now + dt.timedelta(days=i + 1, hours=1))
        SessionFactory(program=program, starts_at=now - dt.timedelta(days=i + 1),
                       ends_at=now - dt.timedelta(days=i + 1) + dt.timedelta(hours=1))
    services.calendar_feed_get_or_create(user=participant)
    client = signed_in(client, participant)
    with django_assert_max_num_queries(10):
        response = client.get("/me/sessions/")
    assert (len(response.context["upcoming"]), len(response.context["past"])) == (rows, rows)


def test_my_sessions_shows_viewer_time_and_session_zone(client, program):
    person = accepted_participant(program, timezone="America/New_York")
    Program.objects.filter(pk=program.pk).update(ends_on=dt.date(2031, 12, 31))
    program.refresh_from_db()
    SessionFactory(program=program, timezone="Asia/Nicosia",
                   starts_at=dt.datetime(2031, 3, 31, 6, 0, tzinfo=dt.UTC),
                   ends_at=dt.datetime(2031, 3, 31, 8, 0, tzinfo=dt.UTC))
    html = signed_in(client, person).get("/me/sessions/").content.decode()
    assert ("Mon 31 Mar 2031, 02:00 (New York, UTC−4) · Mon 31 Mar 2031, 09:00 (Nicosia, UTC+3)"
            in html)


def test_my_sessions_lists_facilitated_but_not_other_programs(client, program, session,
                                                              facilitator):
    SessionFactory(title="Not mine")
    html = signed_in(client, facilitator).get("/me/sessions/").content.decode()
    assert "Listening circle" in html
    assert "You facilitate this session." in html
    assert "Not mine" not in html


def test_calendar_feed_lists_own_sessions_without_names(client, program, session, participant):
    RSVPFactory(session=session, participant=participant)
    SessionFactory(title="Elsewhere")
    feed = services.calendar_feed_get_or_create(user=participant)
    response = client.get(f"/calendar/{feed.token}.ics")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Listening circle"]
    for event in events:
        assert {"UID", "DTSTART", "DTEND", "SUMMARY", "LOCATION"} <= set(event)
        assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert b"Petros" not in response.content and b"Fatma" not in response.content


def test_calendar_feed_revoke_kills_old_url(client, participant):
    client = signed_in(client, participant)
    client.get("/me/sessions/")
    old = CalendarFeed.objects.get(user=participant).token
    assert f"/calendar/{old}.ics" in client.get("/me/sessions/").content.decode()
    client.post("/me/sessions/calendar/revoke/")
    new = CalendarFeed.objects.get(user=participant).token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


def test_session_page_times_in_viewer_zone(client, program, session):
    viewer = UserFactory(timezone="Asia/Kolkata")
    Program.objects.filter(pk=session.program_id).update(ends_on=dt.date(2031, 12, 31))
    Session.objects.filter(pk=session.pk).update(
        starts_at=dt.datetime(2031, 3, 31, 9, 0, tzinfo=ZoneInfo("Asia/Nicosia")),
        ends_at=dt.datetime(2031, 3, 31, 11, 0, tzinfo=ZoneInfo("Asia/Nicosia")))
    html = signed_in(client, viewer).get(f"/sessions/{session.pk}/").content.decode()
    assert "Mon 31 Mar 2031, 11:30 (Kolkata, UTC+5:30)" in html
