"""A minor applies naming a guardian; the guardian opens the emailed link without an
account and consents; staff, who could not accept before, then accept."""

import datetime
import re
from datetime import timedelta

import pytest
from django.core import mail

from exchanges.models import Application
from participants.outbox import dispatch
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db(transaction=True)

STARTS = datetime.date(2031, 7, 1)


def both_widths(page, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-390")
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # no sideways scroll
    page.set_viewport_size({"width": 1280, "height": 900})


def _new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_a_guardian_consents_and_staff_then_accept(browser, live_server):
    org = OrganizationFactory(name="Bridges of Cyprus", slug="bridges")
    nora = UserFactory(display_name="Nora", email="nora@example.org")
    MembershipFactory(organization=org, user=nora, role="owner")
    program = program_with_sides("Greek Cypriot", "Turkish Cypriot", organization=org,
                                 title="Youth football and dialogue",
                                 description="Two weeks of football and talk in Nicosia.",
                                 starts_on=STARTS, ends_on=STARTS + timedelta(days=14),
                                 guardian_consent_under=16)
    UserFactory(display_name="Eleni", email="eleni@example.org",
                birth_date=datetime.date(2017, 3, 4))

    # The minor applies, giving a guardian's address.
    minor_context, minor = _new_page(browser, live_server)
    sign_in(minor, "eleni@example.org", PASSWORD)
    minor.goto(f"/programs/{program.pk}/")
    minor.get_by_label("Greek Cypriot").check()
    minor.get_by_label("Your parent's or guardian's email").fill("maria@example.net")
    both_widths(minor, "guardian-apply")
    minor.get_by_role("button", name="Apply").click()
    minor.wait_for_url("**/me/programs/")
    assert minor.get_by_text("Guardian's consent: waiting for their answer.").is_visible()
    application = Application.objects.get()
    assert application.guardian_consent == "pending"

    # Staff cannot accept yet: the page says why.
    staff_context, staff = _new_page(browser, live_server)
    sign_in(staff, "nora@example.org", PASSWORD)
    staff.goto(f"/programs/{program.pk}/applications/")
    row = staff.locator("tr", has_text="Eleni")
    assert row.get_by_text("Can be accepted once the guardian consents").is_visible()
    assert row.get_by_role("button", name="Accept").count() == 0

    # The guardian's email: the link is read from the message the outbox sends.
    dispatch.dispatch_outbox()
    [message] = [m for m in mail.outbox if m.to == ["maria@example.net"]]
    [path] = re.findall(r"/guardian-consent/[^/\s]+/", message.body)

    guardian_context, guardian = _new_page(browser, live_server)  # no account
    guardian.goto(path)
    assert guardian.get_by_role("heading", name="Youth football and dialogue").is_visible()
    assert guardian.get_by_text("Eleni", exact=True).is_visible()
    both_widths(guardian, "guardian-consent-page")
    guardian.get_by_label("Your name").fill("Maria Georgiou")
    guardian.get_by_role("button", name="I consent").click()
    guardian.get_by_text("Consent was given by").wait_for()
    both_widths(guardian, "guardian-consent-given")
    application.refresh_from_db()
    assert (application.guardian_consent, application.guardian_name) == (
        "given", "Maria Georgiou")

    # Staff now accept, in place.
    staff.reload()
    row = staff.locator("tr", has_text="Eleni")
    assert row.get_by_text("given by").is_visible()
    row.get_by_role("button", name="Accept").click()
    staff.locator("tr", has_text="Eleni").locator(".badge--accepted").wait_for()
    both_widths(staff, "guardian-consent-staff-accepted")
    application.refresh_from_db()
    assert application.status == "accepted"

    for context in (minor_context, staff_context, guardian_context):
        context.close()
