import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from exchanges.models import Program
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgramFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


def program_data(**overrides):
    data = {
        "title": "Youth dialogue", "kind": "dialogue", "summary": "Meet and talk.",
        "description": "Five weekends.", "location": "Nicosia", "starts_on": "2031-05-01",
        "ends_on": "2031-05-30", "applications_close_at": "2031-04-01T18:00",
        "capacity": "10", "balance": "parity",
        "side_id": ["", "", ""], "side_name": ["Greek Cypriot", "Turkish Cypriot", ""],
    }
    data.update(overrides)
    return data


# --- Create and edit -------------------------------------------------------------------


def test_program_create_page_404_for_outsiders_and_facilitators(client, charlie, bob, org):
    client.force_login(charlie)
    assert client.get("/orgs/bridges/programs/new/").status_code == 404
    MembershipFactory(organization=org, user=bob, role="facilitator")
    client.force_login(bob)
    assert client.get("/orgs/bridges/programs/new/").status_code == 404


def test_program_create_anonymous_redirected_to_sign_in(client, org):
    response = client.get("/orgs/bridges/programs/new/")
    assert response["Location"] == "/accounts/login/?next=/orgs/bridges/programs/new/"


def test_program_create_page_has_two_empty_side_rows(client, alice, org):
    client.force_login(alice)
    html = client.get("/orgs/bridges/programs/new/").content.decode()
    assert html.count('name="side_name"') == 2
    assert 'for="side-name-0"' in html


def test_program_create_saves_draft_with_sides_in_viewer_timezone(client, alice, org):
    alice.timezone = "Asia/Nicosia"
    alice.save()
    client.force_login(alice)
    response = client.post("/orgs/bridges/programs/new/", program_data())
    program = Program.objects.get()
    assert response["Location"] == f"/programs/{program.pk}/edit/"
    assert program.status == "draft"
    assert [side.name for side in program.sides.all()] == ["Greek Cypriot", "Turkish Cypriot"]
    assert program.applications_close_at == datetime(2031, 4, 1, 15, 0, tzinfo=UTC)
    assert program.starts_on == date(2031, 5, 1)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_on": "2031-04-01"}, "ends_on", "The end date cannot be before the start date."),
        ({"capacity": "0"}, "capacity", "Ensure this value is greater than or equal to 1."),
        ({"capacity": "1"}, "capacity",
         "Under parity the capacity must be at least the number of sides (2)."),
        ({"title": ""}, "title", "This field is required."),
        ({"kind": "war"}, "kind",
         "Select a valid choice. war is not one of the available choices."),
        ({"starts_on": "soon"}, "starts_on", "Enter a valid date."),
    ],
)
def test_program_create_bad_field_reshows_form_with_error(client, alice, org, overrides, field,
                                                           message):
    client.force_login(alice)
    response = client.post("/orgs/bridges/programs/new/", program_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert Program.objects.count() == 0


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["Only one", "", ""], "A program needs at least two sides."),
        (["North", "north", ""], "Side names must be unique within a program."),
    ],
)
def test_program_create_bad_sides_reshows_form_with_error(client, alice, org, names, message):
    client.force_login(alice)
    response = client.post("/orgs/bridges/programs/new/", program_data(side_name=names))
    assert response.status_code == 200
    assert response.context["form"].group_errors["sides"] == [message]
    html = response.content.decode()
    assert message in html
    assert 'value="Only one"' in html or 'value="north"' in html
    assert Program.objects.count() == 0


def test_program_edit_404_for_other_org_and_participants(client, charlie, bob, org):
    program = program_with_sides(organization=org, status="draft")
    for person in (charlie, bob):
        client.force_login(person)
        assert client.get(f"/programs/{program.pk}/edit/").status_code == 404
        assert client.post(f"/programs/{program.pk}/publish/").status_code == 404


def test_program_edit_shows_existing_sides_with_ids_and_two_new_rows(client, alice, org):
    program = program_with_sides("North", "South", organization=org)
    north, south = program.sides.all()
    client.force_login(alice)
    html = client.get(f"/programs/{program.pk}/edit/").content.decode()
    assert f'name="side_id" value="{north.pk}"' in html
    assert 'value="South"' in html
    assert html.count('name="side_name"') == 4


def test_program_edit_renames_adds_and_removes_sides(client, alice, org):
    program = program_with_sides("North", "South", "East", organization=org, status="draft")
    north, south, east = program.sides.all()
    client.force_login(alice)
    data = program_data(side_id=[str(north.pk), str(south.pk), str(east.pk), "", ""],
                        side_name=["Northern", "South", "", "West", ""], capacity="9")
    response = client.post(f"/programs/{program.pk}/edit/", data)
    assert response.status_code == 302
    sides = list(program.sides.all())
    assert [side.name for side in sides] == ["Northern", "South", "West"]
    assert sides[0].pk == north.pk


def test_program_edit_capacity_below_accepted_shows_error(client, alice, org):
    program = program_with_sides("North", "South", organization=org, capacity=10)
    north, south = program.sides.all()
    ApplicationFactory.create_batch(3, side=north, status="accepted")
    client.force_login(alice)
    data = program_data(side_id=[str(north.pk), str(south.pk)],
                        side_name=["North", "South"], capacity="4")
    response = client.post(f"/programs/{program.pk}/edit/", data)
    assert response.context["form"].errors["capacity"] == [
        "This would leave a side with fewer seats (2) than it has accepted participants (3)."]
    program.refresh_from_db()
    assert program.capacity == 10


def test_program_edit_removing_side_with_applications_shows_error(client, alice, org):
    program = program_with_sides("North", "South", "East", organization=org)
    north, south, east = program.sides.all()
    ApplicationFactory(side=east)
    client.force_login(alice)
    data = program_data(side_id=[str(north.pk), str(south.pk), str(east.pk)],
                        side_name=["North", "South", ""])
    response = client.post(f"/programs/{program.pk}/edit/", data)
    assert response.context["form"].group_errors["sides"] == [
        "A side that has applications cannot be removed."]
    assert program.sides.count() == 3


def test_program_status_actions_publish_close_archive(client, alice, org):
    program = program_with_sides(organization=org, status="draft")
    client.force_login(alice)
    for action, status in (("publish", "published"), ("close", "closed"),
                           ("archive", "archived")):
        response = client.post(f"/programs/{program.pk}/{action}/", follow=True)
        program.refresh_from_db()
        assert program.status == status
    assert "The program is archived." in response.content.decode()


def test_program_status_invalid_transition_shows_message(client, alice, org):
    program = program_with_sides(organization=org, status="draft")
    client.force_login(alice)
    response = client.post(f"/programs/{program.pk}/archive/", follow=True)
    assert "A draft program cannot become archived." in response.content.decode()


def test_program_delete_draft_only(client, alice, org):
    published = program_with_sides(organization=org)
    draft = program_with_sides(organization=org, status="draft")
    client.force_login(alice)
    response = client.post(f"/programs/{published.pk}/delete/", follow=True)
    assert "Only a draft program can be deleted." in response.content.decode()
    response = client.post(f"/programs/{draft.pk}/delete/")
    assert response["Location"] == "/orgs/bridges/"
    assert list(Program.objects.all()) == [published]


# --- Catalogue and detail ------------------------------------------------------------


def test_catalogue_lists_published_and_closed_not_drafts(client, org):
    published = program_with_sides(organization=org, title="Open one")
    closed = program_with_sides(organization=org, title="Closed one", status="closed")
    program_with_sides(organization=org, title="Secret draft", status="draft")
    program_with_sides(organization=org, title="Old archived", status="archived")
    response = client.get("/programs/")
    assert list(response.context["page"]) == [published, closed]
    html = response.content.decode()
    assert "Secret draft" not in html
    assert 'class="badge badge--closed"' in html


def test_catalogue_card_shows_kind_dates_place_sides_and_seats(client, org):
    program = program_with_sides("North", "South", organization=org, capacity=4,
                                 is_online=True, kind="sports",
                                 starts_on=date(2031, 5, 1), ends_on=date(2031, 5, 3))
    north = program.sides.first()
    ApplicationFactory.create_batch(2, side=north, status="accepted")
    html = client.get("/programs/").content.decode()
    assert "Sports · <bdi>Bridges</bdi>" in html
    assert "1 May 2031 – 3 May 2031" in html
    assert "Online" in html
    assert "<bdi>North</bdi> (full) · <bdi>South</bdi> (2 seats left)" in html


def test_catalogue_filters_kind_organization_open_and_search(client, org, other_org):
    later = timezone.now() + timedelta(days=3)
    a = program_with_sides(organization=org, kind="sports", title="Football",
                           applications_close_at=later)
    b = program_with_sides(organization=other_org, kind="cultural", title="Music",
                           description="Choir and strings")
    c = program_with_sides(organization=org, kind="cultural", title="Theatre",
                           applications_close_at=timezone.now() - timedelta(days=1))
    d = program_with_sides(organization=org, kind="cultural", title="Dance", status="closed")

    def listed(query):
        return list(client.get(f"/programs/?{query}").context["page"])

    assert listed("kind=cultural") == [b, c, d]
    assert listed("organization=elsewhere") == [b]
    assert listed("open=on") == [a, b]
    assert listed("q=strings") == [b]
    assert listed("q=foot") == [a]
    assert listed("kind=cultural&open=on") == [b]


def test_catalogue_empty_states(client, org):
    assert "No programs are published yet." in client.get("/programs/").content.decode()
    program_with_sides(organization=org)
    html = client.get("/programs/?q=nothing-matches").content.decode()
    assert "No programs match these filters." in html


def test_catalogue_paginates_at_twelve(client, org):
    for _ in range(13):
        ProgramFactory(organization=org)
    assert len(client.get("/programs/").context["page"]) == 12
    assert len(client.get("/programs/?page=2").context["page"]) == 1


def _status_and_pages(html: str) -> tuple[str, str]:
    status = re.search(r'<p class="muted" role="status">(.*?)</p>', html, re.S)
    pages = re.search(r'<nav class="pagination".*?<span>(.*?)</span>', html, re.S)
    return (status.group(1).strip() if status else "", pages.group(1).strip() if pages else "")


def test_the_whole_catalogue_says_its_exact_total_and_number_of_pages(client, org):
    for _ in range(13):
        ProgramFactory(organization=org, title="Harbour walk")
    assert _status_and_pages(client.get("/programs/").content.decode()) == (
        "13 programs", "Page 1 of 2")


def test_a_search_pages_by_next_and_previous_and_totals_once_it_reaches_the_end(client, org):
    """A search is not counted (COUNT(*) would visit every match of a common word): a
    page shows that more follow, and the last page knows the exact total."""
    for n in range(25):
        ProgramFactory(organization=org, title=f"Harbour walk {n}")
    ProgramFactory(organization=org, title="Mountain hike")

    first = client.get("/programs/?q=harbour").content.decode()
    assert _status_and_pages(first) == ("More than 12 programs", "Page 1")
    assert 'rel="next" href="?q=harbour&amp;page=2"' in first and 'rel="prev"' not in first

    second = client.get("/programs/?q=harbour&page=2").content.decode()
    assert _status_and_pages(second) == ("More than 24 programs", "Page 2")
    assert 'rel="prev" href="?q=harbour&amp;page=1"' in second and 'rel="next"' in second

    last = client.get("/programs/?q=harbour&page=3").content.decode()
    assert _status_and_pages(last) == ("25 programs", "Page 3 of 3")
    assert 'rel="next"' not in last

    past_the_end = client.get("/programs/?q=harbour&page=40")
    assert past_the_end.context["page"].number == 3
    assert _status_and_pages(client.get("/programs/?kind=dialogue&q=hike").content.decode()) == (
        "1 program", "")


def test_a_search_says_more_than_in_every_language(client, org):
    for _ in range(13):
        ProgramFactory(organization=org, title="Harbour walk")
    for language, expected in [("fr", ("Plus de 12 programmes", "Page 1")),
                               ("ru", ("Более 12 программ", "Страница 1")),
                               ("ar", ("أكثر من 12 برنامجًا", "الصفحة 1"))]:
        html = client.get("/programs/?q=harbour", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert _status_and_pages(html) == expected, language


def test_a_catalogue_search_query_count_is_constant(client, org,
                                                    django_assert_max_num_queries):
    program_with_sides(organization=org, title="Harbour walk")
    with django_assert_max_num_queries(3):  # organizations, the page and one row more, sides
        assert client.get("/programs/?q=harbour").status_code == 200
    for _ in range(14):
        program = program_with_sides(organization=OrganizationFactory(), title="Harbour")
        ApplicationFactory(side=program.sides.first(), status="accepted")
    with django_assert_max_num_queries(3):
        response = client.get("/programs/?q=harbour")
    assert len(response.context["page"]) == 12


def test_catalogue_query_count_is_constant(client, org, django_assert_max_num_queries):
    program_with_sides(organization=org)
    with django_assert_max_num_queries(5):
        assert client.get("/programs/").status_code == 200
    for _ in range(3):
        program = program_with_sides(organization=OrganizationFactory())
        ApplicationFactory(side=program.sides.first(), status="accepted")
    with django_assert_max_num_queries(5):
        response = client.get("/programs/")
    assert len(response.context["page"]) == 4


def test_program_detail_of_draft_is_404_for_public_and_outsiders(client, charlie, org):
    program = program_with_sides(organization=org, status="draft")
    assert client.get(f"/programs/{program.pk}/").status_code == 404
    client.force_login(charlie)
    assert client.get(f"/programs/{program.pk}/").status_code == 404


def test_program_detail_shows_description_sides_and_apply_form(client, bob, org):
    program = program_with_sides("North", "South", organization=org, description="Long text")
    client.force_login(bob)
    html = client.get(f"/programs/{program.pk}/").content.decode()
    assert "Long text" in html
    assert '<bdi lang="en">North</bdi> · <bdi lang="en">South</bdi>' in html
    assert 'class="badge badge--published"' in html
    assert f'action="/programs/{program.pk}/apply/"' in html
    assert "/edit/" not in html


def test_program_detail_anonymous_sees_sign_in_to_apply(client, org):
    program = program_with_sides(organization=org)
    html = client.get(f"/programs/{program.pk}/").content.decode()
    assert f'href="/accounts/login/?next=/programs/{program.pk}/"' in html


def test_program_detail_staff_see_edit_and_applications_links(client, alice, org):
    program = program_with_sides(organization=org, status="draft")
    client.force_login(alice)
    html = client.get(f"/programs/{program.pk}/").content.decode()
    assert f'href="/programs/{program.pk}/edit/"' in html
    assert f'href="/programs/{program.pk}/applications/"' in html


def test_program_detail_closed_has_no_apply_form(client, bob, org):
    program = program_with_sides(organization=org, status="closed")
    client.force_login(bob)
    html = client.get(f"/programs/{program.pk}/").content.decode()
    assert "This program is not open for applications." in html
    assert "/apply/" not in html


def test_editor_sets_retention_and_shows_when_data_will_be_erased(client, org, alice):
    from datetime import date

    from tests.factories import program_with_sides

    program = program_with_sides(organization=org, starts_on=date(2031, 3, 1),
                                 ends_on=date(2031, 3, 31))
    client.force_login(alice)
    page = client.get(f"/programs/{program.pk}/edit/").content.decode()
    assert "will be erased on" not in page
    program.retention_days = 30
    program.save()
    page = client.get(f"/programs/{program.pk}/edit/").content.decode()
    assert "will be erased on 30 April 2031" in page


def test_the_edit_page_renders_every_field_of_its_form(client, alice, org):
    """A form field missing from the page would be saved empty on every edit."""
    program = program_with_sides("North", "South", organization=org)
    client.force_login(alice)
    response = client.get(f"/programs/{program.pk}/edit/")
    html = response.content.decode()
    rendered_elsewhere = {"sides": 'name="side_name"'}  # one input per side
    missing = [name for name in response.context["form"].fields
               if rendered_elsewhere.get(name, f'name="{name}"') not in html]
    assert missing == []

