"""Programs, sides and sessions written in several languages (core.content): readers see
their language, else the program's first language marked as such; pages, emails and the
API follow; staff write each language; lists stay a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from core import content
from dialogues.models import Session
from exchanges.models import Program
from participants.models import Notification
from participants.outbox import kinds
from tests.api.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon():
    return client_for()

PROGRAMS = "/api/v1/programs/"


def translate(obj, main: str, **texts: dict[str, str]) -> None:
    """Save texts {field: {language: text}} the way the services do."""
    content.write(obj, texts, main=main)
    obj.save()


@pytest.fixture
def bicommunal(org):
    """Written in Greek first, then Turkish and English; sides and a session too."""
    program = program_with_sides("Vorreia", "Notia", organization=org, status="published",
                                 title="Gefyra", summary="Ena programma.", languages=["el",
                                 "tr", "en"])
    translate(program, "el", title={"tr": "Köprü", "en": "Crossing"},
              summary={"tr": "Bir program."})
    north, south = program.sides.all()
    translate(north, "el", name={"tr": "Kuzey"})
    session = SessionFactory(program=program, title="Kyklos", ground_rules="Sevasmos.",
                             starts_at=timezone.now() + timedelta(days=3))
    translate(session, "el", title={"tr": "Çember"}, ground_rules={"tr": "Saygı."})
    return program


@pytest.fixture
def turkish_first(org):
    program = program_with_sides("Kuzey", "Güney", organization=org, status="published",
                                 title="Barış köprüsü", summary="Gençler buluşuyor.",
                                 languages=["tr"])
    return program


# --- Reading: the reader's language, else the first one, marked ---------------------------

def test_accept_language_tr_shows_a_program_written_in_turkish_in_turkish(client, bicommunal):
    html = client.get(f"/programs/{bicommunal.pk}/", HTTP_ACCEPT_LANGUAGE="tr").content.decode()

    assert '<bdi lang="tr">Köprü</bdi>' in html
    assert 'lang="tr">Bir program.</p>' in html
    assert '<bdi lang="tr">Kuzey</bdi>' in html
    assert "Gefyra" not in html and "content-note" not in html


def test_a_language_the_program_lacks_falls_back_to_its_first_marked(client, bicommunal):
    html = client.get(f"/programs/{bicommunal.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    with translation.override("fr"):
        mark = translation.gettext("(in %(language)s)") % {
            "language": translation.get_language_info("el")["name_translated"]}
    assert f'<bdi lang="el">Gefyra</bdi> <small class="content-lang">{mark}</small>' in html
    assert '<p class="content-note">' in html
    assert 'lang="el">Ena programma.</p>' in html


def test_a_field_not_yet_translated_falls_back_alone(client, bicommunal):
    """English has a title but no summary: the summary comes in Greek, marked by lang."""
    html = client.get(f"/programs/{bicommunal.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<bdi lang="en">Crossing</bdi>' in html
    assert 'lang="el">Ena programma.</p>' in html
    assert '<bdi lang="el">Notia</bdi>' in html


def test_the_main_language_reader_sees_no_mark(client, bicommunal):
    html = client.get(f"/programs/{bicommunal.pk}/", HTTP_ACCEPT_LANGUAGE="el").content.decode()

    assert '<bdi lang="el">Gefyra</bdi>' in html
    assert "content-lang" not in html and "content-note" not in html


def test_the_catalogue_and_search_use_the_readers_language_and_the_fallback(client, bicommunal):
    turkish = client.get("/programs/?q=Köprü", HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    greek_word = client.get("/programs/?q=Gefyra", HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    french = client.get("/programs/?q=Köprü", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert '<bdi lang="tr">Köprü</bdi>' in turkish
    assert '<bdi lang="tr">Köprü</bdi>' in greek_word  # the main language's words find it
    assert "Gefyra" not in french  # Turkish words are not the French reader's


def test_the_session_page_shows_the_readers_language_else_the_first(client, bicommunal):
    session = Session.objects.get(program=bicommunal)
    reader = accepted_reader(bicommunal, "tr")
    client.force_login(reader)
    turkish = client.get(f"/sessions/{session.pk}/").content.decode()
    reader.language = "ru"
    reader.save(update_fields=["language"])
    russian = client.get(f"/sessions/{session.pk}/").content.decode()

    assert '<bdi lang="tr">Çember</bdi>' in turkish and 'lang="tr">Saygı.</p>' in turkish
    assert '<bdi lang="el">Kyklos</bdi>' in russian and 'lang="el">Sevasmos.</p>' in russian
    assert '<p class="content-note">' in russian


def accepted_reader(program, language):
    reader = UserFactory(language=language)
    ApplicationFactory(program=program, side=program.sides.first(), applicant=reader,
                       status="accepted")
    return reader


# --- Emails: the recipient's language for the template and the content -------------------

def email_to(reader, kind, context) -> str:
    notification = Notification(recipient=reader, kind=kind, context=context,
                                dedupe_key=f"{kind}:{reader.pk}", due_at=timezone.now())
    with translation.override(reader.language), timezone.override(reader.tzinfo):
        email = kinds.kind(kind).build(notification)
    return " | ".join([email.subject, email.text, email.html])


@pytest.mark.parametrize(("language", "title", "session_title"),
                         [("tr", "Köprü", "Çember"), ("en", "Crossing", "Kyklos"),
                          ("el", "Gefyra", "Kyklos"), ("ar", "Gefyra", "Kyklos")])
def test_emails_carry_the_content_in_the_recipients_language(bicommunal, language, title,
                                                             session_title):
    reader = accepted_reader(bicommunal, language)
    session = Session.objects.get(program=bicommunal)
    application = reader.applications.get()

    accepted = email_to(reader, "application_accepted", {"application": application.pk})
    reminder = email_to(reader, "session_reminder",
                        {"session": session.pk, "program": bicommunal.pk, "offset": -60})

    assert title in accepted
    assert session_title in reminder
    others = {"Köprü", "Crossing", "Gefyra"} - {title}
    assert not any(other in accepted for other in others)


# --- API: today's fields in the caller's language, a translations object beside them -----

def test_api_answers_in_the_callers_language_with_the_translations(anon, bicommunal):
    data = anon.get(f"{PROGRAMS}{bicommunal.pk}/", HTTP_ACCEPT_LANGUAGE="tr").json()
    french = anon.get(f"{PROGRAMS}{bicommunal.pk}/", HTTP_ACCEPT_LANGUAGE="fr").json()

    assert data["title"] == "Köprü" and data["summary"] == "Bir program."
    assert french["title"] == "Gefyra"
    assert data["languages"] == ["el", "tr", "en"]
    assert data["translations"] == {
        "title": {"el": "Gefyra", "tr": "Köprü", "en": "Crossing"},
        "summary": {"el": "Ena programma.", "tr": "Bir program."},
        "description": {},
    }
    assert data["sides"][0]["name"] == "Kuzey"
    assert data["sides"][0]["translations"] == {"name": {"el": "Vorreia", "tr": "Kuzey"}}


def new_program(**overrides):
    return {
        "organization": "bridges", "title": "Gefyra", "kind": "dialogue",
        "starts_on": "2030-03-01", "ends_on": "2030-03-10", "capacity": 10,
        "languages": ["el", "tr"], "translations": {"title": {"tr": "Köprü"}},
        "sides": [{"name": "Vorreia", "translations": {"name": {"tr": "Kuzey"}}},
                  {"name": "Notia"}],
        **overrides,
    }


def test_api_translations_round_trip(alice, org):
    client = client_for(alice)
    created = client.post(PROGRAMS, new_program(), format="json")
    assert created.status_code == 201, created.json()
    program_id = created.json()["id"]

    changed = client.patch(f"{PROGRAMS}{program_id}/", {
        "translations": {"title": {"tr": "Barış köprüsü"}, "summary": {"tr": "Özet."}},
    }, format="json", HTTP_ACCEPT_LANGUAGE="tr")
    assert changed.status_code == 200, changed.json()
    read = client.get(f"{PROGRAMS}{program_id}/", HTTP_ACCEPT_LANGUAGE="tr").json()

    assert read["title"] == "Barış köprüsü" and read["summary"] == "Özet."
    assert read["translations"]["title"] == {"el": "Gefyra", "tr": "Barış köprüsü"}
    assert read["sides"][0]["translations"] == {"name": {"el": "Vorreia", "tr": "Kuzey"}}
    assert content.main_text(Program.objects.get(), "title") == "Gefyra"  # the base column


def test_api_title_writes_the_first_language_whatever_the_callers(alice, org):
    client = client_for(alice)
    program_id = client.post(PROGRAMS, new_program(), format="json").json()["id"]

    client.patch(f"{PROGRAMS}{program_id}/", {"title": "Gefyra eirinis"}, format="json",
                 HTTP_ACCEPT_LANGUAGE="tr")
    read = client.get(f"{PROGRAMS}{program_id}/").json()

    assert read["translations"]["title"] == {"el": "Gefyra eirinis", "tr": "Köprü"}


def test_api_an_empty_text_removes_a_translation(alice, org):
    client = client_for(alice)
    program_id = client.post(PROGRAMS, new_program(), format="json").json()["id"]

    client.patch(f"{PROGRAMS}{program_id}/", {"translations": {"title": {"tr": ""}}},
                 format="json")
    read = client.get(f"{PROGRAMS}{program_id}/", HTTP_ACCEPT_LANGUAGE="tr").json()

    assert read["title"] == "Gefyra" and read["translations"]["title"] == {"el": "Gefyra"}


def test_api_a_new_first_language_takes_its_texts_and_a_dropped_one_loses_them(alice, org):
    client = client_for(alice)
    program_id = client.post(PROGRAMS, new_program(languages=["el", "tr", "en"]),
                             format="json").json()["id"]

    client.patch(f"{PROGRAMS}{program_id}/", {"languages": ["tr", "el"]}, format="json")
    program = Program.objects.get()
    read = client.get(f"{PROGRAMS}{program_id}/", HTTP_ACCEPT_LANGUAGE="fr").json()

    assert content.main_text(program, "title") == "Köprü"
    assert read["title"] == "Köprü"
    assert read["translations"]["title"] == {"tr": "Köprü", "el": "Gefyra"}
    assert read["sides"][0]["translations"] == {"name": {"tr": "Kuzey", "el": "Vorreia"}}
    client.patch(f"{PROGRAMS}{program_id}/", {"languages": ["tr"]}, format="json")
    read = client.get(f"{PROGRAMS}{program_id}/", HTTP_ACCEPT_LANGUAGE="el").json()
    assert read["title"] == "Köprü" and read["translations"]["title"] == {"tr": "Köprü"}


@pytest.mark.parametrize(("translations", "error"), [
    ({"location": {"tr": "Lefkoşa"}}, {"location": ["Not a translated field; one of: title, "
                                                    "summary, description."]}),
    ({"title": {"xx": "Köprü"}}, {"title": {"xx": ["Not a language of this site."]}}),
    ({"title": {"tr": 5}}, {"title": {"tr": ["Not a valid string."]}}),
    ({"title": {"tr": "x" * 201}},
     {"title": {"tr": ["Ensure this field has no more than 200 characters."]}}),
    ({"title": "Köprü"}, {"title": ["Expected an object of fields, each an object of "
                                    "languages."]}),
    ([], ["Expected an object of fields, each an object of languages."]),
])
def test_api_translations_are_checked_strictly(alice, org, translations, error):
    response = client_for(alice).post(PROGRAMS, new_program(translations=translations),
                                      format="json")

    assert response.status_code == 400
    assert response.json() == {"translations": error}


def test_api_a_language_the_program_is_not_written_in_is_refused(alice, org):
    client = client_for(alice)
    response = client.post(PROGRAMS, new_program(translations={"title": {"fr": "Pont"}}),
                           format="json")
    side = client.post(PROGRAMS, new_program(sides=[
        {"name": "Vorreia", "translations": {"name": {"ru": "Sever"}}}, {"name": "Notia"}]),
        format="json")

    assert response.status_code == side.status_code == 400
    assert list(response.json()) == ["translations"] and "fr" in response.json()[
        "translations"][0]
    assert "ru" in side.json()["translations"][0]
    assert not Program.objects.exists()


@pytest.mark.parametrize("languages", [[], ["en", "en"], ["xx"], "en", [5]])
def test_api_languages_are_checked(alice, org, languages):
    response = client_for(alice).post(PROGRAMS, new_program(languages=languages,
                                                            translations={}), format="json")

    assert response.status_code == 400 and list(response.json()) == ["languages"]


def test_api_session_translations_round_trip_and_facilitators_write_only_rules(
        alice, org, bicommunal):
    facilitator = UserFactory()
    MembershipFactory(organization=org, user=facilitator, role="facilitator")
    session = Session.objects.get(program=bicommunal)
    session.facilitators.set([facilitator])
    url = f"/api/v1/sessions/{session.pk}/"

    staff = client_for(alice).patch(url, {"translations": {"title": {"en": "Circle"}}},
                                    format="json")
    rules = client_for(facilitator).patch(
        url, {"translations": {"ground_rules": {"en": "Respect."}}}, format="json")
    title = client_for(facilitator).patch(
        url, {"translations": {"title": {"en": "Mine"}}}, format="json")
    foreign = client_for(alice).patch(url, {"translations": {"title": {"fr": "Cercle"}}},
                                      format="json")
    read = client_for(alice).get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    assert staff.status_code == rules.status_code == 200
    assert title.status_code == 403 and foreign.status_code == 400
    assert read["title"] == "Circle" and read["ground_rules"] == "Respect."
    assert read["translations"] == {
        "title": {"el": "Kyklos", "tr": "Çember", "en": "Circle"},
        "ground_rules": {"el": "Sevasmos.", "tr": "Saygı.", "en": "Respect."},
    }


@pytest.mark.parametrize("count", [1, 4])
def test_api_program_list_queries_stay_constant_with_translations(
        anon, org, count, django_assert_max_num_queries):
    for n in range(count):
        program = program_with_sides(organization=org, status="published", title=f"P{n}",
                                     languages=["el", "tr"])
        translate(program, "el", title={"tr": f"Program {n}"})
        for side in program.sides.all():
            translate(side, "el", name={"tr": f"Taraf {side.pk}"})

    with django_assert_max_num_queries(4):
        response = anon.get(PROGRAMS, HTTP_ACCEPT_LANGUAGE="tr")

    assert {p["title"] for p in response.json()["results"]} == {
        f"Program {n}" for n in range(count)}


@pytest.mark.parametrize("count", [1, 4])
def test_catalogue_queries_stay_constant_with_translations(
        client, org, count, django_assert_max_num_queries):
    for n in range(count):
        program = program_with_sides(organization=org, status="published", title=f"P{n}",
                                     languages=["el", "tr"])
        translate(program, "el", title={"tr": f"Program {n}"})

    with django_assert_max_num_queries(6):
        html = client.get("/programs/", HTTP_ACCEPT_LANGUAGE="tr").content.decode()

    assert html.count('<bdi lang="tr">Program ') == count


# --- Staff write each language in its own fieldset --------------------------------------

def edit_form(program, **changes):
    north, south = program.sides.all()
    data = {
        "title": "Gefyra", "kind": "dialogue", "summary": "", "description": "",
        "location": "", "starts_on": program.starts_on.isoformat(),
        "ends_on": program.ends_on.isoformat(), "capacity": str(program.capacity),
        "balance": "parity", "main_language": "el",
        "other_languages": ["tr"], "side_id": [north.pk, south.pk],
        "side_name": ["Vorreia", "Notia"], "title_tr": "Köprü", "summary_tr": "",
        "description_tr": "", f"side_{north.pk}_name_tr": "Kuzey",
        f"side_{south.pk}_name_tr": "Güney",
    }
    return {**data, **changes}


def test_the_edit_page_has_a_fieldset_per_language_with_the_main_texts(client, alice,
                                                                        bicommunal):
    alice.language = "tr"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    html = client.get(f"/programs/{bicommunal.pk}/edit/").content.decode()

    assert 'name="title" value="Gefyra"' in html  # the main text, not the editor's
    assert html.count('<fieldset class="translation">') == 2
    assert 'name="title_tr" value="Köprü"' in html and 'lang="tr"' in html
    assert 'name="title_en" value="Crossing"' in html


def test_staff_save_each_language_from_the_form(client, alice, bicommunal):
    client.force_login(alice)
    north = bicommunal.sides.first()
    response = client.post(f"/programs/{bicommunal.pk}/edit/", edit_form(bicommunal))
    bicommunal.refresh_from_db()
    north.refresh_from_db()

    assert response.status_code == 302
    assert bicommunal.languages == ["el", "tr"]
    assert content.translations(bicommunal, bicommunal.languages)["title"] == {
        "el": "Gefyra", "tr": "Köprü"}
    assert bicommunal.title_en is None  # English was unticked: its texts are gone
    assert content.translations(north, bicommunal.languages) == {
        "name": {"el": "Vorreia", "tr": "Kuzey"}}


def test_staff_write_a_sessions_title_and_rules_per_language(client, alice, bicommunal):
    session = Session.objects.get(program=bicommunal)
    client.force_login(alice)
    page = client.get(f"/sessions/{session.pk}/edit/").content.decode()

    assert 'name="ground_rules_tr"' in page and 'name="title_en"' in page
    assert page.count('<fieldset class="translation">') == 2


# --- The evaluation chart's tooltip comes translated from the page -----------------------

def test_the_chart_tooltip_sentence_is_in_the_template_not_the_script():
    from pathlib import Path

    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "static/js/evaluation-charts.js").read_text()
    template = (Path(settings.BASE_DIR)
                / "templates/dialogues/evaluation/_results.html").read_text()

    assert '"95 %' not in script and "data-interval-label" in script
    assert "data-interval-label=\"{% blocktranslate" in template


def test_forms_and_saving_take_the_main_text_whatever_the_active_language(bicommunal):
    from django.forms.models import model_to_dict

    with translation.override("tr"):
        assert bicommunal.title == "Köprü"
        assert model_to_dict(bicommunal, fields=["title"]) == {"title": "Gefyra"}
        bicommunal.full_clean(exclude=["organization"])
        bicommunal.save()
    bicommunal.refresh_from_db()
    assert content.main_text(bicommunal, "title") == "Gefyra"


def test_the_messages_page_names_the_program_in_the_readers_language(client, bicommunal):
    from tests.factories import NotificationFactory

    reader = accepted_reader(bicommunal, "tr")
    NotificationFactory(recipient=reader, kind="application_accepted",
                        context={"application": reader.applications.get().pk,
                                 "program": bicommunal.pk})
    client.force_login(reader)
    html = client.get("/me/messages/").content.decode()

    assert "Köprü" in html and "Gefyra" not in html


def test_refreshing_and_saving_in_another_language_keeps_the_main_text(bicommunal):
    with translation.override("en"):
        bicommunal.refresh_from_db()
        bicommunal.save()
        assert bicommunal.title == "Crossing"
    assert content.main_text(Program.objects.get(), "title") == "Gefyra"
