"""Staff create and publish a program; participants apply; staff accept in place."""

import pytest

from exchanges.models import Application, Program
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_up(page, email: str, name: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I accept the terms of use").check()
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/me/programs/")


def both_widths(page, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-390")
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # no sideways scroll
    page.set_viewport_size({"width": 1280, "height": 900})


def apply_for(page, program_id: int, side: str, motivation: str) -> None:
    page.goto(f"/programs/{program_id}/")
    page.get_by_label(side).check()
    page.get_by_label("Why do you want to take part?").fill(motivation)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/me/programs/")


def test_staff_publish_participants_apply_staff_accept_in_place(browser, live_server):
    staff = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    staff_page = staff.new_page()
    staff_page.set_default_timeout(15_000)

    # Staff: sign up, create an organization and a program with two sides, publish it.
    sign_up(staff_page, "nora@example.org", "Nora")
    staff_page.get_by_role("link", name="Organizations").click()
    staff_page.get_by_label("Name").fill("Bridges of Cyprus")
    staff_page.get_by_role("button", name="Create organization").click()
    staff_page.wait_for_url("**/orgs/bridges-of-cyprus/")
    staff_page.get_by_role("link", name="New program", exact=True).first.click()
    staff_page.get_by_label("Title").fill("Youth dialogue in Nicosia")
    staff_page.get_by_label("Kind").select_option("dialogue")
    staff_page.get_by_label("Summary").fill("Five weekends of structured dialogue.")
    staff_page.get_by_label("Location").fill("Nicosia buffer zone")
    staff_page.get_by_label("Starts on").fill("2031-05-01")
    staff_page.get_by_label("Ends on").fill("2031-05-30")
    staff_page.get_by_label("Capacity").fill("2")
    staff_page.get_by_label("Side 1 (new)").fill("Greek Cypriot")
    staff_page.get_by_label("Side 2 (new)").fill("Turkish Cypriot")
    staff_page.get_by_role("button", name="Create program").click()
    staff_page.get_by_role("button", name="Publish").click()
    assert staff_page.get_by_text("The program is published: people can apply.").is_visible()
    program = Program.objects.get()
    assert program.status == "published"
    both_widths(staff_page, "program-editor")

    # A participant (on a phone) signs up and applies.
    participant = browser.new_context(base_url=live_server.url,
                                      viewport={"width": 1280, "height": 900})
    first = participant.new_page()
    first.set_default_timeout(15_000)
    sign_up(first, "eleni@example.org", "Eleni")
    first.goto("/programs/")
    assert first.get_by_role("link", name="Youth dialogue in Nicosia").is_visible()
    both_widths(first, "catalogue")
    first.get_by_role("link", name="Youth dialogue in Nicosia").click()
    both_widths(first, "program-detail")
    apply_for(first, program.pk, "Greek Cypriot", "I want to hear the other side.")
    assert first.get_by_text("Your application was sent.").is_visible()
    both_widths(first, "my-programs")

    # Staff accept in place: the row and the balance meter change without a reload.
    apps_url = f"/programs/{program.pk}/applications/"
    staff_page.goto(apps_url)
    assert staff_page.get_by_text("0 of 1 seat taken").first.is_visible()
    staff_page.evaluate("window.notReloaded = true")
    row = staff_page.locator("tr", has_text="Eleni")
    row.get_by_role("button", name="Accept").click()
    accepted_row = staff_page.locator("tr", has_text="Eleni")
    accepted_row.locator(".badge--accepted").wait_for()
    assert staff_page.evaluate("window.notReloaded") is True
    assert staff_page.get_by_text("1 of 1 seat taken").is_visible()
    assert staff_page.locator(".meter--full").count() == 1
    assert staff_page.get_by_text("Eleni was accepted.").is_visible()
    assert Application.objects.get().status == "accepted"

    # A second participant applies for the now-full side: staff are offered Waitlist.
    second_context = browser.new_context(base_url=live_server.url,
                                         viewport={"width": 1280, "height": 900})
    second = second_context.new_page()
    second.set_default_timeout(15_000)
    sign_up(second, "ahmet@example.org", "Ahmet")
    apply_for(second, program.pk, "Greek Cypriot", "")
    staff_page.goto(apps_url)
    ahmet_row = staff_page.locator("tr", has_text="Ahmet")
    assert ahmet_row.get_by_text("Side full").is_visible()
    assert ahmet_row.get_by_role("button", name="Waitlist").is_visible()
    assert ahmet_row.get_by_role("button", name="Accept").count() == 0
    both_widths(staff_page, "staff-applications")
    ahmet_row.get_by_role("button", name="Waitlist").click()
    staff_page.locator("tr", has_text="Ahmet").locator(".badge--waitlisted").wait_for()

    # The first participant withdraws: the seat goes to the waitlisted one.
    first.goto("/me/programs/")
    first.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Withdraw").click()
    assert first.get_by_text("You withdrew your application").is_visible()
    assert dict(Application.objects.values_list("applicant__display_name", "status")) == {
        "Eleni": "withdrawn", "Ahmet": "accepted"}
    for context in (staff, participant, second_context):
        context.close()
