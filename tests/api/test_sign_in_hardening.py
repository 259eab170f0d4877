"""API.md "Sign-in hardening": second factor on auth/token/, one lock per account,
throttles that neither a forged X-Forwarded-For nor concurrency get around."""

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


# --- one lock per account, whatever the spelling --------------------------------------------


def test_token_lock_holds_for_every_spelling_of_the_email(anon, bob):
    for spelling in ["bob@example.org", " Bob@Example.org", "BOB@EXAMPLE.ORG "] * 4:
        anon.post(TOKEN, {"email": spelling, "password": "wrong-password"})

    response = anon.post(TOKEN, {"email": " bob@example.org", "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
