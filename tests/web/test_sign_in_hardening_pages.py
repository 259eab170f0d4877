"""Sign-in hardening on the pages: one lock per account whatever the spelling."""

import pytest
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, UserFactory, authenticator_for, totp_code

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


# --- platform admins and a second factor ------------------------------------------------------


@pytest.fixture
def platform_admin():
    return UserFactory(email="root@example.org", is_staff=True, is_superuser=True)


def test_the_admin_sends_an_admin_without_an_authenticator_to_set_one_up(client, settings,
                                                                        platform_admin):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    response = _sign_in(client, "/admin/login/?next=/admin/", platform_admin.email, PASSWORD)
    assert response.status_code == 302

    assert client.get("/admin/")["Location"] == "/account/two-factor/?next=/admin/"
    assert client.get("/admin/participants/user/")["Location"].startswith("/account/two-factor/")

    client.get("/account/two-factor/?next=/admin/")
    device = TOTPDevice.objects.get(user=platform_admin)  # made by the set-up page
    client.post("/account/two-factor/", {"token": totp_code(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_the_admin_asks_an_admin_with_an_authenticator_for_a_code(client, settings,
                                                                 platform_admin):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    device = authenticator_for(platform_admin)
    _sign_in(client, "/admin/login/", platform_admin.email, PASSWORD)

    assert client.get("/admin/")["Location"] == "/account/two-factor/verify/?next=/admin/"
    client.post("/account/two-factor/verify/", {"token": totp_code(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_the_admin_itself_refuses_an_unverified_admin(rf, settings, platform_admin):
    """Belt and braces: the admin site checks the second factor, not only the middleware."""
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    request = rf.get("/admin/")
    request.user = platform_admin
    platform_admin.is_verified = lambda: False
    assert admin.site.has_permission(request) is False
    platform_admin.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_with_the_setting_off_admins_sign_in_with_a_password(client, settings, platform_admin):
    settings.ADMIN_REQUIRE_TWO_FACTOR = False
    _sign_in(client, "/admin/login/", platform_admin.email, PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_a_person_with_an_authenticator_is_asked_for_a_code_on_the_pages(client):
    """Else the pages would hand out the API token that auth/token/ refuses without one."""
    person = UserFactory()
    authenticator_for(person)
    client.post("/accounts/login/", {"username": person.email, "password": PASSWORD})

    assert client.get("/me/api-token/")["Location"] == (
        "/account/two-factor/verify/?next=/me/api-token/")
