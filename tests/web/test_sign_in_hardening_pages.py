"""Sign-in hardening on the pages: one lock per account whatever the spelling."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.core import mail
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from participants.models import Notification
from participants.outbox.dispatch import dispatch_outbox
from tests.factories import (
    PASSWORD,
    UserFactory,
    authenticator_for,
    program_with_sides,
    totp_code,
)
from tests.reliability.smtp import free_port

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


# --- the profile page: a new email needs the password ---------------------------------------


def _profile(person, **changes):
    data = {"email": person.email, "display_name": person.display_name, "legal_name": "",
            "country": "", "languages": "", "timezone": "UTC", "language": "en",
            "notify_email": "on"}
    return {**data, **changes}


def test_the_profile_page_changes_the_email_only_with_the_password(client):
    person = UserFactory(email="sara@example.org")
    client.force_login(person)

    refused = client.post("/me/profile/", _profile(person, email="new@example.org"))
    assert refused.status_code == 200
    assert refused.context["form"].errors["password"]
    person.refresh_from_db()
    assert person.email == "sara@example.org"

    accepted = client.post("/me/profile/", _profile(person, email="New@Example.org",
                                                    password=PASSWORD))
    assert accepted.status_code == 302
    person.refresh_from_db()
    assert person.email == "new@example.org"
    assert Notification.objects.get(kind="email_changed").context["old_email"] == (
        "sara@example.org")


# --- password reset: through the outbox, rate limited, saying the same either way -----------


RESET = "/accounts/password_reset/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # the reset limits count in the cache


def _without_csrf(response) -> str:
    return re.sub(r'(value|content)="[A-Za-z0-9]{32,}"', "", response.content.decode())


def test_a_reset_link_goes_through_the_outbox_and_works(client):
    person = UserFactory(email="sara@example.org")

    response = client.post(RESET, {"email": " Sara@Example.org"})

    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []  # written to the outbox, not sent from the request
    assert Notification.objects.get(kind="password_reset").recipient == person
    dispatch_outbox()
    assert [m.to for m in mail.outbox] == [["sara@example.org"]]
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    form_page = client.get(urlsplit(link).path)
    assert form_page.status_code == 302  # Django swaps the token for a session marker
    done = client.post(form_page["Location"], {"new_password1": "a-New-passphrase-41",
                                               "new_password2": "a-New-passphrase-41"})
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-New-passphrase-41")


def test_a_reset_link_is_not_lost_while_the_mail_server_is_down(client, settings):
    UserFactory(email="sara@example.org")
    client.post(RESET, {"email": "sara@example.org"})
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()

    dispatch_outbox()

    notice = Notification.objects.get(kind="password_reset")
    assert notice.status == "pending" and notice.attempts == 1


def test_the_reset_page_says_the_same_whether_or_not_the_address_has_an_account(client):
    UserFactory(email="sara@example.org")
    known = client.post(RESET, {"email": "sara@example.org"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert _without_csrf(known) == _without_csrf(unknown)
    assert Notification.objects.filter(kind="password_reset").count() == 1


@pytest.mark.parametrize("email", ["sara@example.org", "nobody@example.org"])
def test_resets_are_limited_per_address_whether_or_not_it_has_an_account(client, email):
    UserFactory(email="sara@example.org")
    answers = [client.post(RESET, {"email": email}, REMOTE_ADDR=f"192.0.2.{n}").status_code
               for n in range(4)]
    assert answers == [302, 302, 302, 429]
    assert Notification.objects.filter(kind="password_reset").count() == (
        3 if email == "sara@example.org" else 0)


def test_resets_are_limited_per_client_address(client):
    answers = [client.post(RESET, {"email": f"person{n}@example.org"},
                           REMOTE_ADDR="192.0.2.99").status_code for n in range(21)]
    assert answers == [302] * 20 + [429]
    refused = client.post(RESET, {"email": "other@example.org"}, REMOTE_ADDR="192.0.2.99")
    assert "Too many" in refused.content.decode()


# --- personal data is not stored by caches --------------------------------------------------


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_pages_for_a_signed_in_person_are_not_stored(client, alice, org):
    program = program_with_sides(organization=org)
    client.force_login(alice)
    answers = [client.get("/me/data/"), client.post("/me/data/download/"),
               client.get("/me/profile/"),
               client.get(f"/programs/{program.pk}/applications/"),
               client.get(f"/programs/{program.pk}/applications.csv")]
    assert [a.status_code for a in answers] == [200] * 5
    assert all(_no_store(a) for a in answers)


def test_public_pages_for_anonymous_visitors_may_be_stored(client):
    assert not _no_store(client.get("/programs/"))
