"""The incidents API (API.md "Safety") for every kind of caller, custodians included."""

import pytest
from rest_framework.test import APIClient

from exchanges.models import Incident
from participants.models import Notification
from tests import incident_world
from tests.factories import program_with_sides

pytestmark = pytest.mark.django_db

BODY = {"kind": "threat", "description": "A message: we know where you live."}


@pytest.fixture
def w():
    return incident_world.build()


def client(w, caller: str) -> APIClient:
    api = APIClient()
    if caller != "anonymous":
        api.force_authenticate(w.people[caller])
    return api


def _statuses(w, request) -> dict:
    return {caller: request(client(w, caller)).status_code for caller in incident_world.CALLERS}


def test_who_may_report(w):
    url = f"/api/v1/programs/{w.program.pk}/incidents/"

    statuses = _statuses(w, lambda api: api.post(url, BODY, format="json"))

    assert statuses == {"anonymous": 401, "outsider": 403, "applicant": 403, "accepted": 201,
                        "facilitator": 201, "coordinator": 201, "owner": 201, "custodian": 201,
                        "other_staff": 403}


def test_a_draft_program_answers_404_to_those_who_cannot_see_it(w):
    draft = program_with_sides(organization=w.org, status="draft")
    url = f"/api/v1/programs/{draft.pk}/incidents/"

    posted = _statuses(w, lambda api: api.post(url, BODY, format="json"))
    listed = _statuses(w, lambda api: api.get(url))

    # A facilitator with no session of the draft does not see it (API v1.1).
    assert posted == {"anonymous": 401, "outsider": 404, "applicant": 404, "accepted": 404,
                      "facilitator": 404, "coordinator": 201, "owner": 201, "custodian": 201,
                      "other_staff": 404}
    assert listed == {**posted, **{k: 200 for k, v in posted.items() if v == 201}}


def test_a_report_answers_its_fields(w):
    about = w.people["accepted2"]
    response = client(w, "accepted").post(
        f"/api/v1/programs/{w.program.pk}/incidents/",
        {**BODY, "about": about.pk, "anonymous": True}, format="json")

    incident = Incident.objects.get()
    data = response.json()
    assert response.status_code == 201
    assert {k: data[k] for k in ("id", "kind", "description", "about", "status", "reporter",
                                 "anonymous", "program", "resolution")} == {
        "id": incident.pk, "kind": "threat", "description": BODY["description"],
        "about": about.pk, "status": "open", "reporter": w.people["accepted"].pk,
        "anonymous": True, "program": w.program.pk, "resolution": None}
    assert data["created_at"].endswith("Z")
    assert Notification.objects.filter(kind="incident_reported").count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "gossip", "description": "x"}, "kind"),
    ({"kind": "threat"}, "description"),
    ({"kind": "threat", "description": ""}, "description"),
    ({"kind": "threat", "description": 5}, "description"),
    ({"kind": "threat", "description": "x" * 5001}, "description"),
    ({**BODY, "about": "2"}, "about"),
    ({**BODY, "about": 0}, "about"),
    ({**BODY, "anonymous": "yes"}, "anonymous"),
])
def test_invalid_reports_are_refused_naming_the_field(w, body, field):
    response = client(w, "accepted").post(f"/api/v1/programs/{w.program.pk}/incidents/", body,
                                          format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("about", ["outsider", "other_staff"])
def test_about_someone_outside_the_program_is_400_naming_about(w, about):
    response = client(w, "accepted").post(
        f"/api/v1/programs/{w.program.pk}/incidents/",
        {**BODY, "about": w.people[about].pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["about"]


def test_the_list_shows_custodians_and_owners_all_others_their_own(w):
    mine = incident_world.report(w, "accepted")
    facilitators = incident_world.report(w, "facilitator")
    url = f"/api/v1/programs/{w.program.pk}/incidents/"

    seen = {caller: [r["id"] for r in client(w, caller).get(url).json()["results"]]
            for caller in incident_world.CALLERS[1:]}

    assert seen == {"outsider": [], "applicant": [], "accepted": [mine.pk],
                    "facilitator": [facilitators.pk], "coordinator": [],
                    "owner": [facilitators.pk, mine.pk],
                    "custodian": [facilitators.pk, mine.pk], "other_staff": []}


def test_an_anonymous_reporter_is_null_for_owners_only(w):
    incident = incident_world.report(w, "accepted", anonymous=True)
    named = incident_world.report(w, "accepted2")
    url = f"/api/v1/programs/{w.program.pk}/incidents/"

    reporters = {caller: {r["id"]: r["reporter"] for r in
                          client(w, caller).get(url).json()["results"]}
                 for caller in ("owner", "custodian", "accepted")}

    assert reporters == {
        "owner": {incident.pk: None, named.pk: w.people["accepted2"].pk},
        "custodian": {incident.pk: w.people["accepted"].pk, named.pk: w.people["accepted2"].pk},
        "accepted": {incident.pk: w.people["accepted"].pk}}
    detail = client(w, "owner").get(f"/api/v1/incidents/{incident.pk}/").json()
    assert detail["reporter"] is None


def test_the_list_is_paginated_and_filtered_by_status(w):
    first = incident_world.report(w)
    incident_world.report(w)
    client(w, "owner").patch(f"/api/v1/incidents/{first.pk}/", {"status": "reviewing"},
                             format="json")
    url = f"/api/v1/programs/{w.program.pk}/incidents/"

    page = client(w, "custodian").get(url, {"page_size": 1}).json()
    reviewing = client(w, "custodian").get(url, {"status": "reviewing"}).json()

    assert (page["count"], len(page["results"]), page["next"] is not None) == (2, 1, True)
    assert [r["id"] for r in reviewing["results"]] == [first.pk]
    assert client(w, "custodian").get(url, {"status": "done"}).status_code == 400
    assert client(w, "custodian").get(url, {"kind": "threat"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 3])
def test_the_list_takes_a_fixed_number_of_queries(w, rows, django_assert_max_num_queries):
    for n in range(rows):
        incident_world.report(w, "accepted", about=w.people["accepted2"].pk, anonymous=n % 2)
    api = client(w, "owner")

    with django_assert_max_num_queries(4):
        response = api.get(f"/api/v1/programs/{w.program.pk}/incidents/")

    assert len(response.json()["results"]) == rows


def test_working_an_incident_through_the_api(w):
    incident = incident_world.report(w)
    url = f"/api/v1/incidents/{incident.pk}/"
    custodian = client(w, "custodian")

    reviewing = custodian.patch(url, {"status": "reviewing"}, format="json")
    refused = custodian.patch(url, {"status": "closed"}, format="json")
    closed = custodian.patch(url, {"status": "closed", "resolution": "Warned; moved groups."},
                             format="json")

    assert (reviewing.status_code, reviewing.json()["status"]) == (200, "reviewing")
    assert (refused.status_code, list(refused.json())) == (400, ["resolution"])
    assert closed.status_code == 200
    assert {k: closed.json()[k] for k in ("status", "resolution")} == {
        "status": "closed", "resolution": "Warned; moved groups."}
    assert closed.json()["closed_at"].endswith("Z")
    # The reporter follows the status, not the resolution.
    mine = client(w, "accepted").get(url).json()
    assert (mine["status"], mine["resolution"]) == ("closed", None)


@pytest.mark.parametrize("body", [{}, {"status": "done"}, {"status": 1},
                                  {"status": "closed", "resolution": 5}])
def test_invalid_changes_are_400(w, body):
    incident = incident_world.report(w)

    response = client(w, "owner").patch(f"/api/v1/incidents/{incident.pk}/", body,
                                        format="json")

    assert response.status_code == 400


def test_who_may_read_and_change_an_incident(w):
    incident = incident_world.report(w, "accepted")
    url = f"/api/v1/incidents/{incident.pk}/"

    read = _statuses(w, lambda api: api.get(url))
    changed = _statuses(w, lambda api: api.patch(url, {"status": "reviewing"}, format="json"))

    assert read == {"anonymous": 401, "outsider": 404, "applicant": 404, "accepted": 200,
                    "facilitator": 404, "coordinator": 404, "owner": 200, "custodian": 200,
                    "other_staff": 404}
    assert changed == {**read, "accepted": 403}


def test_quick_exit_on_me(w):
    api = client(w, "accepted")

    hidden = api.patch("/api/v1/me/", {"hidden_from_participants": True}, format="json")
    w.people["accepted"].refresh_from_db()  # the signed-in user, as the next request loads it
    shown = api.get("/api/v1/me/")
    refused = api.patch("/api/v1/me/", {"hidden_from_participants": "yes"}, format="json")
    undone = api.patch("/api/v1/me/", {"hidden_from_participants": False}, format="json")

    assert (hidden.status_code, hidden.json()["hidden_from_participants"]) == (200, True)
    assert shown.json()["hidden_from_participants"] is True
    assert (refused.status_code, list(refused.json())) == (400, ["hidden_from_participants"])
    assert undone.json()["hidden_from_participants"] is False
