import json

import pytest

from exchanges.models import ActivityLog
from participants.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_my_data_downloads_as_a_json_attachment_and_is_logged(client):
    person = UserFactory(legal_name="Deniz Kaya")
    client.force_login(person)
    assert client.get("/me/data/").status_code == 200
    response = client.post("/me/data/download/")
    assert response["Content-Disposition"] == 'attachment; filename="parley-my-data.json"'
    data = json.loads(response.content)
    assert data["profile"]["legal_name"] == "Deniz Kaya"
    assert ActivityLog.objects.filter(verb="personal_data.exported", actor=person).count() == 1


def test_download_needs_a_post(client):
    client.force_login(UserFactory())
    assert client.get("/me/data/download/").status_code == 405


def test_erase_with_a_wrong_password_reshows_the_form(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post("/me/data/erase/", {"password": "nope"})
    assert response.status_code == 400
    assert "The password is not correct." in response.content.decode()
    person.refresh_from_db()
    assert person.erased_at is None


def test_erase_signs_out_and_the_email_is_free_again(client):
    person = UserFactory(email="leaving@example.org")
    client.force_login(person)
    response = client.post("/me/data/erase/", {"password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/me/profile/").status_code == 302  # signed out: sent to sign in
    assert not User.objects.filter(email="leaving@example.org").exists()


def test_sole_owner_is_told_to_hand_over_first(client, org, alice):
    client.force_login(alice)
    response = client.post("/me/data/erase/", {"password": PASSWORD})
    assert response.status_code == 400
    assert "only owner of Bridges" in response.content.decode()
