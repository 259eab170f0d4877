"""API tokens on their page and password changes; sign-in lockout; API throttles."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-different-Long-passphrase-9"


def test_token_page_makes_replaces_and_revokes_a_token(client):
    person = UserFactory()
    client.force_login(person)
    assert "You have no API token." in client.get("/me/api-token/").content.decode()
    client.post("/me/api-token/", {"action": "create"})
    first = Token.objects.get(user=person).key
    assert first in client.get("/me/api-token/").content.decode()
    client.post("/me/api-token/", {"action": "create"})
    assert Token.objects.get(user=person).key != first
    client.post("/me/api-token/", {"action": "revoke"})
    assert not Token.objects.filter(user=person).exists()


def test_changing_the_password_ends_the_api_token(client):
    person = UserFactory()
    token = Token.objects.create(user=person)
    client.force_login(person)
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").status_code == 401


def test_resetting_the_password_ends_the_api_token(client):
    person = UserFactory()
    Token.objects.create(user=person)
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    url = f"/accounts/reset/{uid}/{default_token_generator.make_token(person)}/"
    form_url = client.get(url)["Location"]  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert not Token.objects.filter(user=person).exists()


def test_ten_failed_sign_ins_lock_the_account_with_a_clear_page(client):
    UserFactory(email="target@example.org")
    for _ in range(10):
        client.post("/accounts/login/", {"username": "target@example.org", "password": "x"})
    response = client.post("/accounts/login/", {"username": "target@example.org",
                                                "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_api_callers_are_throttled_per_address(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": None})
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    answers = [api.get("/api/v1/programs/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert APIClient(REMOTE_ADDR="198.51.100.8").get("/api/v1/programs/").status_code == 200
