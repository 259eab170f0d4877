import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from dialogues import services
from dialogues.models import RSVP, Outcome, Session
from participants.models import Notification
from tests.api.conftest import client_for
from tests.factories import (
    OutcomeFactory,
    RSVPFactory,
    SessionFactory,
    accepted_participant,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

START = "2031-03-31T09:00:00+03:00"
END = "2031-03-31T11:00:00+03:00"


def body(**overrides):
    return {"title": "Listening circle", "format": "storytelling", "starts_at": START,
            "ends_at": END, "timezone": "Asia/Nicosia", "location": "Ledra Palace",
            "online_url": "https://meet.example/room", "confidentiality": "chatham_house",
            **overrides}


@pytest.fixture
def published(org):
    """Under way from a month ago to the end of 2031: the past sessions and the days
    above lie within its dates."""
    return program_with_sides("North", "South", organization=org, title="Open exchange",
                              starts_on=timezone.localdate() - dt.timedelta(days=30),
                              ends_on=dt.date(2031, 12, 31))


@pytest.fixture
def session(published, fred):
    session = SessionFactory(program=published, online_url="https://meet.example/room",
                             location="Ledra Palace", confidentiality="chatham_house")
    session.facilitators.add(fred)
    return session


@pytest.fixture
def member(published):
    return accepted_participant(published, display_name="Petros")


# --- create and read ---


def test_post_session_as_coordinator_answers_utc(carol, published, fred):
    response = client_for(carol).post(f"/api/v1/programs/{published.pk}/sessions/",
                                      body(facilitators=[fred.pk]), format="json")
    assert response.status_code == 201
    data = response.json()
    session = Session.objects.get()
    assert data == {
        "id": session.pk, "program": published.pk, "title": "Listening circle",
        "format": "storytelling", "starts_at": "2031-03-31T06:00:00Z",
        "ends_at": "2031-03-31T08:00:00Z", "timezone": "Asia/Nicosia",
        "location": "Ledra Palace", "online_url": "https://meet.example/room",
        "capacity": None, "confidentiality": "chatham_house",
        "ground_rules": services.default_ground_rules("chatham_house"),
        "facilitators": [fred.pk], "group": None, "status": "scheduled",
        "venue_disclosed_at": None,
        "translations": {
            "title": {"en": "Listening circle"},
            "ground_rules": {"en": services.default_ground_rules("chatham_house")}},
    }


def test_post_session_naive_time_refused_naming_field(carol, published):
    response = client_for(carol).post(f"/api/v1/programs/{published.pk}/sessions/",
                                      body(starts_at="2031-03-31T09:00:00"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["starts_at"]


@pytest.mark.parametrize("override, field", [
    ({"ends_at": "2031-03-31T08:00:00+03:00"}, "ends_at"),
    ({"title": ""}, "title"),
    ({"format": "karaoke"}, "format"),
    ({"confidentiality": "secret"}, "confidentiality"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
])
def test_post_session_bad_input_names_the_field(carol, published, override, field):
    response = client_for(carol).post(f"/api/v1/programs/{published.pk}/sessions/",
                                      body(**override), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Session.objects.count() == 0


def test_post_session_facilitator_from_other_org_refused(carol, published, charlie, other_org):
    response = client_for(carol).post(f"/api/v1/programs/{published.pk}/sessions/",
                                      body(facilitators=[charlie.pk]), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "facilitators": ["Facilitators must be members of the program's organization."]}


@pytest.mark.parametrize("who, expected", [
    ("alice", 201), ("carol", 201), ("fred", 403), ("bob", 403), ("charlie", 403), (None, 401)])
def test_post_session_permissions(request, published, who, expected):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).post(f"/api/v1/programs/{published.pk}/sessions/", body(),
                                     format="json")
    assert response.status_code == expected


@pytest.mark.parametrize("who, expected", [
    ("alice", 200), ("bob", 404), ("charlie", 404), (None, 404)])
def test_sessions_of_draft_program_hidden(request, draft, who, expected):
    SessionFactory(program=draft)
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).get(f"/api/v1/programs/{draft.pk}/sessions/")
    assert response.status_code == expected


def test_session_of_other_org_draft_is_404(charlie, draft):
    session = SessionFactory(program=draft)
    assert client_for(charlie).get(f"/api/v1/sessions/{session.pk}/").status_code == 404
    assert client_for(charlie).post(f"/api/v1/sessions/{session.pk}/cancel/").status_code == 404


@pytest.mark.parametrize("who, sees_link", [
    ("alice", True), ("fred", True), ("member", True), ("bob", False), (None, False)])
def test_online_url_only_for_staff_facilitators_and_accepted(request, session, who, sees_link):
    user = request.getfixturevalue(who) if who else None
    data = client_for(user).get(f"/api/v1/sessions/{session.pk}/").json()
    assert data["online_url"] == ("https://meet.example/room" if sees_link else None)
    assert data["location"] == "Ledra Palace"


def test_status_completed_after_end(published, anon):
    past = timezone.now() - dt.timedelta(days=1)
    session = SessionFactory(program=published, starts_at=past - dt.timedelta(hours=1),
                             ends_at=past)
    assert anon.get(f"/api/v1/sessions/{session.pk}/").json()["status"] == "completed"


@pytest.mark.parametrize("rows", [1, 3])
def test_session_list_paginated_with_constant_queries(
        published, member, fred, django_assert_max_num_queries, rows):
    for _ in range(rows):
        SessionFactory(program=published).facilitators.add(fred)
    with django_assert_max_num_queries(7):
        response = client_for(member).get(f"/api/v1/programs/{published.pk}/sessions/")
    data = response.json()
    assert (data["count"], len(data["results"]), data["next"]) == (rows, rows, None)
    assert data["results"][0]["facilitators"] == [fred.pk]


# --- update and cancel ---


def test_times_before_year_1000_are_written_with_four_digit_years(anon, published):
    """ISO 8601 (and the schema's date-time format) wants 0999, not 999."""
    start = dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    session = SessionFactory(program=published, starts_at=start,
                             ends_at=start + dt.timedelta(hours=1))

    response = anon.get(f"/api/v1/sessions/{session.pk}/")

    assert (response.json()["starts_at"], response.json()["ends_at"]) == (
        "0999-01-02T03:04:05Z", "0999-01-02T04:04:05Z")


def test_patch_reschedule_by_staff(carol, session):
    response = client_for(carol).patch(f"/api/v1/sessions/{session.pk}/", {
        "starts_at": "2031-10-27T09:00:00+02:00", "ends_at": "2031-10-27T10:00:00+02:00"},
        format="json")
    assert response.status_code == 200
    assert response.json()["starts_at"] == "2031-10-27T07:00:00Z"


def test_patch_facilitator_only_ground_rules(fred, session):
    client = client_for(fred)
    ok = client.patch(f"/api/v1/sessions/{session.pk}/", {"ground_rules": "Listen."},
                      format="json")
    assert (ok.status_code, ok.json()["ground_rules"]) == (200, "Listen.")
    assert client.patch(f"/api/v1/sessions/{session.pk}/", {"title": "x"},
                        format="json").status_code == 403


def test_patch_by_participant_forbidden(member, session):
    response = client_for(member).patch(f"/api/v1/sessions/{session.pk}/",
                                        {"ground_rules": "x"}, format="json")
    assert response.status_code == 403


def test_cancel_notifies_everyone_who_might_come(carol, fred, session, member, published):
    # API v1.1: accepted participants who had not answered "no", and the facilitators.
    RSVPFactory(session=session, participant=member, response="yes",
                ground_rules_accepted_at=timezone.now())
    silent = accepted_participant(published)
    said_no = accepted_participant(published)
    RSVPFactory(session=session, participant=said_no, response="no")
    response = client_for(carol).post(f"/api/v1/sessions/{session.pk}/cancel/",
                                      {"reason": "Storm"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    told = Notification.objects.filter(kind="session_cancelled")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        [member.pk, silent.pk, fred.pk])
    again = client_for(carol).post(f"/api/v1/sessions/{session.pk}/cancel/")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_cancel_by_facilitator_forbidden(fred, session):
    assert client_for(fred).post(f"/api/v1/sessions/{session.pk}/cancel/").status_code == 403


# --- RSVP ---


def test_rsvp_codes(session, member, bob):
    url = f"/api/v1/sessions/{session.pk}/rsvp/"
    refused = client_for(bob).post(url, {"response": "yes"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_accepted")
    needs = client_for(member).post(url, {"response": "yes"}, format="json")
    assert (needs.status_code, needs.json()["code"]) == (409, "ground_rules_required")
    ok = client_for(member).post(url, {"response": "yes", "accept_ground_rules": True},
                                 format="json")
    assert ok.status_code == 200
    accepted_at = RSVP.objects.get().ground_rules_accepted_at
    assert ok.json() == {"response": "yes", "ground_rules_accepted_at":
                         accepted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_rsvp_capacity_full(published, session, member):
    Session.objects.filter(pk=session.pk).update(capacity=1, confidentiality="open")
    client_for(member).post(f"/api/v1/sessions/{session.pk}/rsvp/", {"response": "yes"},
                            format="json")
    late = accepted_participant(published)
    response = client_for(late).post(f"/api/v1/sessions/{session.pk}/rsvp/",
                                     {"response": "yes"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "capacity_full")


def test_rsvp_cancelled_session_invalid_transition(session, member):
    Session.objects.filter(pk=session.pk).update(status="cancelled")
    response = client_for(member).post(f"/api/v1/sessions/{session.pk}/rsvp/",
                                       {"response": "no"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_rsvp_bad_response_400(session, member):
    response = client_for(member).post(f"/api/v1/sessions/{session.pk}/rsvp/",
                                       {"response": "maybe"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["response"])


# --- attendees and attendance ---


@pytest.mark.parametrize("rows", [1, 3])
def test_attendees_bare_array_constant_queries(
        published, session, fred, django_assert_max_num_queries, rows):
    people = [accepted_participant(published) for _ in range(rows)]
    for person in people:
        RSVPFactory(session=session, participant=person)
    with django_assert_max_num_queries(8):
        response = client_for(fred).get(f"/api/v1/sessions/{session.pk}/attendees/")
    data = response.json()
    assert len(data) == rows
    assert data[0] == {"participant": {"id": data[0]["participant"]["id"],
                                       "display_name": data[0]["participant"]["display_name"]},
                       "side": "North", "response": "yes", "attended": None}
    assert "email" not in str(data)


@pytest.mark.parametrize("who, expected", [
    ("alice", 200), ("fred", 200), ("member", 403), ("charlie", 403), (None, 401)])
def test_attendees_permissions(request, session, who, expected):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).get(f"/api/v1/sessions/{session.pk}/attendees/")
    assert response.status_code == expected


def test_attendance_marks_and_reports_item_errors_in_order(session, fred, member, bob):
    RSVPFactory(session=session, participant=member)
    url = f"/api/v1/sessions/{session.pk}/attendance/"
    bad = client_for(fred).post(url, [
        {"participant": member.pk, "attended": True},
        {"participant": bob.pk, "attended": True},
        {"participant": member.pk},
    ], format="json")
    assert bad.status_code == 400
    assert bad.json() == [{}, {}, {"attended": ["This field is required."]}]
    bad = client_for(fred).post(url, [
        {"participant": member.pk, "attended": True},
        {"participant": bob.pk, "attended": True},
    ], format="json")
    assert bad.status_code == 400
    assert bad.json() == [
        {}, {"participant": ["This person has not answered this session's invitation."]}]
    assert RSVP.objects.get().attended is None
    ok = client_for(fred).post(url, [{"participant": member.pk, "attended": True}],
                               format="json")
    assert (ok.status_code, ok.json()[0]["attended"]) == (200, True)


# --- outcomes ---


@pytest.mark.parametrize("rule, author_shown", [
    ("open", True), ("chatham_house", False), ("off_record", False)])
def test_outcome_post_author_only_under_open(session, fred, rule, author_shown):
    Session.objects.filter(pk=session.pk).update(confidentiality=rule)
    response = client_for(fred).post(f"/api/v1/sessions/{session.pk}/outcomes/",
                                     {"kind": "idea", "text": "Joint choir"}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["kind"], data["text"]) == ("idea", "Joint choir")
    assert data["author"] == (fred.pk if author_shown else None)
    assert data["created_at"].endswith("Z")


def test_outcomes_off_record_only_for_yes(published, session, member, bob):
    Session.objects.filter(pk=session.pk).update(confidentiality="off_record")
    OutcomeFactory(session=session)
    url = f"/api/v1/sessions/{session.pk}/outcomes/"
    assert client_for(member).get(url).status_code == 403
    RSVPFactory(session=session, participant=member, response="yes")
    assert client_for(member).get(url).status_code == 200
    assert client_for(bob).get(url).status_code == 403


def test_outcomes_chatham_visible_to_accepted(session, member):
    OutcomeFactory(session=session, text="An agreement")
    data = client_for(member).get(f"/api/v1/sessions/{session.pk}/outcomes/").json()
    assert [(o["text"], o["author"]) for o in data] == [("An agreement", None)]


@pytest.mark.parametrize("rows", [1, 3])
def test_outcomes_constant_queries(session, alice, django_assert_max_num_queries, rows):
    for _ in range(rows):
        OutcomeFactory(session=session)
    with django_assert_max_num_queries(8):
        data = client_for(alice).get(f"/api/v1/sessions/{session.pk}/outcomes/").json()
    assert len(data) == rows


def test_outcome_post_by_participant_forbidden(session, member):
    response = client_for(member).post(f"/api/v1/sessions/{session.pk}/outcomes/",
                                       {"kind": "idea", "text": "x"}, format="json")
    assert response.status_code == 403
    assert Outcome.objects.count() == 0


# --- calendar ---


@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_calendar_ics_whatever_the_accept_header(session, member, accept):
    RSVPFactory(session=session, participant=member)
    response = client_for(member).get(f"/api/v1/sessions/{session.pk}/calendar.ics",
                                      HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == f"session-{session.pk}@127.0.0.1"
    assert event.decoded("DTSTART") == session.starts_at.replace(microsecond=0)
    assert event.decoded("DTEND") == session.ends_at.replace(microsecond=0)
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert b"DTSTART:" in response.content and b"Z\r\n" in response.content
    assert str(event["SUMMARY"]) == session.title
    assert str(event["LOCATION"]) == "Ledra Palace"
    assert b"Petros" not in response.content


def test_calendar_ics_hidden_draft_is_json_404(charlie, draft):
    session = SessionFactory(program=draft)
    response = client_for(charlie).get(f"/api/v1/sessions/{session.pk}/calendar.ics")
    assert response.status_code == 404


def test_calendar_ics_anonymous_has_no_link(session, anon):
    response = anon.get(f"/api/v1/sessions/{session.pk}/calendar.ics")
    assert b"meet.example" not in response.content


# --- concurrency (PostgreSQL) ---


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_yes_rsvps_respect_capacity():
    program = program_with_sides("North", "South")
    session = SessionFactory(program=program, capacity=3)
    people = [accepted_participant(program) for _ in range(10)]
    results, barrier = [], threading.Barrier(10)

    def answer(person):
        try:
            barrier.wait()
            response = client_for(person).post(f"/api/v1/sessions/{session.pk}/rsvp/",
                                               {"response": "yes"}, format="json")
            results.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == sorted([(200, None)] * 3 + [(409, "capacity_full")] * 7,
                                              key=str)
    assert RSVP.objects.filter(session=session, response="yes").count() == 3
