"""Every journey by clicks alone (issue 12), at 1280 px and at 390 px.

Each journey opens the home page and from there only clicks and types, as a person
would: the one other address visited is a link read from an email the outbox sent
(a person clicks it in their mail). What other people do meanwhile (a participant
applies, staff accept, staff assign a facilitator) is done through the services:
their own journeys are the other tests here.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from dialogues import services as session_services
from dialogues.models import DEFAULT_REMINDER_SCHEDULE, RSVP, Outcome, Session
from dialogues.reminders.services import reminder_schedule_set
from exchanges import services as exchange_services
from exchanges.models import ActivityLog, Application, Membership, Program
from participants.models import User
from participants.outbox.dispatch import dispatch_outbox
from tests.e2e.conftest import _open, screenshot
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(WIDTHS))
def person(request, browser, live_server):
    """A browser at one of the two widths; CSP violations fail the test."""
    viewport = WIDTHS[request.param]
    extra = {"is_mobile": True, "has_touch": True} if request.param == "phone" else {}
    context, page, violations = _open(browser, live_server, viewport=viewport, **extra)
    page.width_name = request.param
    page.set_default_timeout(30_000)  # the machine may be busy; the steps are not slow
    page.goto("/")  # the only address typed: everything else is clicked
    yield page
    context.close()
    assert violations == []


def shot(page, name: str) -> None:
    screenshot(page, f"journey-{name}-{page.width_name}")
    # Nothing on a page may push it sideways on a phone: actions stay within reach.
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    # ...nor hide a control in a table that scrolls sideways.
    off_screen = page.evaluate("""() => [...document.querySelectorAll(
        'main button, main a, main select, main input:not([type=hidden])')]
        .filter(el => el.getClientRects().length && el.getBoundingClientRect().right
                > window.innerWidth + 1).map(el => el.textContent.trim() || el.name)""")
    assert off_screen == [], (name, off_screen)


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name,
                                                            exact=True).click()
    page.wait_for_load_state()


def tab(page, name: str) -> None:
    page.locator("nav.tabs").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def sign_up_from_home(page, email: str, name: str) -> None:
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I accept the terms of use").check()
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/me/programs/")


def emailed_path(address: str, pattern: str) -> str:
    """Send what the outbox holds and return the path of the link in `address`'s mail."""
    dispatch_outbox()
    for message in reversed(mail.outbox):
        if address in message.to and (found := re.search(r"https?://[^/\s]+(" + pattern + ")",
                                                         message.body)):
            return found.group(1)
    raise AssertionError(f"no email to {address} with a link like {pattern}")


def days_ahead(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


# --- Staff -----------------------------------------------------------------------------


def test_staff_journey(person):
    page = person
    suffix = page.width_name
    colleague = UserFactory(display_name="Fatma", email=f"fatma-{suffix}@example.org")

    sign_up_from_home(page, f"nora-{suffix}@example.org", "Nora")
    nav(page, "Organizations")
    page.get_by_label("Name").fill(f"Bridges {suffix}")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(f"**/orgs/bridges-{suffix}/")
    organization = Membership.objects.get(user__display_name="Nora").organization
    MembershipFactory(organization=organization, user=colleague, role="facilitator")

    # Invite a colleague: the members page lists the open invitation.
    page.get_by_role("link", name="Members", exact=True).click()
    page.get_by_label("Email", exact=True).fill(f"yusuf-{suffix}@example.org")
    page.get_by_label("Role", exact=True).select_option("coordinator")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"yusuf-{suffix}@example.org").first).to_be_visible()
    shot(page, "staff-members")

    # A program with two sides, in Nicosia's time, published.
    page.locator("nav.breadcrumbs").get_by_role("link", name=f"Bridges {suffix}").click()
    page.get_by_role("link", name="New program", exact=True).first.click()
    page.get_by_label("Title").fill("Youth dialogue")
    page.get_by_label("Kind").select_option("dialogue")
    page.get_by_label("Starts on").fill(days_ahead(10).isoformat())
    page.get_by_label("Ends on").fill(days_ahead(60).isoformat())
    page.get_by_label("Timezone").fill("Asia/Nicosia")
    page.get_by_label("Capacity").fill("7")
    page.get_by_label("Side 1 (new)").fill("Greek Cypriot")
    page.get_by_label("Side 2 (new)").fill("Turkish Cypriot")
    page.get_by_role("button", name="Create program").click()
    expect(page.get_by_text("leaves 1 seat that can never be filled")).to_be_visible()
    page.get_by_label("Capacity").fill("8")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("can never be filled")).to_have_count(0)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The program is published: people can apply.")).to_be_visible()
    program = Program.objects.get(title="Youth dialogue")
    assert (program.status, program.timezone) == ("published", "Asia/Nicosia")
    shot(page, "staff-program-editor")

    # Someone applied meanwhile; staff review and accept from the Applications tab.
    applicant = ApplicationFactory(program=program, side=program.sides.first(),
                                   applicant=UserFactory(display_name="Eleni")).applicant
    tab(page, "Applications")
    shot(page, "staff-applications")
    page.locator("tr", has_text="Eleni").get_by_role("button", name="Accept").click()
    page.locator("tr", has_text="Eleni").locator(".badge--accepted").wait_for()
    assert Application.objects.get(applicant=applicant).status == "accepted"

    # A session with the facilitator, starting in the program's zone.
    tab(page, "Sessions")
    page.get_by_role("link", name="Schedule a session").first.click()
    expect(page.get_by_label("Timezone")).to_have_value("Asia/Nicosia")
    page.get_by_label("Title").fill("Opening circle")
    page.get_by_label("Format").select_option("storytelling")
    day = days_ahead(14).isoformat()
    page.get_by_label("Starts").fill(f"{day}T18:00")
    page.get_by_label("Ends").fill(f"{day}T20:00")
    page.get_by_label("Fatma").check()
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("heading", name="Opening circle")).to_be_visible()
    session = Session.objects.get(title="Opening circle")
    assert list(session.facilitators.all()) == [colleague]

    # Reminders, from the program's tabs.
    page.locator("nav.breadcrumbs").get_by_role("link", name="Youth dialogue").click()
    tab(page, "Reminders")
    page.get_by_label("Session reminders: hours before each session").fill("48, 2")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_label("Session reminders: hours before each session")).to_have_value(
        "48, 2")
    shot(page, "staff-reminders")

    # Attendance and outcomes, from the Sessions tab.
    RSVPFactory(session=session, participant=applicant)  # Eleni said yes
    tab(page, "Sessions")
    page.get_by_role("link", name="Opening circle").first.click()
    page.locator("tr", has_text="Eleni").get_by_role("button", name="Mark Eleni as attended"
                                                     ).click()
    page.locator("tr", has_text="Eleni").locator(".is-attended").wait_for()
    page.get_by_label("What was said, agreed or decided").fill("Meet again in the spring.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Outcome recorded.")).to_be_visible()
    assert RSVP.objects.get(participant=applicant).attended is True
    shot(page, "staff-session")

    # The activity log, from the organization's dashboard.
    nav(page, "Organizations")
    page.get_by_role("link", name=f"Bridges {suffix}").first.click()
    shot(page, "staff-dashboard")
    page.get_by_role("link", name="Activity log").click()
    expect(page.locator("#main table").get_by_text("Recorded an outcome").first).to_be_visible()
    shot(page, "staff-activity")
    assert ActivityLog.objects.filter(organization=organization,
                                      verb="session.attendance_marked").exists()


# --- Participant -----------------------------------------------------------------------


def test_participant_journey(person):
    page = person
    suffix = page.width_name
    organization = OrganizationFactory(name="Bridges")
    staff = UserFactory(display_name="Stella")
    MembershipFactory(organization=organization, user=staff, role="owner")
    program = program_with_sides("Greek Cypriot", "Turkish Cypriot", organization=organization,
                                 title="Nicosia listening circles", timezone="Asia/Nicosia")
    reminder_schedule_set(program=program, actor=staff, rules=DEFAULT_REMINDER_SCHEDULE)
    session = SessionFactory(program=program, title="What the other side fears",
                             confidentiality="chatham_house",
                             ground_rules="We speak under the Chatham House rule.")

    email = f"petros-{suffix}@example.org"
    sign_up_from_home(page, email, "Petros")
    nav(page, "Programs")
    page.get_by_role("link", name="Nicosia listening circles").click()
    page.get_by_label("Greek Cypriot").check()
    page.get_by_label("Why do you want to take part?").fill("To listen.")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Your application was sent.")).to_be_visible()
    shot(page, "participant-my-programs")

    application = Application.objects.get(applicant__email=email)
    exchange_services.application_accept(application=application, actor=staff)

    nav(page, "My sessions")
    page.get_by_role("link", name="What the other side fears").first.click()
    page.get_by_label("I accept the ground rules").check()
    page.get_by_role("button", name="Yes, I'm coming").click()
    expect(page.get_by_text("Your answer: yes, you are coming.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    event = Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "What the other side fears"
    shot(page, "participant-session")

    # Messages name what each is about: the session's reminders name it.
    nav(page, "Messages")
    scheduled = page.locator("tr", has_text="Session reminder").first
    expect(scheduled).to_contain_text("What the other side fears")
    shot(page, "participant-messages")

    nav(page, "Profile")
    page.get_by_role("link", name="Download my data or erase my account").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    assert b"Nicosia listening circles" in Path(download.value.path()).read_bytes()
    shot(page, "participant-my-data")
    page.get_by_label("Your password").fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase my account").click()
    page.wait_for_load_state()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    assert not User.objects.filter(email=email).exists()
    assert not RSVP.objects.filter(session=session).exists()  # no longer counted as coming


# --- Facilitator -----------------------------------------------------------------------


def test_facilitator_journey(person, mailoutbox):
    page = person
    suffix = page.width_name
    organization = OrganizationFactory(name="Bridges", slug=f"bridges-{suffix}")
    owner = UserFactory(display_name="Stella")
    MembershipFactory(organization=organization, user=owner, role="owner")
    program = program_with_sides(organization=organization, title="Listening circles")
    theirs = SessionFactory(program=program, title="Opening circle")
    SessionFactory(program=program, title="Someone else's circle")
    draft = program_with_sides(organization=organization, title="Plans not yet public",
                               status="draft")
    SessionFactory(program=draft, title="Draft session")
    participant = UserFactory(display_name="Deniz")
    ApplicationFactory(program=program, side=program.sides.first(), applicant=participant,
                       status="accepted")
    RSVPFactory(session=theirs, participant=participant)
    email = f"fatma-{suffix}@example.org"
    exchange_services.membership_invite(organization=organization, actor=owner, email=email,
                                        role="facilitator")

    # The emailed link: create an account straight into the role.
    page.goto(emailed_path(email, r"/invitations/[^/\s]+/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill("Fatma")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I accept the terms of use").check()
    page.get_by_role("button", name="Create my account and accept").click()
    page.wait_for_load_state()
    fatma = User.objects.get(email=email)
    assert Membership.objects.get(user=fatma).role == "facilitator"
    session_services.session_update(session=theirs, actor=owner, facilitators=[fatma.pk])
    assert "/sessions/" in emailed_path(email, rf"/sessions/{theirs.pk}/")  # they are told

    # Their organization shows no drafts; their sessions are theirs only.
    nav(page, "Organizations")
    page.get_by_role("link", name="Bridges").first.click()
    expect(page.get_by_text("Plans not yet public")).to_have_count(0)
    expect(page.get_by_text("Recent activity")).to_have_count(0)
    shot(page, "facilitator-dashboard")
    nav(page, "My sessions")
    expect(page.get_by_role("link", name="Opening circle")).to_be_visible()
    expect(page.get_by_text("Someone else's circle")).to_have_count(0)
    expect(page.get_by_text("Draft session")).to_have_count(0)
    shot(page, "facilitator-my-sessions")

    page.get_by_role("link", name="Opening circle").first.click()
    page.locator("tr", has_text="Deniz").get_by_role("button", name="Mark Deniz as attended"
                                                     ).click()
    page.locator("tr", has_text="Deniz").locator(".is-attended").wait_for()
    page.get_by_label("What was said, agreed or decided").fill("A joint choir.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Outcome recorded.")).to_be_visible()
    shot(page, "facilitator-session")
    assert RSVP.objects.get(session=theirs).attended is True
    assert Outcome.objects.get(session=theirs).text == "A joint choir."
