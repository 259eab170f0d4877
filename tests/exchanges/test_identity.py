"""Identity protection, the custodian and reveals: API, pages, exports, admin, my data."""

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from exchanges.models import ActivityLog, Reveal
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

REASON = "A threat against this participant was reported; we must warn them by phone."


@pytest.fixture
def org():
    return OrganizationFactory(name="Alpha", slug="alpha", identity_protection=True)


@pytest.fixture
def people(org):
    people = {role: UserFactory(display_name=role.title(), email=f"{role}@alpha.example")
              for role in ("owner", "coordinator", "facilitator", "custodian")}
    for role, user in people.items():
        MembershipFactory(organization=org, user=user, role=role)
    other = OrganizationFactory(slug="beta")
    people["other_custodian"] = UserFactory(display_name="Outsider")
    MembershipFactory(organization=other, user=people["other_custodian"], role="custodian")
    people["participant"] = UserFactory(display_name="Nobody")
    people["admin"] = UserFactory(display_name="Admin", is_staff=True, is_superuser=True)
    return people


@pytest.fixture
def application(org):
    program = program_with_sides("North", "South", organization=org)
    person = UserFactory(display_name="Pseudonym", email="hidden@example.org",
                         legal_name="Real Legalname", institution="Secret School",
                         birth_date=datetime.date(1990, 5, 6))
    return ApplicationFactory(program=program, side=program.sides.first(), applicant=person)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def web(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def reveal_url(application) -> str:
    return f"/api/v1/applications/{application.pk}/reveal/"


# --- The API ------------------------------------------------------------------------------


def test_a_custodian_reveals_with_a_reason_and_it_is_logged(people, application):
    response = api(people["custodian"]).post(reveal_url(application), {"reason": REASON},
                                             format="json")

    assert response.status_code == 200
    assert response.json() == {"email": "hidden@example.org", "legal_name": "Real Legalname"}
    [reveal] = Reveal.objects.all()
    assert (reveal.outcome, reveal.actor, reveal.actor_role, reveal.reason, reveal.subject) == (
        "revealed", people["custodian"], "custodian", REASON, application.applicant)
    [entry] = ActivityLog.objects.filter(verb="identity.revealed")
    assert entry.data["reason"] == REASON
    assert entry.organization_id == application.program.organization_id
    assert entry.actor == people["custodian"]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None},
                                  {"reason": 12}])
def test_a_reveal_without_a_reason_is_refused_and_logged(people, application, body):
    response = api(people["custodian"]).post(reveal_url(application), body, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert "hidden@example.org" not in response.content.decode()
    [reveal] = Reveal.objects.all()
    assert (reveal.outcome, reveal.refusal) == ("refused", "no_reason")
    assert ActivityLog.objects.filter(verb="identity.reveal_refused",
                                      data__refusal="no_reason").count() == 1
    assert not ActivityLog.objects.filter(verb="identity.revealed").exists()


@pytest.mark.parametrize("role", ["owner", "coordinator", "facilitator"])
def test_other_staff_are_refused_with_403_and_logged(people, application, role):
    response = api(people[role]).post(reveal_url(application), {"reason": REASON},
                                      format="json")

    assert response.status_code == 403
    assert "hidden@example.org" not in response.content.decode()
    [reveal] = Reveal.objects.all()
    assert (reveal.outcome, reveal.refusal, reveal.actor_role) == ("refused", "not_custodian",
                                                                   role)
    [entry] = ActivityLog.objects.filter(verb="identity.reveal_refused")
    assert entry.organization_id == application.program.organization_id


@pytest.mark.parametrize("who", ["other_custodian", "participant"])
def test_a_reveal_of_another_organizations_person_is_404_and_logged(people, application, who):
    response = api(people[who]).post(reveal_url(application), {"reason": REASON},
                                     format="json")

    assert response.status_code == 404
    [reveal] = Reveal.objects.all()
    assert (reveal.outcome, reveal.refusal) == ("refused", "not_in_organization")
    [entry] = ActivityLog.objects.filter(verb="identity.reveal_refused")
    assert entry.organization_id is None  # the organization's own log is not told


def test_the_applicant_cannot_reveal_themselves_through_the_endpoint(application):
    response = api(application.applicant).post(reveal_url(application), {"reason": REASON},
                                               format="json")

    assert response.status_code == 404
    assert Reveal.objects.get().outcome == "refused"


def test_anonymous_callers_get_401_and_nothing_is_logged(application):
    assert api().post(reveal_url(application), {"reason": REASON},
                      format="json").status_code == 401
    assert not Reveal.objects.exists()


def test_the_participant_sees_the_reveal_in_their_export_and_data_page(people, application):
    api(people["custodian"]).post(reveal_url(application), {"reason": REASON}, format="json")
    api(people["owner"]).post(reveal_url(application), {"reason": REASON}, format="json")

    export = api(application.applicant).get("/api/v1/me/export/").json()
    page = web(application.applicant).get("/me/data/").content.decode()

    [shown] = export["identity_reveals"]  # the refused attempt revealed nothing
    assert (shown["role"], shown["display_name"], shown["reason"]) == (
        "custodian", "Custodian", REASON)
    assert shown["at"]
    assert "Custodian" in page and REASON[:40] in page and "custodian" in page


# --- The custodian reads, changes nothing ----------------------------------------------------


def test_under_protection_staff_get_null_personal_fields(people, application):
    url = f"/api/v1/programs/{application.program_id}/applications/"
    for role in ("owner", "coordinator", "custodian"):
        [row] = api(people[role]).get(url).json()["results"]
        assert row["applicant"] == {"id": application.applicant_id,
                                    "display_name": "Pseudonym", "email": None,
                                    "legal_name": None, "birth_date": None,
                                    "institution": None}, role


def test_without_protection_custodians_read_as_staff(org, people, application):
    org.identity_protection = False
    org.save()

    [row] = api(people["custodian"]).get(
        f"/api/v1/programs/{application.program_id}/applications/").json()["results"]

    assert row["applicant"]["email"] == "hidden@example.org"


def test_the_custodian_cannot_decide(people, application):
    response = api(people["custodian"]).post(f"/api/v1/applications/{application.pk}/accept/")

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == "pending"


def test_applications_list_query_count_under_protection(people, application,
                                                         django_assert_max_num_queries):
    for _ in range(5):
        ApplicationFactory(program=application.program, side=application.side)
    client = api(people["custodian"])
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/v1/programs/{application.program_id}/applications/")
    assert len(response.json()["results"]) == 6


# --- Pages and exports ---------------------------------------------------------------------


def test_the_applications_page_offers_the_custodian_a_reveal_and_no_decisions(people,
                                                                              application):
    page = web(people["custodian"]).get(
        f"/programs/{application.program_id}/applications/").content.decode()

    assert f"/applications/{application.pk}/reveal/" in page
    assert f"/applications/{application.pk}/accept/" not in page
    assert "hidden@example.org" not in page


def test_the_reveal_page_shows_the_identity_once_after_a_reason(people, application):
    client = web(people["custodian"])
    url = f"/applications/{application.pk}/reveal/"

    form = client.get(url)
    blank = client.post(url, {"reason": " "})
    revealed = client.post(url, {"reason": REASON})

    assert form.status_code == 200 and "hidden@example.org" not in form.content.decode()
    assert blank.status_code == 400 and "hidden@example.org" not in blank.content.decode()
    assert revealed.status_code == 200
    assert "hidden@example.org" in revealed.content.decode()
    assert "Real Legalname" in revealed.content.decode()
    assert "no-store" in revealed.get("Cache-Control", "")
    assert list(Reveal.objects.order_by("id").values_list("outcome", "via")) == [
        ("refused", "page"), ("revealed", "page")]


@pytest.mark.parametrize("role", ["owner", "coordinator", "facilitator", "other_custodian"])
def test_the_reveal_page_is_not_found_for_others_and_their_posts_are_logged(people,
                                                                             application, role):
    client = web(people[role])
    url = f"/applications/{application.pk}/reveal/"

    assert client.get(url).status_code == 404
    response = client.post(url, {"reason": REASON})

    assert response.status_code == 404
    assert "hidden@example.org" not in response.content.decode()
    assert Reveal.objects.get().outcome == "refused"


def test_the_csv_export_has_empty_personal_columns_under_protection(people, application):
    response = web(people["custodian"]).get(
        f"/programs/{application.program_id}/applications.csv")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Pseudonym" in body
    assert all(secret not in body for secret in ("hidden@example.org", "Real Legalname",
                                                 "Secret School", "1990-05-06"))
    assert not ActivityLog.objects.filter(verb="personal_data.viewed").exists()


# --- The organization's setting -------------------------------------------------------------


def test_owners_turn_protection_on_through_the_api_and_it_is_logged(org, people):
    org.identity_protection = False
    org.save()

    response = api(people["owner"]).patch("/api/v1/organizations/alpha/",
                                          {"identity_protection": True}, format="json")

    assert response.status_code == 200 and response.json()["identity_protection"] is True
    entry = ActivityLog.objects.get(verb="organization.updated")
    assert entry.data == {"fields": ["identity_protection"], "identity_protection": True}


@pytest.mark.parametrize("value", ["true", 1, "yes", None])
def test_the_setting_takes_only_a_json_boolean(org, people, value):
    response = api(people["owner"]).patch("/api/v1/organizations/alpha/",
                                          {"identity_protection": value}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["coordinator", "custodian"])
def test_only_owners_change_the_setting(people, role):
    response = api(people[role]).patch("/api/v1/organizations/alpha/",
                                       {"identity_protection": False}, format="json")
    assert response.status_code == 403


def test_the_settings_page_turns_protection_off(org, people):
    response = web(people["owner"]).post("/orgs/alpha/settings/", {
        "name": "Alpha", "description": "", "website": ""})

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.identity_protection is False


def test_the_members_page_explains_the_custodian(people):
    page = web(people["coordinator"]).get("/orgs/alpha/members/").content.decode()
    assert "Custodian" in page and "reveal" in page


# --- The Django admin ----------------------------------------------------------------------


def test_the_admin_masks_protected_people_until_a_reveal_with_a_reason(people, application):
    client = web(people["admin"])
    person = application.applicant

    listing = client.get("/admin/participants/user/").content.decode()
    change = client.get(f"/admin/participants/user/{person.pk}/change/").content.decode()
    url = f"/admin/exchanges/application/{application.pk}/reveal/"
    refused = client.post(url, {"reason": ""}).content.decode()
    revealed = client.post(url, {"reason": REASON}).content.decode()

    for page in (listing, change, refused):
        assert "hidden@example.org" not in page and "Real Legalname" not in page
    assert "owner@alpha.example" in listing  # not protected: shown as before
    assert "hidden@example.org" in revealed and "Real Legalname" in revealed
    assert list(Reveal.objects.order_by("id").values_list("outcome", "actor_role", "via")) == [
        ("refused", "platform_admin", "admin"), ("revealed", "platform_admin", "admin")]
    assert ActivityLog.objects.filter(verb="identity.revealed", actor=people["admin"]).exists()


def test_an_admin_search_by_email_does_not_find_a_protected_person(people, application):
    client = web(people["admin"])

    hidden = client.get("/admin/participants/user/?q=hidden@example.org").content.decode()
    shown = client.get("/admin/participants/user/?q=owner@alpha.example").content.decode()

    assert "Pseudonym" not in hidden
    assert "Owner" in shown
