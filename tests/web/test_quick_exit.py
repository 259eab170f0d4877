"""Quick exit: from any page a participant hides their display name from every list other
participants see, at once, and undoes it from "My data". Staff still see them."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from dialogues.groups import services as group_services
from tests import incident_world
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = incident_world.build()
    group_services.round_create(program=w.program, actor=w.people["owner"], size=3)
    return w


def client(w, caller: str) -> Client:
    browser = Client()
    browser.force_login(w.people[caller])
    return browser


def _group_names_on_page(w, caller) -> bool:
    return "Accepted2" in client(w, caller).get(
        f"/programs/{w.program.pk}/groups/").content.decode()


def _group_names_in_api(w, caller) -> list[str]:
    api = APIClient()
    api.force_authenticate(w.people[caller])
    rounds = api.get(f"/api/v1/programs/{w.program.pk}/groups/").json()["rounds"]
    return sorted(m["participant"]["display_name"] for r in rounds for g in r["groups"]
                  for m in g["members"])


def _hide(w, caller="accepted2"):
    response = client(w, caller).post("/me/quick-exit/")
    w.people[caller].refresh_from_db()
    return response


def test_the_button_is_on_every_page_for_signed_in_people_and_posts_with_csrf(w):
    for path in ("/", "/programs/", f"/programs/{w.program.pk}/", "/me/sessions/"):
        body = client(w, "accepted").get(path).content.decode()
        form = body[body.index('id="quick-exit"'):]
        form = form[:form.index("</form>")]
        assert 'method="post" action="/me/quick-exit/"' in form, path
        assert 'name="csrfmiddlewaretoken"' in form and "Quick exit" in form, path
    assert 'id="quick-exit"' not in Client().get("/").content.decode()


def test_quick_exit_hides_at_once_and_leaves_for_the_catalogue(w):
    response = _hide(w)

    assert response.status_code == 302
    assert response["Location"] == "/programs/"
    assert w.people["accepted2"].hidden_from_participants is True


def test_quick_exit_takes_a_post_with_a_csrf_token_only(w):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(w.people["accepted2"])

    assert strict.post("/me/quick-exit/").status_code == 403
    assert client(w, "accepted2").get("/me/quick-exit/").status_code == 405
    assert Client().post("/me/quick-exit/").status_code == 302  # to sign in
    w.people["accepted2"].refresh_from_db()
    assert w.people["accepted2"].hidden_from_participants is False


def test_a_hidden_participant_leaves_the_group_lists_other_participants_see(w):
    assert _group_names_on_page(w, "accepted") is True
    assert _group_names_in_api(w, "accepted") == ["Accepted", "Accepted2"]

    _hide(w)

    assert _group_names_on_page(w, "accepted") is False
    assert _group_names_in_api(w, "accepted") == ["Accepted"]
    # They still see themselves; staff still see them (they run the sessions).
    assert _group_names_in_api(w, "accepted2") == ["Accepted", "Accepted2"]
    assert _group_names_on_page(w, "owner") is True
    assert _group_names_in_api(w, "coordinator") == ["Accepted", "Accepted2"]


def test_a_hidden_participant_is_not_offered_to_other_participants_reporting_a_concern(w):
    _hide(w)

    participant = client(w, "accepted").get(
        f"/programs/{w.program.pk}/incidents/new/").content.decode()
    staff = client(w, "coordinator").get(
        f"/programs/{w.program.pk}/incidents/new/").content.decode()

    assert "Accepted2" not in participant
    assert "Accepted2" in staff


def test_no_other_page_a_participant_sees_names_a_hidden_participant(w):
    session = SessionFactory(program=w.program)
    _hide(w)
    browser = client(w, "accepted")

    for path in (f"/programs/{w.program.pk}/", f"/programs/{w.program.pk}/sessions/",
                 f"/sessions/{session.pk}/", "/me/sessions/", "/me/programs/",
                 f"/programs/{w.program.pk}/groups/", "/me/messages/"):
        assert "Accepted2" not in browser.get(path).content.decode(), path


def test_undo_from_my_data_shows_the_name_again(w):
    _hide(w)
    browser = client(w, "accepted2")

    page = browser.get("/me/data/").content.decode()
    response = browser.post("/me/quick-exit/undo/", follow=True)

    w.people["accepted2"].refresh_from_db()
    assert "Show my name to other participants again" in page
    assert response.redirect_chain == [("/me/data/#quick-exit-status", 302)]
    assert "Other participants see your display name again." in response.content.decode()
    assert w.people["accepted2"].hidden_from_participants is False
    assert _group_names_on_page(w, "accepted") is True


def test_the_choice_is_in_the_export(w):
    _hide(w)

    data = client(w, "accepted2").post("/me/data/download/").json()

    assert data["profile"]["hidden_from_participants"] is True
