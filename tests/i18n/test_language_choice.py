"""Which language a person gets: the profile's when signed in (pages, the switcher, the
API with a token), else the browser's, else English; new accounts start in the
language they signed up in, with their browser's timezone."""

import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from participants.models import User
from tests.factories import PASSWORD, ApplicationFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    translation.activate("en")


def _lang(response) -> str:
    return response.headers["Content-Language"]


def test_visitors_get_their_browsers_language_then_english(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="tr,en;q=0.5")
    assert _lang(response) == "tr" and "Giriş yap" in response.content.decode()
    assert 'lang="tr"' in response.content.decode()
    assert _lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de, ja")) == "en"
    assert _lang(client.get("/accounts/login/")) == "en"


def test_arabic_and_hebrew_pages_are_right_to_left(client):
    for code in ("ar", "he"):
        html = client.get("/programs/", HTTP_ACCEPT_LANGUAGE=code).content.decode()
        assert f'<html lang="{code}" dir="rtl">' in html
    html = client.get("/programs/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert '<html lang="el" dir="ltr">' in html


def test_signed_in_people_get_their_profiles_language_whatever_the_browser_says(client):
    client.force_login(UserFactory(language="uk"))
    response = client.get("/me/programs/", HTTP_ACCEPT_LANGUAGE="fr")
    assert _lang(response) == "uk"
    assert "Мої програми" in response.content.decode()
    assert _lang(client.get("/programs/", HTTP_ACCEPT_LANGUAGE="fr")) == "uk"


def test_the_switcher_saves_a_signed_in_persons_choice_to_the_profile(client):
    person = UserFactory(language="en")
    client.force_login(person)
    response = client.post("/i18n/setlang/", {"language": "el", "next": "/programs/"})
    assert response.status_code == 302 and response.url == "/programs/"
    person.refresh_from_db()
    assert person.language == "el"
    assert _lang(client.get("/programs/", HTTP_ACCEPT_LANGUAGE="en")) == "el"


def test_the_switcher_keeps_a_visitors_choice_in_a_cookie(client):
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert _lang(client.get("/programs/", HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_the_switcher_refuses_a_language_parley_does_not_speak(client):
    person = UserFactory(language="tr")
    client.force_login(person)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    person.refresh_from_db()
    assert person.language == "tr"


def test_the_switcher_offers_every_language_in_its_own_name(client):
    html = client.get("/").content.decode()
    for name in ("Ελληνικά", "Türkçe", "العربيّة", "עברית", "Русский", "Українська",
                 "français", "español"):
        assert name in html


def test_sign_up_takes_the_browsers_language_and_the_chosen_timezone(client):
    page = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert "data-browser-timezone" in page  # static/js/parley.js selects the browser's zone
    client.post("/accounts/signup/", {
        "email": "dana@example.org", "display_name": "Dana", "password1": PASSWORD,
        "password2": PASSWORD, "accept_terms": "on", "timezone": "Asia/Jerusalem",
    }, HTTP_ACCEPT_LANGUAGE="he")
    person = User.objects.get(email="dana@example.org")
    assert (person.language, person.timezone) == ("he", "Asia/Jerusalem")


def test_sign_up_without_a_timezone_starts_at_utc_and_english_for_other_languages(client):
    client.post("/accounts/signup/", {
        "email": "kim@example.org", "display_name": "Kim", "password1": PASSWORD,
        "password2": PASSWORD, "accept_terms": "on",
    }, HTTP_ACCEPT_LANGUAGE="ko")
    person = User.objects.get(email="kim@example.org")
    assert (person.language, person.timezone) == ("en", "UTC")


def test_api_register_takes_the_callers_language():
    response = APIClient().post("/api/v1/auth/register/", {
        "email": "ola@example.org", "password": PASSWORD, "display_name": "Ola",
    }, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 201
    assert User.objects.get(email="ola@example.org").language == "ru"


def test_api_errors_speak_the_callers_accept_language():
    response = APIClient().get("/api/v1/programs/", {"page_size": "x"},
                               HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Indiquez un nombre entier à partir de 1."]}
    response = APIClient().get("/api/v1/nowhere/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.json() == {"detail": "No encontrado.", "code": "not_found"}


def test_api_errors_speak_a_token_callers_profile_language():
    person = UserFactory(language="el")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=person).key}")
    response = client.get("/api/v1/programs/", {"kindd": "x"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json() == {"kindd": ["Άγνωστη παράμετρος αναζήτησης."]}
    assert _lang(response) == "el"


def test_api_errors_speak_a_session_callers_profile_language():
    client = APIClient()
    client.force_login(UserFactory(language="tr"))
    response = client.get("/api/v1/programs/", {"kindd": "x"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json() == {"kindd": ["Bilinmeyen sorgu parametresi."]}


def test_a_conflict_from_a_service_is_answered_in_the_callers_language():
    program = program_with_sides()
    person = UserFactory(language="he")
    ApplicationFactory(program=program, side=program.sides.first(), applicant=person)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=person).key}")
    response = client.post(f"/api/v1/programs/{program.pk}/applications/",
                           {"side": program.sides.first().pk}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "כבר הגשת בקשה לתוכנית הזו.", "code": "already_applied"}
