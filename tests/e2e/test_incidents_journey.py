"""By clicks: a participant reports a concern and a custodian works it to closed; a
participant uses quick exit and undoes it. Screenshots at 1280 and 390 px."""

import pytest
from playwright.sync_api import expect

from dialogues.groups import services as group_services
from exchanges.models import Incident
from participants.models import User
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _world():
    organization = OrganizationFactory(name="Bridges")
    custodian = UserFactory(email="custodian@example.org", display_name="Kyra")
    MembershipFactory(organization=organization, user=custodian, role="custodian")
    owner = UserFactory(email="owner@example.org", display_name="Olga")
    MembershipFactory(organization=organization, user=owner, role="owner")
    program = program_with_sides("Greek Cypriot", "Turkish Cypriot", organization=organization,
                                 title="Nicosia dialogue")
    north, south = program.sides.all()
    reporter = accepted_participant(program, side=north, email="maria@example.org",
                                    display_name="Maria")
    other = accepted_participant(program, side=south, email="emre@example.org",
                                 display_name="Emre")
    SessionFactory(program=program, title="Evening circle")
    group_services.round_create(program=program, actor=owner, size=3)
    return program, reporter, other


def test_a_participant_reports_and_a_custodian_works_the_incident_to_closed(page, phone):
    program, reporter, other = _world()

    # The participant reports from "My sessions", about Emre, without their name to owners.
    sign_in(page, "maria@example.org", PASSWORD)
    page.get_by_role("link", name="My sessions").click()
    page.get_by_role("link", name="Report a concern in Nicosia dialogue").click()
    page.get_by_label("Threat").check()
    page.get_by_label("What happened").fill("After the circle he said he knows my street.")
    page.get_by_label("Who is it about?").select_option(label="Emre")
    page.get_by_label("Don't show my name to the owners").check()
    screenshot(page, "incident-report-form")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text("Thank you. Your report was sent")).to_be_visible()
    incident = Incident.objects.get()
    assert (incident.kind, incident.about, incident.anonymous) == ("threat", other, True)

    # The custodian, on a phone, finds it from the program's tabs and works it.
    sign_in(phone, "custodian@example.org", PASSWORD)
    phone.goto(f"/programs/{program.pk}/")
    phone.get_by_role("navigation", name="Program pages").get_by_role(
        "link", name="Incidents").click()
    expect(phone.get_by_role("cell", name="Maria")).to_be_visible()
    screenshot(phone, "incidents-list-phone")
    phone.get_by_role("link", name=f"Open incident {incident.pk}").click()
    expect(phone.get_by_text("After the circle he said he knows my street.")).to_be_visible()
    phone.get_by_label("Status").select_option("reviewing")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text("The incident is now reviewing.")).to_be_visible()
    phone.get_by_label("Status").select_option("closed")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text("Say how the incident was resolved before closing it."))\
        .to_be_visible()
    phone.get_by_label("Resolution").fill("Spoke with both; Emre moved to another group.")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text("The incident is now closed.")).to_be_visible()
    screenshot(phone, "incident-closed-phone")

    # The reporter sees where it stands.
    page.goto(f"/programs/{program.pk}/")
    page.get_by_role("link", name="Your reports").click()
    expect(page.get_by_role("cell", name="Closed")).to_be_visible()
    screenshot(page, "incident-my-reports")


def test_a_participant_uses_quick_exit_and_undoes_it(page, phone):
    program, _reporter, _other = _world()
    sign_in(phone, "maria@example.org", PASSWORD)
    sign_in(page, "emre@example.org", PASSWORD)
    page.goto(f"/programs/{program.pk}/groups/")
    expect(page.get_by_text("Maria")).to_be_visible()

    # Maria leaves at once from the page she is on.
    phone.get_by_role("link", name="My sessions").click()
    screenshot(phone, "quick-exit-button-phone")
    phone.get_by_role("button", name="Quick exit").click()
    phone.wait_for_url("**/programs/")
    page.reload()
    expect(page.get_by_text("Maria")).to_have_count(0)

    # Back on her data page she undoes it.
    phone.get_by_role("link", name="Profile").click()
    phone.get_by_role("link", name="Download my data or erase my account").click()
    screenshot(phone, "quick-exit-undo-phone")
    phone.get_by_role("button", name="Show my name to other participants again").click()
    expect(phone.get_by_text("Other participants see your display name again.")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Maria")).to_be_visible()
    screenshot(page, "quick-exit-group-again")


def test_esc_three_times_is_a_quick_exit(page):
    _world()
    sign_in(page, "maria@example.org", PASSWORD)
    page.get_by_role("link", name="My sessions").click()
    page.wait_for_url("**/me/sessions/")
    page.wait_for_load_state("load")  # the key handler is the page's script

    for _ in range(3):
        page.keyboard.press("Escape")

    page.wait_for_url("**/programs/")
    assert User.objects.get(email="maria@example.org").hidden_from_participants is True
