"""`institution` and `birth_date` on the profile (API.md "Profile fields added"): the
person edits them, staff of the organizations they applied to see them like the legal
name, the export has them and erasure removes them."""

import datetime

import pytest
from django.utils import timezone

from participants.privacy import erase_account, export_personal_data
from tests.api.conftest import client_for
from tests.factories import PASSWORD, ApplicationFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def test_me_patch_sets_institution_and_birth_date(bob):
    response = client_for(bob).patch(ME, {"institution": "  Lycée  Pascal ",
                                          "birth_date": "2004-05-06"}, format="json")

    assert response.status_code == 200
    assert (response.json()["institution"], response.json()["birth_date"]) == (
        "Lycée  Pascal", "2004-05-06")
    bob.refresh_from_db()
    assert (bob.institution, bob.birth_date) == ("Lycée  Pascal", datetime.date(2004, 5, 6))
    cleared = client_for(bob).patch(ME, {"birth_date": None}, format="json")
    assert cleared.json()["birth_date"] is None


@pytest.mark.parametrize("value", ["1899-12-31", "not a date", "tomorrow"])
def test_a_birth_date_outside_1900_to_today_is_refused(bob, value):
    if value == "tomorrow":
        value = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = client_for(bob).patch(ME, {"birth_date": value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["birth_date"]
    bob.refresh_from_db()
    assert bob.birth_date is None


def test_profile_page_edits_both(client, bob):
    client.force_login(bob)
    response = client.post("/me/profile/", {
        "display_name": "Bob", "email": bob.email, "timezone": "UTC", "language": "en",
        "institution": "St George", "birth_date": "1999-01-31"})

    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.institution, bob.birth_date) == ("St George", datetime.date(1999, 1, 31))
    html = client.get("/me/profile/").content.decode()
    assert 'value="1999-01-31"' in html and 'value="St George"' in html


def test_profile_page_refuses_a_future_birth_date(client, bob):
    client.force_login(bob)
    response = client.post("/me/profile/", {
        "display_name": "Bob", "email": bob.email, "timezone": "UTC", "language": "en",
        "birth_date": "2999-01-01"})

    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [
        "Give a date of birth between 1900-01-01 and today."]


def test_export_has_them_and_erasure_removes_them(bob):
    bob.institution, bob.birth_date = "St George", datetime.date(2001, 2, 3)
    bob.save()

    profile = export_personal_data(user=bob)["profile"]
    erase_account(user=bob, password=PASSWORD)

    assert (profile["institution"], profile["birth_date"]) == ("St George", "2001-02-03")
    bob.refresh_from_db()
    assert (bob.institution, bob.birth_date) == ("", None)


def test_staff_see_them_like_the_legal_name_and_other_participants_do_not(alice, org, bob):
    program = program_with_sides(organization=org)
    dora = UserFactory(institution="Lycée", birth_date=datetime.date(2005, 6, 7))
    ApplicationFactory(program=program, side=program.sides.first(), applicant=dora)
    ApplicationFactory(program=program, side=program.sides.first(), applicant=bob)
    url = f"/api/v1/programs/{program.pk}/applications/"

    as_staff = client_for(alice).get(url).json()["results"]
    as_bob = client_for(bob).get(url).json()["results"]

    applicant = next(a["applicant"] for a in as_staff if a["applicant"]["id"] == dora.pk)
    assert (applicant["institution"], applicant["birth_date"]) == ("Lycée", "2005-06-07")
    assert [set(a["applicant"]) for a in as_bob] == [{"id", "display_name"}]
