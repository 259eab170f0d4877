"""Guardian consent and the program's safety settings in pages: the editor, the apply form,
the guardian's page (no account), the staff's applications page and CSV, My programs."""

import csv
import datetime
import io
from datetime import timedelta

import pytest
from django.test import Client

from exchanges import services
from exchanges.models import Application, Program
from tests.factories import ApplicationFactory, UserFactory, program_with_sides
from tests.web.test_program_pages import program_data

pytestmark = pytest.mark.django_db

STARTS = datetime.date(2031, 6, 1)


@pytest.fixture
def program(org):
    return program_with_sides("North", "South", organization=org, title="Youth exchange",
                              description="Two weeks of football and talk.",
                              starts_on=STARTS, ends_on=STARTS + timedelta(days=14),
                              guardian_consent_under=16)


@pytest.fixture
def minor():
    return UserFactory(display_name="Mina", email="mina@example.org",
                       birth_date=datetime.date(2016, 1, 1))


def pending(minor, program) -> Application:
    return services.application_submit(program=program, side=program.sides.first(),
                                       applicant=minor, guardian_email="parent@example.net")


def html(response) -> str:
    return response.content.decode()


# --- The editor --------------------------------------------------------------------------


def test_editor_offers_both_settings_with_help(client, alice, program):
    client.force_login(alice)

    page = html(client.get(f"/programs/{program.pk}/edit/"))

    assert 'name="venue_disclosure_hours"' in page and 'name="guardian_consent_under"' in page
    assert "id_venue_disclosure_hours_helptext" in page
    assert "id_guardian_consent_under_helptext" in page


@pytest.mark.parametrize(("field", "value"), [
    ("venue_disclosure_hours", "721"), ("venue_disclosure_hours", "-1"),
    ("guardian_consent_under", "0"), ("guardian_consent_under", "26")])
def test_editor_refuses_out_of_range_beside_the_field(client, alice, org, field, value):
    client.force_login(alice)

    response = client.post("/orgs/bridges/programs/new/", {**program_data(), field: value})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Program.objects.exists()


def test_editor_saves_both_settings(client, alice, org):
    client.force_login(alice)

    client.post("/orgs/bridges/programs/new/", {**program_data(), "venue_disclosure_hours": "48",
                                                 "guardian_consent_under": "18"})

    program = Program.objects.get()
    assert (program.venue_disclosure_hours, program.guardian_consent_under) == (48, 18)


# --- Applying ----------------------------------------------------------------------------


def test_a_minor_is_asked_for_a_guardian_email(client, minor, program):
    client.force_login(minor)

    form = client.get(f"/programs/{program.pk}/").context["form"]

    assert form.fields["guardian_email"].required


def test_an_adult_is_not_asked(client, program):
    client.force_login(UserFactory(birth_date=datetime.date(1990, 1, 1)))

    form = client.get(f"/programs/{program.pk}/").context["form"]

    assert "guardian_email" not in form.fields


def test_without_a_birth_date_the_page_says_why_and_the_service_refuses(client, bob, program):
    client.force_login(bob)
    page = html(client.get(f"/programs/{program.pk}/"))
    assert "Add it to your profile" in page

    response = client.post(f"/programs/{program.pk}/apply/",
                           {"side": program.sides.first().pk,
                            "guardian_email": "parent@example.net"})

    assert "add your date of birth" in html(response)
    assert not Application.objects.exists()


def test_a_minor_applying_without_the_address_sees_the_field_error(client, minor, program):
    client.force_login(minor)

    response = client.post(f"/programs/{program.pk}/apply/", {"side": program.sides.first().pk})

    assert response.context["form"].errors["guardian_email"]
    assert not Application.objects.exists()


def test_a_minor_applies_and_is_told_the_guardian_was_emailed(client, minor, program):
    client.force_login(minor)

    response = client.post(f"/programs/{program.pk}/apply/",
                           {"side": program.sides.first().pk,
                            "guardian_email": "parent@example.net"}, follow=True)

    assert Application.objects.get().guardian_consent == "pending"
    assert "We emailed your guardian a link" in html(response)
    assert "Guardian's consent: waiting for their answer." in html(response)


# --- The guardian's page -----------------------------------------------------------------


def test_the_page_needs_no_account_and_shows_the_program_and_the_applicant(minor, program):
    token = pending(minor, program).guardian_token

    response = Client().get(f"/guardian-consent/{token}/")

    page = html(response)
    assert response.status_code == 200
    for shown in ("Youth exchange", "Bridges", "Two weeks of football and talk.", "Mina",
                  "csrfmiddlewaretoken", 'for="id_guardian_name"'):
        assert shown in page
    assert "mina@example.org" not in page and minor.legal_name not in page


def test_the_guardian_consents_through_the_page(minor, program):
    token = pending(minor, program).guardian_token
    client = Client()

    response = client.post(f"/guardian-consent/{token}/",
                           {"guardian_name": "Grace Guardian", "decision": "given"}, follow=True)

    application = Application.objects.get()
    assert (application.guardian_consent, application.guardian_name) == (
        "given", "Grace Guardian")
    assert "Consent was given by" in html(response)
    assert 'name="decision"' not in html(response)


def test_the_page_works_once(minor, program):
    token = pending(minor, program).guardian_token
    client = Client()
    client.post(f"/guardian-consent/{token}/", {"guardian_name": "Grace", "decision": "refused"})

    again = client.post(f"/guardian-consent/{token}/",
                        {"guardian_name": "Grace", "decision": "given"}, follow=True)

    assert again.status_code == 200  # the page now only says what was answered
    assert "this link works only once" in html(again)
    assert Application.objects.get().guardian_consent == "refused"
    assert "Consent was refused by" in html(again)


def test_the_page_asks_for_the_name(minor, program):
    token = pending(minor, program).guardian_token

    response = Client().post(f"/guardian-consent/{token}/", {"decision": "given"})

    assert response.status_code == 400
    assert response.context["form"].errors["guardian_name"]
    assert Application.objects.get().guardian_consent == "pending"


def test_the_page_checks_csrf(minor, program):
    token = pending(minor, program).guardian_token

    response = Client(enforce_csrf_checks=True).post(
        f"/guardian-consent/{token}/", {"guardian_name": "Grace", "decision": "given"})

    assert response.status_code == 403
    assert Application.objects.get().guardian_consent == "pending"


def test_an_unknown_token_is_404(client):
    assert client.get("/guardian-consent/never-issued/").status_code == 404
    assert client.post("/guardian-consent/never-issued/",
                       {"guardian_name": "G", "decision": "given"}).status_code == 404


# --- Staff --------------------------------------------------------------------------------


def test_accepting_before_consent_says_why(client, alice, minor, program):
    application = pending(minor, program)
    client.force_login(alice)

    page = html(client.get(f"/programs/{program.pk}/applications/"))
    response = client.post(f"/applications/{application.pk}/accept/", follow=True)
    partial = client.post(f"/applications/{application.pk}/accept/", HTTP_HX_REQUEST="true")

    assert "Can be accepted once the guardian consents" in page
    assert "guardian has not consented" in html(response)
    assert "guardian has not consented" in html(partial)
    assert Application.objects.get().status == "pending"


def test_applications_page_and_csv_show_the_consent(client, alice, minor, program):
    application = pending(minor, program)
    services.guardian_consent_decide(token=application.guardian_token, decision="refused",
                                     guardian_name="Grace Guardian")
    ApplicationFactory(program=program, side=program.sides.last())
    client.force_login(alice)

    page = html(client.get(f"/programs/{program.pk}/applications/"))
    rows = list(csv.DictReader(io.StringIO(html(client.get(
        f"/programs/{program.pk}/applications.csv")))))

    assert "refused by <bdi>Grace Guardian</bdi>" in page and "parent@example.net" in page
    [minor_row] = [r for r in rows if r["display name"] == "Mina"]
    assert (minor_row["guardian's email"], minor_row["guardian's consent"],
            minor_row["guardian's name"]) == ("parent@example.net", "refused", "Grace Guardian")
    assert minor_row["guardian answered at"]
    [other] = [r for r in rows if r["display name"] != "Mina"]
    assert (other["guardian's consent"], other["guardian's email"]) == ("", "")


def test_my_programs_shows_the_consent(client, minor, program):
    application = pending(minor, program)
    services.guardian_consent_decide(token=application.guardian_token, decision="given",
                                     guardian_name="Grace Guardian")
    client.force_login(minor)

    assert "given by <bdi>Grace Guardian</bdi>" in html(client.get("/me/programs/"))
