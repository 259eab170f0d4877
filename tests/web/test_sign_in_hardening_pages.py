"""Sign-in hardening on the pages: one lock per account whatever the spelling."""

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SPELLINGS = ["Sara@Example.org", " sara@example.org", "SARA@EXAMPLE.ORG "]


def _sign_in(client, url, email, password):
    return client.post(url, {"username": email, "password": password, "next": "/admin/"})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_lock_holds_for_every_spelling_of_the_email(client, url, spelling):
    UserFactory(email="sara@example.org", is_staff=True)
    for _ in range(10):
        _sign_in(client, url, "sara@example.org", "wrong")

    response = _sign_in(client, url, spelling, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_spellings_share_one_count_of_failures(client, url):
    UserFactory(email="sara@example.org", is_staff=True)
    for attempt in range(10):
        _sign_in(client, url, SPELLINGS[attempt % len(SPELLINGS)], "wrong")

    response = _sign_in(client, url, "sara@example.org", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
