"""Late venue disclosure (API.md "Safety"): before a session's disclosure time no
participant-facing surface carries its place or online link; staff, custodians and the
session's facilitators see them all along; afterwards they reach everyone as before.

The world: a program whose one session starts in a week. "Before" sets the program's
`venue_disclosure_hours` to 24 (disclosed six days from now), "after" to 200 (disclosed
since a day ago).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from dialogues import venue
from dialogues.models import CalendarFeed, Session
from dialogues.selectors import program_access
from exchanges.models import Membership
from participants.models import Notification
from participants.outbox import dispatch
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    NotificationFactory,
    OrganizationFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

PLACE = "Hidden Courtyard 7"
LINK = "https://meet.example/secret-room"
BEFORE, AFTER = 24, 200
CALLERS = ("anonymous", "participant", "applicant", "accepted", "facilitator",
           "other_facilitator", "custodian", "coordinator", "owner", "other_owner")
# Who sees the place before disclosure; and the link, at any time.
EARLY = {"facilitator", "custodian", "coordinator", "owner"}
LINK_VIEWERS = EARLY | {"accepted"}


@pytest.fixture
def world():
    org = OrganizationFactory(slug="safe")
    people = {name: UserFactory(display_name=name.title()) for name in CALLERS[1:]}
    for name, role in (("facilitator", "facilitator"), ("other_facilitator", "facilitator"),
                       ("custodian", "custodian"), ("coordinator", "coordinator"),
                       ("owner", "owner")):
        MembershipFactory(organization=org, user=people[name], role=role)
    MembershipFactory(user=people["other_owner"], role="owner")
    program = program_with_sides("North", "South", organization=org, title="Quiet exchange",
                                 venue_disclosure_hours=BEFORE)
    north = program.sides.first()
    ApplicationFactory(program=program, side=north, applicant=people["applicant"])
    ApplicationFactory(program=program, side=north, applicant=people["accepted"],
                       status="accepted")
    session = SessionFactory(program=program, title="Courtyard circle", location=PLACE,
                             online_url=LINK)
    session.facilitators.set([people["facilitator"]])
    return {"org": org, "people": people, "program": program, "session": session}


def disclose(world, hours):
    world["program"].venue_disclosure_hours = hours
    world["program"].save()


def client_for(world, caller) -> Client:
    client = Client()
    if caller != "anonymous":
        client.force_login(world["people"][caller])
    return client


def body(response) -> str:
    return b"".join(response).decode()


# --- The rule, in one place -------------------------------------------------------------


def test_disclosure_time_is_the_start_minus_the_hours(world):
    session = world["session"]
    at = session.starts_at - timedelta(hours=BEFORE)

    assert session.venue_disclosed_at == at
    assert not venue.is_disclosed(session, at - timedelta(seconds=1))
    assert venue.is_disclosed(session, at)


def test_no_delay_means_no_disclosure_time(world):
    disclose(world, None)

    assert world["session"].venue_disclosed_at is None
    assert venue.is_disclosed(world["session"], timezone.now() - timedelta(days=3650))


def test_zero_hours_discloses_at_the_start(world):
    disclose(world, 0)
    session = Session.objects.select_related("program").get(pk=world["session"].pk)

    assert session.venue_disclosed_at == session.starts_at


@pytest.mark.parametrize("caller", CALLERS)
def test_who_sees_the_venue_before_and_after(world, caller):
    session = world["session"]
    person = world["people"].get(caller)
    access = program_access(person or AnonymousUser(), world["program"])
    before = access.venue(session, session.venue_disclosed_at - timedelta(minutes=1))
    after = access.venue(session, session.venue_disclosed_at)

    assert (before.location == PLACE) == (caller in EARLY)
    assert before.withheld == (caller not in EARLY)
    assert (before.online_url == LINK) == (caller in EARLY)
    assert after.location == PLACE
    assert (after.online_url == LINK) == (caller in LINK_VIEWERS)


def test_a_facilitator_who_leaves_the_organization_no_longer_sees_early(world):
    Membership.objects.filter(user=world["people"]["facilitator"]).delete()
    access = program_access(world["people"]["facilitator"], world["program"])

    assert access.venue(world["session"]).withheld


def test_a_session_shown_to_a_viewer_cannot_be_saved(world):
    session = venue.show(world["session"], program_access(world["people"]["accepted"],
                                                           world["program"]).venue(
        world["session"]))

    with pytest.raises(RuntimeError):
        session.save()
    assert Session.objects.get(pk=session.pk).location == PLACE


# --- Every surface, for every caller --------------------------------------------------


def _surfaces(world) -> dict:
    session, program = world["session"], world["program"]
    return {
        "session page": f"/sessions/{session.pk}/",
        "program sessions page": f"/programs/{program.pk}/sessions/",
        "program page": f"/programs/{program.pk}/",
        "my sessions": "/me/sessions/",
        "messages page": "/me/messages/",
        "session .ics": f"/sessions/{session.pk}/calendar.ics",
        "api session": f"/api/v1/sessions/{session.pk}/",
        "api session list": f"/api/v1/programs/{program.pk}/sessions/",
        "api session .ics": f"/api/v1/sessions/{session.pk}/calendar.ics",
    }


def _shown(world, caller) -> dict[str, tuple[bool, bool]]:
    client = client_for(world, caller)
    shown = {}
    for name, url in _surfaces(world).items():
        response = client.get(url)
        assert response.status_code in (200, 302, 401), (name, response.status_code)
        text = body(response)
        shown[name] = (PLACE in text, LINK in text)
    return shown


@pytest.mark.parametrize("caller", CALLERS)
def test_before_disclosure_only_staff_custodians_and_facilitators_see_the_venue(world, caller):
    shown = _shown(world, caller)

    if caller in EARLY:
        assert shown["session page"] == (True, True)
        assert shown["api session"] == (True, True)
        assert shown["session .ics"][0]
    else:
        assert shown == {name: (False, False) for name in shown}, caller


@pytest.mark.parametrize("caller", CALLERS)
def test_after_disclosure_everyone_who_sees_the_session_sees_the_place(world, caller):
    disclose(world, AFTER)

    shown = _shown(world, caller)

    assert shown["session page"] == (True, caller in LINK_VIEWERS)
    assert shown["api session"] == (True, caller in LINK_VIEWERS)
    assert shown["api session list"] == (True, caller in LINK_VIEWERS)
    assert shown["session .ics"][0] and shown["api session .ics"][0]
    assert shown["program sessions page"][0]


def test_the_accepted_participants_own_lists_carry_the_venue_only_after(world):
    client = client_for(world, "accepted")
    assert PLACE not in body(client.get("/me/sessions/"))

    disclose(world, AFTER)

    assert PLACE in body(client.get("/me/sessions/"))


def test_api_fields_are_null_before_and_carry_the_disclosure_time(world):
    session = world["session"]
    client = client_for(world, "accepted")

    data = client.get(f"/api/v1/sessions/{session.pk}/").json()
    listed = client.get(f"/api/v1/programs/{world['program'].pk}/sessions/").json()

    assert (data["location"], data["online_url"]) == (None, None)
    assert listed["results"][0]["location"] is None
    assert data["venue_disclosed_at"] == (
        session.starts_at - timedelta(hours=BEFORE)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_staff_api_answer_carries_the_venue_and_the_time(world):
    data = client_for(world, "coordinator").get(f"/api/v1/sessions/{world['session'].pk}/").json()

    assert (data["location"], data["online_url"]) == (PLACE, LINK)
    assert data["venue_disclosed_at"] is not None


def test_without_a_delay_the_api_says_null(world):
    disclose(world, None)

    data = client_for(world, "accepted").get(f"/api/v1/sessions/{world['session'].pk}/").json()

    assert (data["location"], data["online_url"], data["venue_disclosed_at"]) == (
        PLACE, LINK, None)


def _events(content: bytes) -> list:
    return list(Calendar.from_ical(content).walk("VEVENT"))


def test_ics_has_no_location_and_no_url_before_disclosure(world):
    response = client_for(world, "accepted").get(
        f"/sessions/{world['session'].pk}/calendar.ics")

    [event] = _events(response.content)
    assert "LOCATION" not in event and "URL" not in event
    assert LINK not in response.content.decode()


def test_ics_has_the_location_and_url_after_disclosure(world):
    disclose(world, AFTER)
    response = client_for(world, "accepted").get(
        f"/api/v1/sessions/{world['session'].pk}/calendar.ics")

    [event] = _events(response.content)
    assert str(event["location"]) == PLACE
    assert str(event["url"]) == LINK


def test_calendar_feed_before_and_after(world):
    feed = CalendarFeed.objects.create(user=world["people"]["accepted"])
    url = f"/calendar/{feed.token}.ics"

    [event] = _events(Client().get(url).content)
    assert "LOCATION" not in event and "URL" not in event

    disclose(world, AFTER)
    [event] = _events(Client().get(url).content)
    assert (str(event["location"]), str(event["url"])) == (PLACE, LINK)


def test_the_facilitators_feed_carries_the_venue_early(world):
    feed = CalendarFeed.objects.create(user=world["people"]["facilitator"])

    [event] = _events(Client().get(f"/calendar/{feed.token}.ics").content)

    assert (str(event["location"]), str(event["url"])) == (PLACE, LINK)


def test_staff_see_when_the_venue_will_be_disclosed(world):
    for url in (f"/sessions/{world['session'].pk}/",
                f"/programs/{world['program'].pk}/sessions/"):
        text = body(client_for(world, "coordinator").get(url))
        assert "Participants see the place and the online link from" in text
        participant_text = body(client_for(world, "accepted").get(url))
        assert "the place and the online link are shown from" in participant_text


# --- Reminders: the decision is made when the email is built --------------------------


def _reminder(world) -> Notification:
    session = world["session"]
    accepted = world["people"]["accepted"]
    return NotificationFactory(recipient=accepted, kind="session_reminder",
                               organization=world["org"], context={"session": session.pk},
                               dedupe_key=f"session_reminder:{session.pk}:{accepted.pk}:-60",
                               due_at=timezone.now() - timedelta(minutes=1))


def _email_texts(message) -> list[str]:
    attachments = [a[1].decode() if isinstance(a[1], bytes) else a[1]
                   for a in message.attachments]
    return [message.subject, message.body, message.alternatives[0][0], *attachments]


def test_a_reminder_sent_before_disclosure_has_no_venue(world):
    _reminder(world)

    dispatch.dispatch_outbox()

    [message] = mail.outbox
    for text in _email_texts(message):
        assert PLACE not in text and LINK not in text
    assert "the place and the online link are shown on Parley from" in message.body
    assert "the place and the online link are shown on Parley from" in (
        message.alternatives[0][0])


def test_a_reminder_planned_before_but_sent_after_disclosure_carries_the_venue(world):
    _reminder(world)  # written while the venue was withheld
    disclose(world, AFTER)

    dispatch.dispatch_outbox()

    [message] = mail.outbox
    text, html, ics = message.body, message.alternatives[0][0], message.attachments[0][1]
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert f"Place: {PLACE}" in text and f"Online link: {LINK}" in text
    assert PLACE in html and LINK in html
    assert f"LOCATION:{PLACE}" in ics


def test_lists_cost_no_query_per_session(world, django_assert_max_num_queries):
    program = world["program"]
    for _ in range(5):
        SessionFactory(program=program, location=PLACE, online_url=LINK)
    client = client_for(world, "accepted")
    client.get(f"/api/v1/programs/{program.pk}/sessions/")  # warm the caches

    with django_assert_max_num_queries(14):
        client.get(f"/api/v1/programs/{program.pk}/sessions/")
    with django_assert_max_num_queries(14):
        client.get(f"/programs/{program.pk}/sessions/")
