"""API.md "Sign-in hardening": second factor on auth/token/, one lock per account,
throttles that neither a forged X-Forwarded-For nor concurrency get around."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework import throttling
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import prepared
from participants.models import Notification
from participants.outbox.dispatch import dispatch_outbox
from tests.api.conftest import client_for
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    UserFactory,
    authenticator_for,
    totp_code,
)

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"


# --- one lock per account, whatever the spelling --------------------------------------------


def test_token_lock_holds_for_every_spelling_of_the_email(anon, bob):
    for spelling in ["bob@example.org", " Bob@Example.org", "BOB@EXAMPLE.ORG "] * 4:
        anon.post(TOKEN, {"email": spelling, "password": "wrong-password"})

    response = anon.post(TOKEN, {"email": " bob@example.org", "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


# --- a second factor on auth/token/ ---------------------------------------------------------


def _token(client, user, **extra):
    return client.post(TOKEN, {"email": user.email, "password": PASSWORD, **extra})


def test_a_person_with_an_authenticator_needs_its_code_for_a_token(anon, bob):
    device = authenticator_for(bob)

    missing = _token(anon, bob)
    assert missing.status_code == 400 and list(missing.json()) == ["otp"]
    assert not Token.objects.filter(user=bob).exists()

    right = _token(anon, bob, otp=totp_code(device))
    assert right.status_code == 200
    assert right.json() == {"token": Token.objects.get(user=bob).key}

    wrong = _token(anon, bob, otp="000000")
    assert wrong.status_code == 400 and list(wrong.json()) == ["otp"]


def test_a_used_code_does_not_work_twice(anon, bob):
    device = authenticator_for(bob)
    code = totp_code(device)
    assert _token(anon, bob, otp=code).status_code == 200

    assert _token(anon, bob, otp=code).status_code == 400


def test_an_unconfirmed_authenticator_does_not_count(anon, bob):
    authenticator_for(bob, confirmed=False)

    assert _token(anon, bob).status_code == 200


@pytest.mark.parametrize("role", ["owner", "coordinator", "facilitator"])
def test_members_of_an_organization_that_requires_it_need_a_code(anon, org, role):
    org.require_two_factor = True
    org.save()
    member = UserFactory()
    MembershipFactory(organization=org, user=member, role=role)

    refused = _token(anon, member)
    assert refused.status_code == 400 and list(refused.json()) == ["otp"]
    assert "authenticator" in refused.json()["otp"][0]
    assert not Token.objects.filter(user=member).exists()

    device = authenticator_for(member)
    assert _token(anon, member).status_code == 400
    assert _token(anon, member, otp=totp_code(device)).status_code == 200


def test_a_wrong_password_is_refused_before_the_code_is_asked_for(anon, bob):
    authenticator_for(bob)

    response = anon.post(TOKEN, {"email": bob.email, "password": "wrong-password"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def _calls_me(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(ME).status_code


def test_switching_the_requirement_on_stops_tokens_without_an_authenticator(org, alice, bob):
    carol = UserFactory()
    MembershipFactory(organization=org, user=carol, role="coordinator")
    dana = UserFactory()
    MembershipFactory(organization=org, user=dana, role="facilitator")
    authenticator_for(dana)
    tokens = {person: Token.objects.create(user=person).key for person in (carol, dana, bob)}

    owner = client_for(alice)
    response = owner.patch(f"/api/v1/organizations/{org.slug}/", {"require_two_factor": True})
    assert response.status_code == 200 and response.json()["require_two_factor"] is True

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[carol]}")
    refused = client.get(ME)
    assert refused.status_code == 401
    assert refused.json()["code"] == "two_factor_required"
    assert _calls_me(tokens[dana]) == 200  # has an authenticator
    assert _calls_me(tokens[bob]) == 200  # not a member

    authenticator_for(carol)
    assert _calls_me(tokens[carol]) == 200


def test_a_token_and_its_second_factor_rule_are_read_in_one_query(org, alice, bob):
    org.require_two_factor = True
    org.save()
    lacking, free = UserFactory(), UserFactory()
    MembershipFactory(organization=org, user=lacking, role="coordinator")
    tokens = {person: Token.objects.create(user=person).key for person in (lacking, free)}

    for person, status in ((lacking, 401), (free, 200)):
        with CaptureQueriesContext(connection) as queries:
            assert _calls_me(tokens[person]) == status
        # On PostgreSQL the query is a prepared statement (core.prepared): EXECUTE <name>.
        texts = [_statement_sql(q["sql"]) for q in queries]
        reads = [sql for sql in texts if "authtoken_token" in sql]
        assert len(reads) == 1 and "otp_totp_totpdevice" in reads[0]
        assert not [sql for sql in texts if "otp_totp_totpdevice" in sql
                    and "authtoken_token" not in sql]


def _statement_sql(sql: str) -> str:
    for statement in prepared._statements.values():
        if sql.startswith(f"EXECUTE {statement.name}"):
            return statement.sql
    return sql


def test_an_inactive_persons_token_and_an_unknown_token_are_refused(bob):
    token = Token.objects.create(user=bob).key
    bob.is_active = False
    bob.save()

    assert _calls_me(token) == 401
    assert _calls_me("0" * 40) == 401


def test_organizations_show_the_requirement_and_only_owners_change_it(org, alice):
    carol = UserFactory()
    MembershipFactory(organization=org, user=carol, role="coordinator")
    url = f"/api/v1/organizations/{org.slug}/"

    assert client_for(carol).get(url).json()["require_two_factor"] is False
    assert client_for(carol).patch(url, {"require_two_factor": True}).status_code == 403
    org.refresh_from_db()
    assert org.require_two_factor is False


# --- platform admins ---------------------------------------------------------------------


@pytest.fixture
def strict_admin(settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    return UserFactory(is_staff=True, is_superuser=True)


def test_platform_admins_need_a_code_for_a_token_when_required(anon, strict_admin):
    assert _token(anon, strict_admin).status_code == 400
    device = authenticator_for(strict_admin)
    assert _token(anon, strict_admin, otp=totp_code(device)).status_code == 200


def test_platform_admin_tokens_stop_without_an_authenticator_when_required(strict_admin):
    token = Token.objects.create(user=strict_admin).key
    assert _calls_me(token) == 401


def test_platform_admins_need_no_code_when_the_setting_is_off(anon, settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = False
    admin = UserFactory(is_staff=True, is_superuser=True)
    assert _token(anon, admin).status_code == 200


# --- throttles: the client's address, counted atomically -----------------------------------


@pytest.fixture
def three_per_minute(monkeypatch):
    cache.clear()
    monkeypatch.setattr(throttling.SimpleRateThrottle, "THROTTLE_RATES",
                        {"anon": "3/min", "user": "3/min"})


@pytest.mark.parametrize("path,method", [("/api/v1/programs/", "get"), (TOKEN, "post")])
def test_a_forged_forwarded_for_gets_no_new_allowance(three_per_minute, path, method):
    client = APIClient(REMOTE_ADDR="198.51.100.20")
    answers = [getattr(client, method)(path, {}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
               for n in range(4)]
    assert 429 not in answers[:3] and answers[3] == 429


def test_behind_proxies_the_address_they_forward_counts(three_per_minute, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")

    def from_client(address, forged=""):
        return proxy.get("/api/v1/programs/", HTTP_X_FORWARDED_FOR=f"{forged}{address}")

    answers = [from_client("203.0.113.5", forged=f"192.0.2.{n}, ").status_code
               for n in range(4)]
    assert answers == [200, 200, 200, 429]
    assert from_client("203.0.113.6").status_code == 200


def test_signed_in_callers_are_counted_per_user(three_per_minute, bob):
    answers = [client_for(bob).get(ME).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


class NetworkLatencyCache:
    """Every cache call takes a little while, as with a cache server on the network."""

    def __init__(self, monkeypatch, backend, seconds=0.003):
        for name in ("get", "set", "add", "incr", "get_many", "set_many"):
            original = getattr(backend, name)
            monkeypatch.setattr(backend, name, self._slow(original, seconds))

    @staticmethod
    def _slow(original, seconds):
        def call(self, *args, **kwargs):
            time.sleep(seconds)
            return original(self, *args, **kwargs)
        return call


def _concurrent_token_requests(count: int, address: str) -> list[int]:
    barrier = threading.Barrier(count)

    def one(_):
        client = Client(REMOTE_ADDR=address)
        barrier.wait()
        return client.post(TOKEN, {}, content_type="application/json").status_code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


@pytest.fixture
def ten_per_window(monkeypatch):
    monkeypatch.setattr(throttling.SimpleRateThrottle, "THROTTLE_RATES",
                        {"anon": "10/min", "user": None})
    # One instant for every request: the test never straddles two counting windows.
    monkeypatch.setattr(throttling.SimpleRateThrottle, "timer", staticmethod(lambda: 1.8e9))


def test_concurrent_requests_are_all_counted(ten_per_window, monkeypatch, settings):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-test"}}
    cache.clear()
    NetworkLatencyCache(monkeypatch, LocMemCache)

    answers = _concurrent_token_requests(30, "198.51.100.30")

    assert answers.count(429) == 20, answers


@pytest.mark.redis
def test_concurrent_requests_are_all_counted_on_redis(ten_per_window, settings):
    # Its own key prefix on the broker's Redis; the counters expire within two minutes.
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": settings.CELERY_BROKER_URL, "KEY_PREFIX": f"throttle-test-{uuid.uuid4()}"}}

    answers = _concurrent_token_requests(30, "198.51.100.31")

    assert answers.count(429) == 20, answers


# --- changing the email needs the password, and tells the old address ----------------------


def test_changing_the_email_needs_the_password(bob):
    client = client_for(bob)

    without = client.patch(ME, {"email": "new.bob@example.org"})
    wrong = client.patch(ME, {"email": "new.bob@example.org", "password": "wrong-password"})

    assert without.status_code == 400 and list(without.json()) == ["password"]
    assert wrong.status_code == 400 and list(wrong.json()) == ["password"]
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"
    assert not Notification.objects.filter(kind="email_changed").exists()


def test_other_profile_changes_and_the_same_email_need_no_password(bob):
    response = client_for(bob).patch(ME, {"display_name": "Bobby", "email": " BOB@example.org"})
    assert response.status_code == 200
    assert response.json()["email"] == "bob@example.org"
    assert not Notification.objects.filter(kind="email_changed").exists()


def test_an_email_change_is_told_to_the_old_address_through_the_outbox(bob):
    response = client_for(bob).patch(ME, {"email": "New.Bob@example.org", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json()["email"] == "new.bob@example.org"
    assert "password" not in response.json()
    notice = Notification.objects.get(kind="email_changed")
    assert notice.recipient == bob and mail.outbox == []

    dispatch_outbox()

    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert "new.bob@example.org" in mail.outbox[0].body


# --- personal data is not stored by caches -------------------------------------------------


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_personal_data_answers_are_not_stored(alice, application, published):
    staff = client_for(alice)
    person = client_for(application.applicant)
    answers = [
        person.get(ME), person.get("/api/v1/me/export/"),
        staff.get(f"/api/v1/programs/{published.pk}/applications/"),
        staff.get(f"/api/v1/applications/{application.pk}/"),
    ]
    assert [a.status_code for a in answers] == [200] * 4
    assert all(_no_store(a) for a in answers)


def test_a_token_answer_is_not_stored(anon, bob):
    assert _no_store(_token(anon, bob))
