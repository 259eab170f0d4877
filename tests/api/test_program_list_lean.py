"""GET programs/ answers from values() rows (exchanges.api.lean): the same bytes as
ProgramSerializer over model instances, for every kind of program and reader."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import translation
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from core import content
from exchanges.api import lean
from exchanges.api.serializers import ProgramSerializer, seat_context
from exchanges.selectors import programs_visible_to, staff_access, visibility_of
from tests.api.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgramFactory,
    UserFactory,
    program_with_sides,
)

PROGRAMS = "/api/v1/programs/"

pytestmark = pytest.mark.django_db


def translate(obj, main: str, **texts: dict[str, str]) -> None:
    content.write(obj, texts, main=main)
    obj.save()


@pytest.fixture
def varied(org, other_org, alice, bob):
    """Programs differing in every way the output can: languages and translations,
    dates and times, nullable fields, balance, side counts, statuses, organizations."""
    plain = program_with_sides(organization=org, title="Plain")
    north, south = plain.sides.all()
    ApplicationFactory(program=plain, side=north, status="accepted")
    ApplicationFactory(program=plain, side=south, status="waitlisted")
    ApplicationFactory(program=plain, side=south, applicant=bob)

    written = program_with_sides(
        "Vorreia", "Notia", "Anatoli", organization=org, title="Gefyra",
        summary="Ena programma.", description="Perigrafi.", location="Lefkosia",
        languages=["el", "tr", "en"], balance="none", capacity=7, is_online=True,
        applications_close_at=datetime(2031, 5, 2, 9, 30, 15, 123456, tzinfo=UTC),
        venue_disclosure_hours=48, guardian_consent_under=18, timezone="Asia/Nicosia")
    translate(written, "el", title={"tr": "Köprü", "en": "Crossing"},
              summary={"tr": "Bir program."}, description={"en": "A description."})
    first, second, _third = written.sides.all()
    translate(first, "el", name={"tr": "Kuzey", "en": "North"})
    translate(second, "el", name={"en": "South"})
    ApplicationFactory(program=written, side=first, status="pending")

    program_with_sides(organization=org, status="draft", title="Draft", capacity=9)
    ProgramFactory(organization=org, title="No sides yet", status="draft")
    program_with_sides("Uno", organization=org, status="closed", title="Closed",
                       languages=["tr"])
    protected = OrganizationFactory(name="Shield", slug="shield", identity_protection=True)
    MembershipFactory(organization=protected, user=alice, role="custodian")
    hidden = program_with_sides(organization=protected, status="draft", title="Protected")
    ApplicationFactory(program=hidden, side=hidden.sides.first(), status="accepted")

    foreign = program_with_sides(organization=other_org, title="Foreign")
    ApplicationFactory(program=foreign, side=foreign.sides.first())
    program_with_sides(organization=other_org, status="draft", title="Foreign draft")
    applied = program_with_sides(organization=other_org, status="archived", title="Applied")
    ApplicationFactory(program=applied, side=applied.sides.first(), applicant=bob)


def full_serializer(user) -> list[dict]:
    programs = list(programs_visible_to(user))
    context = seat_context(programs, staff_access(user)[0])
    return ProgramSerializer(programs, many=True, context=context).data


def render(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.mark.parametrize("language", ["en", "tr", "el", "fr"])
@pytest.mark.parametrize("who", ["alice", "bob", "charlie", None])
def test_lean_list_answers_the_full_serializers_bytes(request, varied, who, language):
    user = request.getfixturevalue(who) if who else None
    client = client_for(user)

    response = client.get(PROGRAMS, {"page_size": 100}, HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        expected = full_serializer(user or AnonymousUser())

    envelope = response.json()
    assert envelope["count"] == len(expected) > 0
    assert response.content == render({**envelope, "results": expected})


def test_lean_rows_match_for_staff_of_a_protected_organization(varied, alice):
    """Counts for staff, null for others, in the same page."""
    data = lean.represent(list(lean.rows(programs_visible_to(alice),
                                         visibility_of(alice).readers)))

    assert render(data) == render(full_serializer(alice))
    by_title = {p["title"]: p for p in data}
    assert by_title["Protected"]["sides"][0]["accepted"] == 1
    assert by_title["Foreign"]["sides"][0]["pending"] is None
    assert by_title["No sides yet"]["sides"] == []


def test_lean_shows_the_readers_language_and_every_translation(varied, bob):
    with translation.override("tr"):
        page = list(lean.rows(programs_visible_to(bob), visibility_of(bob).readers))
        [program] = [p for p in lean.represent(page) if p["title"] == "Köprü"]

    assert program["summary"] == "Bir program."
    assert program["description"] == "Perigrafi."
    assert program["translations"]["title"] == {"el": "Gefyra", "tr": "Köprü", "en": "Crossing"}
    assert [side["name"] for side in program["sides"]] == ["Kuzey", "Notia", "Anatoli"]
    assert program["sides"][0]["translations"] == {
        "name": {"el": "Vorreia", "tr": "Kuzey", "en": "North"}}
    assert program["applications_close_at"] == "2031-05-02T09:30:15.123456Z"
    assert [side["seats"] for side in program["sides"]] == [7, 7, 7]


def test_a_method_field_without_a_lean_counterpart_is_refused():
    with pytest.raises(LookupError):
        lean._getter("badges", serializers.SerializerMethodField())


def test_lean_list_keeps_its_query_count_with_more_programs(org, alice,
                                                           django_assert_max_num_queries):
    for n in range(6):
        program = program_with_sides(organization=org, title=f"P{n}")
        ApplicationFactory(program=program, side=program.sides.first(),
                           applicant=UserFactory())

    # The page's count, its rows with whether the caller is staff, and the sides with
    # their counts; on PostgreSQL the count comes with the page's rows.
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 3):
        response = client_for(alice).get(PROGRAMS)

    assert response.json()["count"] == 6
    assert all(p["sides"][0]["pending"] == 1 for p in response.json()["results"])


def test_the_unfiltered_list_binds_each_callers_own_visibility_page_by_page(
        varied, alice, bob, charlie):
    """The list without a filter runs statements compiled once (core.prepared): callers
    taking turns each get their own programs, counted and paged as the selector says."""
    for user in (alice, bob, None, charlie, alice):
        expected = [p["id"] for p in full_serializer(user or AnonymousUser())]
        client = client_for(user)
        seen, page = [], 1
        while page:
            data = client.get(PROGRAMS, {"page_size": 2, "page": page}).json()
            assert data["count"] == len(expected)
            assert type(data["count"]) is int
            seen += [program["id"] for program in data["results"]]
            page = page + 1 if data["next"] else None
        assert seen == expected


@pytest.mark.parametrize("who", ["alice", "anonymous"])
def test_pages_past_the_end_and_by_name_are_answered_as_django_pages_them(who, varied, alice):
    client = client_for(alice if who == "alice" else None)
    total = client.get(PROGRAMS).json()["count"]
    assert total > 2

    last = client.get(PROGRAMS, {"page_size": 2, "page": "last"}).json()
    assert last["count"] == total and last["next"] is None and last["results"]
    past = (total + 1) // 2 + 1
    for page in (past, 0, "x", "1.5"):
        response = client.get(PROGRAMS, {"page_size": 2, "page": page})
        assert response.status_code == 404, page
        assert response.json() == {"detail": "Invalid page.", "code": "not_found"}


def test_an_empty_list_has_an_empty_first_page(alice):
    data = client_for(alice).get(PROGRAMS).json()
    assert (data["count"], data["results"]) == (0, [])
    assert client_for(alice).get(PROGRAMS, {"page": 2}).status_code == 404


@pytest.mark.postgres
def test_the_prepared_statements_columns_are_in_the_plans_order(alice):
    """Rows are read by position (lean.plan().at, lean.SIDE_COLUMNS): the statements'
    columns must come in that order, the page's count last."""
    from core import prepared

    for user in (alice, AnonymousUser()):
        page = lean.VisibleList(user).page_statement()
        assert page.names == [*lean.plan().columns, "total"]
    sides = prepared.statement("program sides", lean._sides_query, lean._ARRAY_SLOTS)
    assert sides.names == list(lean.SIDE_COLUMNS)
