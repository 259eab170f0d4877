import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exchanges import services
from exchanges.models import Application
from participants.models import User
from tests.factories import PASSWORD, ApplicationFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_export_returns_every_record_about_the_caller(org):
    person = UserFactory(legal_name="Noa Levi")
    program = program_with_sides(organization=org)
    services.application_submit(program=program, side=program.sides.first(), applicant=person,
                                motivation="Listening first.")
    body = token_client(person).get("/api/v1/me/export/").json()
    assert body["profile"]["legal_name"] == "Noa Levi"
    assert body["applications"][0]["motivation"] == "Listening first."
    assert body["sessions"] == []
    assert [m["kind"] for m in body["messages"]] == ["application_received"]


def test_export_needs_a_signed_in_caller():
    assert APIClient().get("/api/v1/me/export/").status_code == 401


def test_delete_me_needs_the_password():
    person = UserFactory()
    response = token_client(person).delete("/api/v1/me/", {"password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()
    person.refresh_from_db()
    assert person.erased_at is None


def test_delete_me_erases_withdraws_and_ends_the_token(org):
    person = UserFactory(email="gone@example.org")
    program = program_with_sides(organization=org, capacity=2)
    side = program.sides.first()
    application = ApplicationFactory(program=program, side=side, applicant=person,
                                     status="accepted")
    waiting = ApplicationFactory(program=program, side=side, status="waitlisted")
    client = token_client(person)
    assert client.delete("/api/v1/me/", {"password": PASSWORD}, format="json").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    application.refresh_from_db()
    waiting.refresh_from_db()
    assert (application.status, waiting.status) == ("withdrawn", "accepted")
    assert not User.objects.filter(email="gone@example.org").exists()
    assert Application.objects.filter(program=program).count() == 2


def test_delete_me_as_sole_owner_is_a_conflict(org, alice):
    response = token_client(alice).delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "sole_owner"
