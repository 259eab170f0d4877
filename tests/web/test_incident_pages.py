"""Incident pages for every kind of caller: report a concern, one's own reports, and the
custodians' and owners' incident list and detail."""

import re

import pytest
from django.test import Client

from exchanges.models import Incident
from participants.models import Notification
from tests import incident_world
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

TEXT = "He photographed my badge and posted it"


@pytest.fixture
def w():
    return incident_world.build()


def client(w, caller: str) -> Client:
    browser = Client()
    if caller != "anonymous":
        browser.force_login(w.people[caller])
    return browser


def _statuses(w, request) -> dict:
    return {caller: request(client(w, caller)).status_code for caller in incident_world.CALLERS}


def test_who_reaches_which_page(w):
    incident = incident_world.report(w, "accepted")
    program = w.program.pk

    assert _statuses(w, lambda c: c.get(f"/programs/{program}/incidents/")) == {
        "anonymous": 302, "outsider": 404, "applicant": 404, "accepted": 200,
        "facilitator": 200, "coordinator": 200, "owner": 200, "custodian": 200,
        "other_staff": 404}
    assert _statuses(w, lambda c: c.get(f"/programs/{program}/incidents/new/")) == {
        "anonymous": 302, "outsider": 403, "applicant": 403, "accepted": 200,
        "facilitator": 200, "coordinator": 200, "owner": 200, "custodian": 200,
        "other_staff": 403}
    assert _statuses(w, lambda c: c.get(f"/incidents/{incident.pk}/")) == {
        "anonymous": 302, "outsider": 404, "applicant": 404, "accepted": 200,
        "facilitator": 404, "coordinator": 404, "owner": 200, "custodian": 200,
        "other_staff": 404}
    assert _statuses(w, lambda c: c.post(f"/incidents/{incident.pk}/status/",
                                         {"status": "reviewing"})) == {
        "anonymous": 302, "outsider": 404, "applicant": 404, "accepted": 403,
        "facilitator": 404, "coordinator": 404, "owner": 302, "custodian": 302,
        "other_staff": 404}


def _tab(body: str, program_id: int) -> bool:
    return bool(re.search(rf'<a href="/programs/{program_id}/incidents/"[^>]*>Incidents</a>',
                          body))


def test_the_incidents_tab_and_the_report_link_show_only_to_those_they_serve(w):
    session = SessionFactory(program=w.program)
    shown = {}
    for caller in incident_world.CALLERS:
        browser = client(w, caller)
        program_page = browser.get(f"/programs/{w.program.pk}/").content.decode()
        session_page = browser.get(f"/sessions/{session.pk}/").content.decode()
        shown[caller] = (_tab(program_page, w.program.pk), "Report a concern" in program_page,
                         "Report a concern" in session_page)

    assert shown == {
        "anonymous": (False, False, False), "outsider": (False, False, False),
        "applicant": (False, False, False), "accepted": (False, True, True),
        "facilitator": (False, True, True), "coordinator": (False, True, True),
        "owner": (True, True, True), "custodian": (True, True, True),
        "other_staff": (False, False, False)}


def test_my_sessions_offers_to_report_in_each_program(w):
    SessionFactory(program=w.program)

    body = client(w, "accepted").get("/me/sessions/").content.decode()

    assert f'href="/programs/{w.program.pk}/incidents/new/"' in body


def test_a_participant_reports_a_concern_by_the_form(w):
    about = w.people["accepted2"]

    response = client(w, "accepted").post(
        f"/programs/{w.program.pk}/incidents/new/",
        {"kind": "doxxing", "description": TEXT, "about": str(about.pk), "anonymous": "on"})

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.kind, incident.description, incident.about, incident.anonymous,
            incident.reporter) == ("doxxing", TEXT, about, True, w.people["accepted"])
    assert [n.recipient for n in Notification.objects.filter(kind="incident_reported")] == [
        w.people["custodian"]]
    page = client(w, "accepted").get(response["Location"]).content.decode()
    assert TEXT in page and "Open" in page


def test_the_form_shows_errors_beside_their_fields(w):
    response = client(w, "accepted").post(f"/programs/{w.program.pk}/incidents/new/",
                                          {"kind": "doxxing", "description": " "})

    assert response.status_code == 400
    assert 'id="id_description_error"' in response.content.decode()
    assert Incident.objects.count() == 0


def test_the_form_explains_who_reads_it(w):
    body = client(w, "accepted").get(f"/programs/{w.program.pk}/incidents/new/").content.decode()

    assert "custodians, who look after people" in body
    assert "not the person it is about" in body
    assert "Don&#x27;t show my name to the owners" in body


def _about_options(w, caller) -> list[str]:
    body = client(w, caller).get(f"/programs/{w.program.pk}/incidents/new/").content.decode()
    select = body[body.index('name="about"'):]
    select = select[:select.index("</select>")]
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)


def test_the_about_picker_offers_people_of_the_program_by_display_name(w):
    assert _about_options(w, "accepted") == [
        "Accepted2", "Coordinator", "Custodian", "Facilitator", "Owner"]
    assert _about_options(w, "coordinator") == [
        "Accepted", "Accepted2", "Applicant", "Custodian", "Facilitator", "Owner"]


def test_the_owner_list_hides_an_anonymous_reporter_and_the_custodian_sees_them(w):
    incident_world.report(w, "accepted", anonymous=True, about=w.people["accepted2"].pk)

    owner = client(w, "owner").get(f"/programs/{w.program.pk}/incidents/").content.decode()
    custodian = client(w, "custodian").get(
        f"/programs/{w.program.pk}/incidents/").content.decode()

    assert "Not shown to owners" in owner and ">Accepted<" not in owner
    assert "Accepted2" in owner
    assert "<bdi>Accepted</bdi>" in custodian


def test_a_reporter_sees_only_their_own_reports_and_their_status(w):
    mine = incident_world.report(w, "accepted")
    incident_world.report(w, "accepted2", description="Someone else's report")

    body = client(w, "accepted").get(f"/programs/{w.program.pk}/incidents/").content.decode()

    assert f'href="/incidents/{mine.pk}/"' in body
    assert body.count('href="/incidents/') == 1
    assert "Someone else" not in body


def test_a_custodian_works_an_incident_to_closed(w):
    incident = incident_world.report(w, "accepted")
    custodian = client(w, "custodian")
    url = f"/incidents/{incident.pk}/status/"

    custodian.post(url, {"status": "reviewing", "resolution": ""})
    refused = custodian.post(url, {"status": "closed", "resolution": ""})
    closed = custodian.post(url, {"status": "closed", "resolution": "Both spoken to."},
                            follow=True)

    incident.refresh_from_db()
    assert refused.status_code == 400
    assert 'id="id_resolution_error"' in refused.content.decode()
    assert (incident.status, incident.resolution) == ("closed", "Both spoken to.")
    assert "The incident is now closed." in closed.content.decode()
    reporter_view = client(w, "accepted").get(f"/incidents/{incident.pk}/").content.decode()
    assert "Closed" in reporter_view and "Both spoken to." not in reporter_view


@pytest.mark.parametrize("rows", [1, 3])
def test_the_incident_list_takes_a_fixed_number_of_queries(w, rows,
                                                          django_assert_max_num_queries):
    for n in range(rows):
        incident_world.report(w, "accepted", about=w.people["accepted2"].pk, anonymous=n % 2)
    browser = client(w, "owner")

    with django_assert_max_num_queries(9):
        response = browser.get(f"/programs/{w.program.pk}/incidents/")

    assert response.content.decode().count('href="/incidents/') == rows
