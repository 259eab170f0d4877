import pytest
from django.conf import settings

from participants.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "email": "Dana@Example.org", "display_name": "Dana", "password1": PASSWORD,
        "password2": PASSWORD, "accept_terms": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_signup_page_renders_terms_link_and_both_consents(client):
    html = client.get("/accounts/signup/").content.decode()
    assert 'href="/terms/"' in html
    assert 'name="accept_terms"' in html
    assert 'name="research_consent"' in html
    assert "What other participants see. It may be a pseudonym." in html


def test_signup_creates_account_signs_in_and_redirects(client):
    response = client.post("/accounts/signup/", signup_data(research_consent="on"))
    assert response.status_code == 302
    assert response["Location"] == "/me/programs/"
    user = User.objects.get()
    assert user.email == "dana@example.org"
    assert user.terms_version == settings.TERMS_VERSION
    assert user.terms_accepted_at is not None
    assert user.research_consent_at is not None
    assert client.get("/me/programs/").status_code == 200


def test_signup_without_research_consent_leaves_it_empty(client):
    client.post("/accounts/signup/", signup_data())
    assert User.objects.get().research_consent_at is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"accept_terms": None}, "accept_terms", "This field is required."),
        ({"password1": "password123", "password2": "password123"}, "password1",
         "This password is too common."),
        ({"password2": "something-else-9"}, "password2", "The two passwords are not the same."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"display_name": ""}, "display_name", "This field is required."),
    ],
)
def test_signup_bad_input_reshows_form_with_field_error(client, overrides, field, message):
    response = client.post("/accounts/signup/", signup_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert User.objects.count() == 0


def test_signup_duplicate_email_case_insensitive_is_refused(client):
    UserFactory(email="dana@example.org")
    response = client.post("/accounts/signup/", signup_data(email="DANA@example.org"))
    assert response.context["form"].errors["email"] == [
        "An account with this email already exists."]
    assert User.objects.count() == 1


def test_terms_page_shows_version(client):
    html = client.get("/terms/").content.decode()
    assert f"Version {settings.TERMS_VERSION}" in html


def test_profile_requires_sign_in(client):
    response = client.get("/me/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/profile/"


def test_profile_renders_current_values(client, bob):
    client.force_login(bob)
    html = client.get("/me/profile/").content.decode()
    assert 'value="Bob"' in html
    assert "Seen only by the staff of organizations whose programs you apply to." in html
    assert '<option value="Asia/Nicosia">Asia/Nicosia</option>' in html


def test_profile_saves_fields_and_research_consent(client, bob):
    client.force_login(bob)
    response = client.post("/me/profile/", {
        "email": bob.email, "display_name": "Bobby", "legal_name": "Robert Roe", "country": "cy",
        "languages": "en, el", "timezone": "Asia/Nicosia", "language": "el",
        "research_consent": "on",
    })
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.display_name, bob.legal_name, bob.country, bob.languages, bob.timezone,
            bob.language, bob.notify_email) == (
        "Bobby", "Robert Roe", "CY", "en, el", "Asia/Nicosia", "el", False)
    assert bob.research_consent_at is not None
    assert "Your profile was saved." in client.get("/me/profile/").content.decode()


def test_profile_research_consent_can_be_withdrawn(client, bob):
    client.force_login(bob)
    base = {"email": bob.email, "display_name": "Bob", "timezone": "UTC", "language": "en",
            "notify_email": "on"}
    client.post("/me/profile/", {**base, "research_consent": "on"})
    client.post("/me/profile/", base)
    bob.refresh_from_db()
    assert bob.research_consent_at is None
    assert bob.notify_email is True


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone",  # the API's message: one timezone rule
         "Mars/Olympus is not a known IANA timezone name (e.g. Asia/Nicosia)."),
        ({"timezone": "localtime"}, "timezone",
         "localtime is not a known IANA timezone name (e.g. Asia/Nicosia)."),
        ({"display_name": ""}, "display_name", "This field is required."),
        ({"language": "xx"}, "language",
         "Select a valid choice. xx is not one of the available choices."),
    ],
)
def test_profile_bad_input_reshows_form_with_field_error(client, bob, overrides, field, message):
    client.force_login(bob)
    data = {"email": bob.email, "display_name": "Bob", "timezone": "UTC", "language": "en",
            **overrides}
    response = client.post("/me/profile/", data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    bob.refresh_from_db()
    assert bob.display_name == "Bob"
