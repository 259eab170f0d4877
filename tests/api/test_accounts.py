import pytest
from axes.utils import reset
from django.conf import settings
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from participants.models import User
from participants.services import user_register
from tests.api.conftest import client_for
from tests.factories import PASSWORD, UserFactory

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"

pytestmark = pytest.mark.django_db


# --- register -----------------------------------------------------------------------------


def test_register_creates_person_with_terms(anon):
    response = anon.post(REGISTER, {"email": "Nia@Example.org", "password": PASSWORD,
                                    "display_name": "Nia"})

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {"id": user.pk, "email": "nia@example.org", "display_name": "Nia"}
    assert user.check_password(PASSWORD)
    assert user.terms_version == settings.TERMS_VERSION
    assert user.terms_accepted_at is not None
    assert user.research_consent_at is None


def test_register_duplicate_email_case_insensitive_is_400(anon, bob):
    response = anon.post(REGISTER, {"email": "BOB@example.org", "password": PASSWORD,
                                    "display_name": "Bob two"})

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert User.objects.filter(email__iexact="bob@example.org").count() == 1


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "nia@example.org"])
def test_register_weak_password_is_400_under_password(anon, password):
    response = anon.post(REGISTER, {"email": "nia@example.org", "password": password,
                                    "display_name": "Nia"})

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert User.objects.count() == 0


def test_register_missing_fields_is_400(anon):
    response = anon.post(REGISTER, {"email": "not-an-email"})

    assert response.status_code == 400
    assert sorted(response.json()) == ["display_name", "email", "password"]


def test_user_register_records_research_consent():
    user = user_register(email="ola@example.org", password=PASSWORD, display_name="Ola",
                         research_consent=True)

    assert user.research_consent_at == user.terms_accepted_at


def test_user_register_refuses_without_terms():
    with pytest.raises(ValidationError) as excinfo:
        user_register(email="ola@example.org", password=PASSWORD, display_name="Ola",
                      terms_accepted=False)

    assert excinfo.value.message_dict == {"terms_accepted": ["Please accept the terms to sign up."]}
    assert User.objects.count() == 0


# --- token and lockout ----------------------------------------------------------------------


def test_token_with_right_password_returns_token(anon, bob):
    response = anon.post(TOKEN, {"email": "Bob@Example.org", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=bob).key}


def test_token_is_reused_and_authenticates(anon, bob):
    first = anon.post(TOKEN, {"email": bob.email, "password": PASSWORD}).json()["token"]
    second = anon.post(TOKEN, {"email": bob.email, "password": PASSWORD}).json()["token"]

    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert first == second
    assert client.get(ME).json()["id"] == bob.pk


def test_token_with_wrong_password_is_400(anon, bob):
    response = anon.post(TOKEN, {"email": bob.email, "password": "wrong-password"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert Token.objects.count() == 0


def test_token_for_unknown_email_is_400(anon):
    response = anon.post(TOKEN, {"email": "nobody@example.org", "password": PASSWORD})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def _fail(client, email, times):
    return [client.post(TOKEN, {"email": email, "password": "wrong-password"}).status_code
            for _ in range(times)]


def test_token_locks_out_after_ten_failures_even_with_right_password(anon, bob):
    statuses = _fail(anon, bob.email, 10)

    response = anon.post(TOKEN, {"email": bob.email, "password": PASSWORD})

    assert statuses == [400] * 9 + [429]
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert response["Content-Type"] == "application/json"
    assert Token.objects.count() == 0


def test_token_lockout_counts_the_email_whatever_its_case(anon, bob):
    _fail(anon, "BOB@example.org", 5)
    _fail(anon, "bob@EXAMPLE.org", 5)

    response = anon.post(TOKEN, {"email": bob.email, "password": PASSWORD})

    assert response.status_code == 429


def test_token_lockout_is_per_email(anon, bob, alice):
    _fail(anon, bob.email, 10)

    response = anon.post(TOKEN, {"email": alice.email, "password": PASSWORD})

    assert response.status_code == 200


def test_token_nine_failures_then_success_resets_the_count(anon, bob):
    _fail(anon, bob.email, 9)
    assert anon.post(TOKEN, {"email": bob.email, "password": PASSWORD}).status_code == 200

    statuses = _fail(anon, bob.email, 9)

    assert statuses == [400] * 9


def test_token_lockout_lifted_by_admin_lets_the_person_in(anon, bob):
    _fail(anon, bob.email, 10)
    assert anon.post(TOKEN, {"email": bob.email, "password": PASSWORD}).status_code == 429

    reset(username=bob.email)
    response = anon.post(TOKEN, {"email": bob.email, "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=bob).key}


# --- me -------------------------------------------------------------------------------------


def test_me_anonymous_is_401(anon):
    assert anon.get(ME).status_code == 401
    assert anon.patch(ME, {"display_name": "X"}).status_code == 401


def test_me_returns_own_profile(bob):
    response = client_for(bob).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": bob.pk, "email": "bob@example.org", "display_name": "Bob",
        "legal_name": bob.legal_name, "country": "", "languages": "", "institution": "",
        "birth_date": None, "timezone": "UTC", "language": "en", "notify_email": True,
        "hidden_from_participants": False,
    }


def test_me_patch_updates_fields(bob):
    response = client_for(bob).patch(ME, {
        "display_name": "Bobby", "legal_name": "Robert Roe", "country": "CY",
        "languages": "en, el", "timezone": "Asia/Nicosia", "language": "el",
        "notify_email": False,
    })

    bob.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["display_name"] == "Bobby"
    assert (bob.display_name, bob.legal_name, bob.country, bob.languages) == (
        "Bobby", "Robert Roe", "CY", "en, el")
    assert (bob.timezone, bob.language, bob.notify_email) == ("Asia/Nicosia", "el", False)


def test_me_patch_unknown_timezone_is_400_naming_timezone(bob):
    response = client_for(bob).patch(ME, {"timezone": "Mars/Olympus"})

    bob.refresh_from_db()
    assert response.status_code == 400
    assert list(response.json()) == ["timezone"]
    assert bob.timezone == "UTC"


def test_me_patch_unknown_language_is_400(bob):
    response = client_for(bob).patch(ME, {"language": "xx"})

    assert response.status_code == 400
    assert list(response.json()) == ["language"]


def test_me_patch_email_taken_is_400(bob, alice):
    response = client_for(bob).patch(ME, {"email": "ALICE@example.org", "password": PASSWORD})

    bob.refresh_from_db()
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert bob.email == "bob@example.org"


def test_me_patch_email_change_is_lowercased(bob):
    response = client_for(bob).patch(ME, {"email": "Robert@Example.org", "password": PASSWORD})

    bob.refresh_from_db()
    assert response.status_code == 200
    assert bob.email == "robert@example.org"


def test_me_patch_own_email_in_other_case_is_allowed(bob):
    response = client_for(bob).patch(ME, {"email": "BOB@example.org"})

    assert response.status_code == 200
    assert response.json()["email"] == "bob@example.org"


def test_me_patch_ignores_read_only_id(bob):
    other = UserFactory()

    response = client_for(bob).patch(ME, {"id": other.pk, "display_name": "B"})

    assert response.json()["id"] == bob.pk
