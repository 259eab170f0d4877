import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from dialogues.models import RSVP, Outcome, Session
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_chatham_house_session_from_scheduling_to_outcome(page, phone):
    organization = OrganizationFactory(name="Bridges")
    staff = UserFactory(email="staff@example.org", display_name="Stella",
                        timezone="Asia/Nicosia")
    MembershipFactory(organization=organization, user=staff, role="owner")
    facilitator = UserFactory(email="fac@example.org", display_name="Fatma")
    MembershipFactory(organization=organization, user=facilitator, role="facilitator")
    program = program_with_sides("Greek Cypriot", "Turkish Cypriot",
                                 organization=organization, title="Nicosia dialogue")
    participant = accepted_participant(program, email="petros@example.org",
                                       display_name="Petros", timezone="Europe/London")
    day = (timezone.now() + dt.timedelta(days=14)).date().isoformat()

    # Staff schedules a Chatham House session with a facilitator.
    sign_in(page, "staff@example.org", PASSWORD)
    page.goto(f"/programs/{program.pk}/sessions/new/")
    page.get_by_label("Title").fill("What the other side fears")
    page.get_by_label("Format").select_option("sustained_dialogue")
    page.get_by_label("Starts").fill(f"{day}T18:00")
    page.get_by_label("Ends").fill(f"{day}T20:00")
    page.get_by_label("Timezone").fill("Asia/Nicosia")
    page.get_by_label("Place").fill("Home for Cooperation")
    page.get_by_label("Online link").fill("https://meet.example/fears")
    page.get_by_label("Fatma").check()
    page.get_by_label("Chatham House").check()
    screenshot(page, "sessions-schedule-form")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("heading", name="What the other side fears")).to_be_visible()
    session = Session.objects.get()
    assert session.confidentiality == "chatham_house"
    assert list(session.facilitators.all()) == [facilitator]
    assert session.starts_at.astimezone(ZoneInfo("Asia/Nicosia")).time() == dt.time(18, 0)

    # An accepted participant, on a phone, accepts the ground rules and says yes.
    sign_in(phone, "petros@example.org", PASSWORD)
    phone.goto(f"/sessions/{session.pk}/")
    expect(phone.get_by_text("We speak under the Chatham House rule")).to_be_visible()
    phone.get_by_label("I accept the ground rules").check()
    phone.get_by_role("button", name="Yes, I'm coming").click()
    expect(phone.get_by_text("Your answer: yes, you are coming.")).to_be_visible()
    expect(phone.get_by_role("link", name="Join online")).to_have_attribute(
        "href", "https://meet.example/fears")
    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    event = Calendar.from_ical(Path(download.path()).read_bytes()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "What the other side fears"
    assert event.decoded("DTSTART") == session.starts_at.replace(microsecond=0)
    assert RSVP.objects.get(participant=participant).ground_rules_accepted_at is not None
    screenshot(phone, "sessions-participant-phone")
    phone.goto("/me/sessions/")
    expect(phone.get_by_role("link", name="What the other side fears")).to_be_visible()
    screenshot(phone, "sessions-my-sessions-phone")

    # The facilitator marks attendance in place and records an idea, unattributed.
    sign_out(page)
    sign_in(page, "fac@example.org", PASSWORD)
    page.goto(f"/sessions/{session.pk}/")
    row = page.locator(f"#attendee-{participant.pk}")
    expect(row).to_contain_text("Petros")
    expect(row).to_contain_text("Greek Cypriot")
    row.get_by_role("button", name="Mark Petros as attended").click()
    expect(page.locator(f"#attendee-{participant.pk}")).to_contain_text("Attended")
    expect(page.locator("#headcount")).to_contain_text("1 said yes · 1 attended")
    assert RSVP.objects.get(participant=participant).attended is True
    no_export = page.get_by_text("Under this rule the attendee list cannot be exported.")
    expect(no_export).to_be_visible()
    page.get_by_label("Idea").check()
    page.get_by_label("What was said, agreed or decided").fill("A bicommunal youth choir")
    page.get_by_role("button", name="Record").click()
    expect(page.locator(".outcome")).to_contain_text("A bicommunal youth choir")
    expect(page.get_by_text("Recorded by")).to_have_count(0)
    assert Outcome.objects.get().author is None
    screenshot(page, "sessions-facilitator-room")

    phone.goto(f"/sessions/{session.pk}/")
    expect(phone.locator(".outcome")).to_contain_text("A bicommunal youth choir")
    expect(phone.get_by_text("Fatma")).to_have_count(1)  # in the facts, never on the idea
    screenshot(phone, "sessions-outcome-phone")
