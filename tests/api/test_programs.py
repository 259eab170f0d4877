from datetime import UTC, date, datetime

import pytest

from exchanges.models import ActivityLog, Program, Side
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, SessionFactory, UserFactory, program_with_sides

PROGRAMS = "/api/v1/programs/"

pytestmark = pytest.mark.django_db


def program_url(program, action=""):
    return f"{PROGRAMS}{program.pk}/{action + '/' if action else ''}"


def new_program(**overrides):
    body = {
        "organization": "bridges", "title": "Youth dialogue", "kind": "dialogue",
        "summary": "Meet the other side.", "starts_on": "2027-03-01", "ends_on": "2027-03-10",
        "applications_close_at": "2027-02-01T18:00:00+02:00", "capacity": 10,
        "balance": "parity", "sides": [{"name": "North"}, {"name": "South"}],
    }
    return {**body, **overrides}


def titles(response):
    return [p["title"] for p in response.json()["results"]]


# --- list and filters -----------------------------------------------------------------------


def test_programs_list_anonymous_sees_published_and_closed(anon, org, draft, published):
    program_with_sides(organization=org, status="closed", title="Closed exchange")
    program_with_sides(organization=org, status="archived", title="Archived exchange")

    response = anon.get(PROGRAMS)

    assert response.status_code == 200
    assert sorted(titles(response)) == ["Closed exchange", "Open exchange"]


def test_programs_list_staff_also_see_own_drafts(carol, draft, published, other_org):
    program_with_sides(organization=other_org, status="draft", title="Foreign draft")

    response = client_for(carol).get(PROGRAMS)

    assert sorted(titles(response)) == ["Draft exchange", "Open exchange"]


def test_programs_list_facilitator_sees_a_draft_only_with_a_session_of_theirs(fred, draft,
                                                                             published):
    # v1.1: facilitators no longer list drafts.
    assert sorted(titles(client_for(fred).get(PROGRAMS))) == ["Open exchange"]
    SessionFactory(program=draft).facilitators.add(fred)
    assert sorted(titles(client_for(fred).get(PROGRAMS))) == ["Draft exchange", "Open exchange"]


def test_programs_list_applicant_sees_archived_program_applied_to(bob, org):
    archived = program_with_sides(organization=org, status="archived", title="Old exchange")
    ApplicationFactory(program=archived, side=archived.sides.first(), applicant=bob)

    response = client_for(bob).get(PROGRAMS)

    assert titles(response) == ["Old exchange"]


def test_programs_list_filters(anon, org, other_org):
    program_with_sides(organization=org, kind="sports", title="Football for peace",
                       location="Nicosia")
    program_with_sides(organization=org, kind="cultural", status="closed", title="Choir")
    program_with_sides(organization=other_org, kind="sports", title="Basketball")

    assert titles(anon.get(PROGRAMS, {"kind": "sports", "organization": "bridges"})) == [
        "Football for peace"]
    assert titles(anon.get(PROGRAMS, {"status": "closed"})) == ["Choir"]
    assert titles(anon.get(PROGRAMS, {"search": "nicosia"})) == ["Football for peace"]
    assert titles(anon.get(PROGRAMS, {"organization": "nowhere"})) == []


@pytest.mark.parametrize("param", ["kind", "status"])
def test_programs_list_unknown_choice_is_400(anon, param):
    response = anon.get(PROGRAMS, {param: "nonsense"})

    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_programs_list_side_counts_only_for_staff(alice, bob, published):
    north, south = published.sides.all()
    ApplicationFactory(program=published, side=north, status="accepted")
    ApplicationFactory(program=published, side=north, status="pending")
    ApplicationFactory(program=published, side=south, status="waitlisted")

    staff_view = client_for(alice).get(PROGRAMS).json()["results"][0]["sides"]
    public_view = client_for(bob).get(PROGRAMS).json()["results"][0]["sides"]

    assert staff_view == [
        {"id": north.pk, "name": "North",
         "translations": {"name": {"en": "North"}}, "seats": 5,
         "accepted": 1, "waitlisted": 0, "pending": 1},
        {"id": south.pk, "name": "South",
         "translations": {"name": {"en": "South"}}, "seats": 5, "accepted": 0, "waitlisted": 1,
         "pending": 0},
    ]
    assert public_view == [
        {"id": north.pk, "name": "North",
         "translations": {"name": {"en": "North"}}, "seats": 5, "accepted": None,
         "waitlisted": None,
         "pending": None},
        {"id": south.pk, "name": "South",
         "translations": {"name": {"en": "South"}}, "seats": 5, "accepted": None,
         "waitlisted": None,
         "pending": None},
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_programs_list_query_count_is_constant(alice, org, count, django_assert_max_num_queries):
    for _ in range(count):
        program = program_with_sides(organization=org)
        ApplicationFactory(program=program, side=program.sides.first())
    client = client_for(alice)

    with django_assert_max_num_queries(5):
        response = client.get(PROGRAMS)

    assert response.json()["count"] == count
    assert all(p["sides"][0]["pending"] == 1 for p in response.json()["results"])


# --- create ---------------------------------------------------------------------------------


def test_programs_create_by_coordinator_is_draft(carol, org):
    response = client_for(carol).post(PROGRAMS, new_program())

    program = Program.objects.get()
    north, south = program.sides.all()
    assert response.status_code == 201
    assert response.json() == {
        "id": program.pk, "organization": "bridges", "title": "Youth dialogue",
        "kind": "dialogue", "summary": "Meet the other side.", "description": "",
        "location": "", "is_online": False, "starts_on": "2027-03-01", "ends_on": "2027-03-10",
        "applications_close_at": "2027-02-01T16:00:00Z", "capacity": 10, "balance": "parity",
        "status": "draft",
        "sides": [
            {"id": north.pk, "name": "North",
         "translations": {"name": {"en": "North"}}, "seats": 5, "accepted": 0, "waitlisted": 0,
             "pending": 0},
            {"id": south.pk, "name": "South",
         "translations": {"name": {"en": "South"}}, "seats": 5, "accepted": 0, "waitlisted": 0,
             "pending": 0},
        ],
        "created_at": program.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "retention_days": None, "timezone": "UTC", "venue_disclosure_hours": None,
        "guardian_consent_under": None, "languages": ["en"],
        "translations": {"title": {"en": "Youth dialogue"},
                         "summary": {"en": "Meet the other side."}, "description": {}},
    }
    assert program.applications_close_at == datetime(2027, 2, 1, 16, tzinfo=UTC)
    assert ActivityLog.objects.filter(verb="program.created").count() == 1


def test_programs_create_times_answer_in_utc_for_user_with_timezone(carol, org):
    carol.timezone = "Asia/Nicosia"
    carol.save()
    client = client_for(carol)
    client.force_login(carol)  # the session makes the timezone middleware switch zones

    response = client.post(PROGRAMS, new_program(
        applications_close_at="2027-02-01T18:00:00+02:00"))

    assert response.json()["applications_close_at"] == "2027-02-01T16:00:00Z"


def test_programs_create_naive_time_is_400_naming_field(alice, org):
    response = client_for(alice).post(PROGRAMS, new_program(
        applications_close_at="2027-02-01T18:00:00"))

    assert response.status_code == 400
    assert list(response.json()) == ["applications_close_at"]
    assert Program.objects.count() == 0


def test_programs_create_by_facilitator_is_403(fred, org):
    response = client_for(fred).post(PROGRAMS, new_program())

    assert response.status_code == 403
    assert Program.objects.count() == 0


@pytest.mark.parametrize("slug", ["bridges", "nowhere"])
def test_programs_create_for_organization_not_a_member_is_400(charlie, org, slug):
    response = client_for(charlie).post(PROGRAMS, new_program(organization=slug))

    assert response.status_code == 400
    assert list(response.json()) == ["organization"]


def test_programs_create_anonymous_is_401(anon, org):
    assert anon.post(PROGRAMS, new_program()).status_code == 401


@pytest.mark.parametrize(("overrides", "field"), [
    ({"ends_on": "2027-02-01"}, "ends_on"),
    ({"capacity": 0}, "capacity"),
    ({"sides": [{"name": "Only"}]}, "sides"),
    ({"sides": [{"name": "A"}, {"name": "a"}]}, "sides"),
    ({"kind": "picnic"}, "kind"),
    ({"capacity": 1}, "capacity"),
])
def test_programs_create_breaking_a_rule_is_400_naming_field(alice, org, overrides, field):
    response = client_for(alice).post(PROGRAMS, new_program(**overrides))

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Program.objects.count() == 0


# --- detail ---------------------------------------------------------------------------------


def test_program_detail_anonymous_published(anon, published):
    response = anon.get(program_url(published))

    assert response.status_code == 200
    assert response.json()["title"] == "Open exchange"
    assert response.json()["sides"][0]["accepted"] is None


def test_program_detail_draft_for_outsider_is_404(charlie, draft):
    assert client_for(charlie).get(program_url(draft)).status_code == 404


def test_program_detail_draft_for_staff(carol, draft):
    assert client_for(carol).get(program_url(draft)).json()["status"] == "draft"


def test_program_detail_draft_for_a_facilitator_only_with_a_session_of_theirs(fred, draft):
    assert client_for(fred).get(program_url(draft)).status_code == 404
    SessionFactory(program=draft).facilitators.add(fred)
    assert client_for(fred).get(program_url(draft)).json()["status"] == "draft"


def test_program_detail_unknown_is_404(anon):
    assert anon.get(f"{PROGRAMS}999999/").json() == {"detail": "No Program matches the given "
                                                               "query.", "code": "not_found"}


# --- patch ----------------------------------------------------------------------------------


def test_program_patch_fields(carol, published):
    response = client_for(carol).patch(program_url(published), {
        "title": "Renamed", "applications_close_at": "2027-01-01T00:00:00-05:00"})

    published.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["applications_close_at"] == "2027-01-01T05:00:00Z"
    assert published.title == "Renamed"


def test_program_patch_sides_rename_add_and_remove(alice, draft):
    north, south = draft.sides.all()

    response = client_for(alice).patch(program_url(draft), {"sides": [
        {"id": south.pk, "name": "Southern"}, {"name": "East"}]})

    assert response.status_code == 200
    assert [(s["name"], s["id"] == south.pk) for s in response.json()["sides"]] == [
        ("Southern", True), ("East", False)]
    assert not Side.objects.filter(pk=north.pk).exists()


def test_program_patch_removing_side_with_applications_is_409(alice, published, application):
    north, south = published.sides.all()

    response = client_for(alice).patch(program_url(published), {"sides": [
        {"id": south.pk, "name": "South"}, {"name": "East"}]})

    assert response.status_code == 409
    assert response.json()["code"] == "side_has_applications"
    assert list(published.sides.values_list("name", flat=True)) == ["North", "South"]


def test_program_patch_side_of_another_program_is_400(alice, draft, published):
    foreign = published.sides.first()

    response = client_for(alice).patch(program_url(draft), {"sides": [
        {"id": foreign.pk, "name": "X"}, {"name": "Y"}]})

    assert response.status_code == 400
    assert list(response.json()) == ["sides"]


@pytest.mark.parametrize("side", [{}, {"id": 1}])
def test_program_patch_side_without_a_name_is_400_naming_it(alice, draft, side):
    north, south = draft.sides.all()
    side = {**side, "id": north.pk} if "id" in side else side

    response = client_for(alice).patch(program_url(draft), {"sides": [
        side, {"id": south.pk, "name": "South"}]})

    assert response.status_code == 400
    assert response.json() == {"sides": {"0": {"name": ["This field is required."]}}}
    assert list(draft.sides.values_list("name", flat=True)) == ["North", "South"]


def test_program_patch_capacity_below_accepted_is_400(alice, published):
    side = published.sides.first()
    for _ in range(3):
        ApplicationFactory(program=published, side=side, status="accepted")

    response = client_for(alice).patch(program_url(published), {"capacity": 4})

    published.refresh_from_db()
    assert response.status_code == 400
    assert list(response.json()) == ["capacity"]
    assert published.capacity == 10


def test_program_patch_naive_time_is_400(alice, published):
    response = client_for(alice).patch(program_url(published),
                                       {"applications_close_at": "2027-01-01 10:00"})

    assert response.status_code == 400
    assert list(response.json()) == ["applications_close_at"]


def test_program_patch_cannot_move_organization(alice, published, other_org):
    response = client_for(alice).patch(program_url(published), {"organization": "elsewhere"})

    published.refresh_from_db()
    assert response.status_code == 200
    assert published.organization.slug == "bridges"


def test_program_patch_by_facilitator_is_403(fred, published):
    assert client_for(fred).patch(program_url(published), {"title": "X"}).status_code == 403


def test_program_patch_archived_is_409(alice, org):
    archived = program_with_sides(organization=org, status="archived")

    response = client_for(alice).patch(program_url(archived), {"title": "X"})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


# --- delete and transitions -------------------------------------------------------------------


def test_program_delete_draft(alice, draft):
    response = client_for(alice).delete(program_url(draft))

    assert response.status_code == 204
    assert not Program.objects.filter(pk=draft.pk).exists()


def test_program_delete_published_is_409(alice, published):
    response = client_for(alice).delete(program_url(published))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert Program.objects.filter(pk=published.pk).exists()


@pytest.mark.parametrize(("start", "action", "end"), [
    ("draft", "publish", "published"),
    ("closed", "publish", "published"),
    ("published", "close", "closed"),
    ("closed", "archive", "archived"),
])
def test_program_transition(carol, org, start, action, end):
    program = program_with_sides(organization=org, status=start)

    response = client_for(carol).post(program_url(program, action))

    program.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["status"] == end
    assert program.status == end
    assert ActivityLog.objects.filter(verb=f"program.{end}").count() == 1


@pytest.mark.parametrize(("start", "action"), [
    ("published", "publish"), ("archived", "publish"), ("draft", "close"),
    ("closed", "close"), ("draft", "archive"), ("published", "archive"),
])
def test_program_transition_not_allowed_is_409(alice, org, start, action):
    program = program_with_sides(organization=org, status=start)

    response = client_for(alice).post(program_url(program, action))

    program.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert program.status == start


def test_program_publish_with_one_side_is_400(alice, org):
    program = program_with_sides("Only", organization=org, status="draft")

    response = client_for(alice).post(program_url(program, "publish"))

    assert response.status_code == 400
    assert list(response.json()) == ["sides"]


def test_program_starts_on_is_a_date(anon, published):
    assert anon.get(program_url(published)).json()["starts_on"] == published.starts_on.isoformat()
    assert isinstance(published.starts_on, date)


def test_program_publish_by_applicant_is_403(org):
    closed = program_with_sides(organization=org, status="closed")
    applicant = UserFactory()
    ApplicationFactory(program=closed, side=closed.sides.first(), applicant=applicant)

    assert client_for(applicant).post(program_url(closed, "publish")).status_code == 403


def test_retention_days_is_read_and_written(org, alice):
    from rest_framework.test import APIClient

    from tests.factories import program_with_sides

    program = program_with_sides(organization=org, status="draft")
    api = APIClient()
    api.force_authenticate(alice)
    response = api.patch(f"/api/v1/programs/{program.pk}/", {"retention_days": 90},
                         format="json")
    assert response.status_code == 200
    assert response.json()["retention_days"] == 90
    program.refresh_from_db()
    assert program.retention_days == 90
    bad = api.patch(f"/api/v1/programs/{program.pk}/", {"retention_days": 0}, format="json")
    assert bad.status_code == 400 and "retention_days" in bad.json()


def test_search_matches_the_catalogue_page_word_by_word(client, org):
    from rest_framework.test import APIClient

    from tests.factories import program_with_sides

    found = program_with_sides(organization=org, title="Listening circles",
                               description="Weekly in the buffer zone", location="Nicosia")
    program_with_sides(organization=org, title="Football camp", location="Nicosia")
    api_ids = [p["id"] for p in APIClient().get(
        "/api/v1/programs/", {"search": "buffer nicosia"}).json()["results"]]
    page = client.get("/programs/", {"q": "buffer nicosia"}).content.decode()
    assert api_ids == [found.pk]
    assert "Listening circles" in page and "Football camp" not in page
