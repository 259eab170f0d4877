"""A program's evaluation from start to follow-up, 12 participants on two sides: staff set it
up and move the waves on in the browser, a participant answers on a phone with the
keyboard, the others answer through the service; staff read the chart and the CSV files."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dialogues import services as session_services
from dialogues.evaluation.selectors import evaluation_of
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
)
from tests.surveys import answers, respond

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUMENTS = ("thermometer", "ios", "trust", "anxiety")


def _answers(thermometer: int, ios: int) -> dict:
    return answers({"thermometer.1": thermometer, "ios.1": ios, "trust.1": 3, "trust.2": 3,
                    "trust.3": 3, "anxiety.1": 3, "anxiety.2": 3, "anxiety.3": 3}, INSTRUMENTS)


def _wave_button(page, label: str, wave: str):
    page.get_by_role("button", name=f"{label} {wave}").click()
    page.wait_for_load_state()


def _csv(download) -> list[list[str]]:
    return list(csv.reader(io.StringIO(Path(download.path()).read_text())))


def test_pre_sessions_post_and_a_follow_up_with_twelve_participants(page, phone):
    organization = OrganizationFactory(name="Bridges")
    staff = UserFactory(email="stella@example.org", display_name="Stella")
    MembershipFactory(organization=organization, user=staff, role="owner")
    program = program_with_sides("Greek Cypriot", "Turkish Cypriot", organization=organization,
                                 title="Nicosia dialogue", capacity=12)
    greek, turkish = program.sides.all()
    people = [accepted_participant(program, side=side, display_name=f"{side.name[:5]} {n}")
              for side in (greek, turkish) for n in range(6)]
    petros = people[0]
    petros.email, petros.display_name = "petros@example.org", "Petros"
    petros.save()
    start = timezone.now() + timedelta(days=5)
    for day in (0, 7):
        session_services.session_create(
            program=program, actor=staff, title=f"Circle {day}", format="sustained_dialogue",
            starts_at=start + timedelta(days=day), ends_at=start + timedelta(days=day, hours=2),
            timezone="Asia/Nicosia")

    # Staff set up the evaluation from the program's page: pre opens at once.
    sign_in(page, "stella@example.org", PASSWORD)
    page.goto(f"/programs/{program.pk}/")
    page.get_by_role("link", name="Evaluation").click()
    page.get_by_label("Follow-ups: months after the program ends").fill("1")
    page.get_by_role("button", name="Start the evaluation").click()
    expect(page.get_by_text("The evaluation was saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Close now pre")).to_be_visible()
    assert evaluation_of(program).instruments == list(INSTRUMENTS)
    screenshot(page, "evaluation-settings")

    # Petros answers on his phone, with the keyboard only.
    sign_in(phone, "petros@example.org", PASSWORD)
    phone.goto("/me/sessions/")
    phone.get_by_role("link", name="My surveys").click()
    phone.get_by_role("link", name="Answer the survey").first.click()
    expect(phone.get_by_text("How warm or cold do you feel toward people from Turkish "
                             "Cypriot?", exact=False)).to_be_visible()
    phone.get_by_label("How warm or cold", exact=False).fill("40")
    phone.get_by_label("How warm or cold", exact=False).press("Tab")
    phone.keyboard.press("ArrowRight")  # the closeness pictures: 1 → 2 by arrow key
    phone.keyboard.press("ArrowRight")
    expect(phone.get_by_role("radio", name="they overlap a little")).to_be_checked()
    for item in ("trust.1", "trust.2", "trust.3", "anxiety.1", "anxiety.2", "anxiety.3"):
        phone.locator(f'input[name="{item}"][value="3"]').focus()
        phone.keyboard.press("Space")
    phone.get_by_label("I agree that my answers are used", exact=False).check()
    assert phone.evaluate("document.documentElement.scrollWidth") == 390
    screenshot(phone, "evaluation-survey-phone")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_text("Thank you: your answers were saved.")).to_be_visible()

    # The others answer pre; the sessions take place; staff move the waves on by hand.
    warmth = {person.pk: 40 + 2 * n for n, person in enumerate(people)}
    for person in people[1:]:
        respond(program, person, "pre", _answers(warmth[person.pk], 2))
    page.reload()
    _wave_button(page, "Close now", "pre")
    _wave_button(page, "Open now", "post")
    expect(page.get_by_role("button", name="Close now post")).to_be_visible()
    for n, person in enumerate(people):
        respond(program, person, "post", _answers(warmth[person.pk] + 10 + n % 3, 4))
    _wave_button(page, "Close now", "post")
    _wave_button(page, "Open now", "m1")
    for person in people[:10]:
        respond(program, person, "m1", _answers(warmth[person.pk] + 5, 3))

    # Staff read the results: one chart per instrument, both sides, post and m1.
    page.get_by_role("link", name="See the results").click()
    expect(page.locator("canvas.evaluation-chart")).to_have_count(4)
    expect(page.locator('canvas.evaluation-chart[data-drawn="true"]')).to_have_count(4)
    chart = page.evaluate("""() => {
        const c = Chart.getChart(document.querySelector('canvas.evaluation-chart'));
        return {labels: c.data.labels, sides: c.data.datasets.map(d => d.label),
                means: c.data.datasets.map(d => d.data)};
    }""")
    assert chart["labels"] == ["post", "m1"]
    assert chart["sides"] == ["Greek Cypriot", "Turkish Cypriot"]
    greek_post = chart["means"][0][0]
    assert greek_post == pytest.approx((10 + 11 + 12 + 10 + 11 + 12) / 6, abs=1e-4)
    assert chart["means"][1][1] is None  # Turkish Cypriot m1: 4 answered, hidden
    expect(page.get_by_role("table").first).to_contain_text("hidden: fewer than 5")
    screenshot(page, "evaluation-results")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "evaluation-results-print")
    page.emulate_media(media="screen")

    with page.expect_download() as results_download:
        page.get_by_role("link", name="Download the results (CSV)").click()
    results = _csv(results_download.value)
    assert results[0][:4] == ["side", "side_name", "instrument", "wave"]
    thermometer_post = [row for row in results if row[2] == "thermometer" and row[3] == "post"]
    assert [(row[1], row[4], row[5]) for row in thermometer_post] == [
        ("Greek Cypriot", "6", "11.0"), ("Turkish Cypriot", "6", "11.0")]

    with page.expect_download() as responses_download:
        page.get_by_role("link", name="Pseudonymous responses (CSV)").click()
    responses = _csv(responses_download.value)
    assert responses[0][:4] == ["respondent", "side", "wave", "thermometer.1"]
    assert len(responses) == 1 + 12 + 12 + 10
    names = {person.display_name for person in people} | {"Petros"}
    assert not any(cell in names for row in responses for cell in row)

    # Across the organization's programs (one here): the same charts, pooled by side name.
    page.goto(f"/orgs/{organization.slug}/evaluation/")
    expect(page.locator('canvas.evaluation-chart[data-drawn="true"]')).to_have_count(4)
    screenshot(page, "evaluation-organization")
