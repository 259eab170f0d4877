"""Program lists count exactly: the maintained tally (PostgreSQL) equals COUNT(*) after
every kind of write, and a paginator uses it only while the list is the selector's own."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Q

from core.paging import CountedPaginator, PeekPaginator, count_with, known_count
from exchanges import selectors
from exchanges.models import PUBLIC_STATUSES, Program, ProgramStatus, ProgramTally
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgramFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


def test_a_marked_list_is_counted_by_its_mark_until_something_narrows_it(org):
    ProgramFactory(organization=org, title="Alpha")
    ProgramFactory(organization=org, title="Beta")
    marked = count_with(Program.objects.order_by("id"), lambda: 42)

    assert CountedPaginator(marked.select_related("organization"), 10).count == 42
    assert CountedPaginator(marked.filter(title="Alpha"), 10).count == 1
    assert CountedPaginator(marked.exclude(title="Alpha"), 10).count == 1
    assert known_count(marked[:1]) is None
    assert known_count(marked.union(Program.objects.all())) is None
    assert known_count(marked.values("status").annotate(n=Count("id"))) is None
    assert known_count(Program.objects.all()) is None
    assert CountedPaginator(Program.objects.order_by("id"), 10).count == 2


def test_a_peek_paginator_tells_a_next_page_by_one_row_more_and_counts_only_at_the_end(
        org, django_assert_num_queries):
    for n in range(7):
        ProgramFactory(organization=org, title=f"P{n}")
    programs = Program.objects.order_by("title")

    with django_assert_num_queries(1):  # the page's rows and one more; no COUNT
        paginator = PeekPaginator(programs, 3)
        first = paginator.get_page("1")
    assert [p.title for p in first] == ["P0", "P1", "P2"]
    assert first.has_next() and not first.has_previous() and first.next_page_number() == 2
    assert (paginator.count, paginator.num_pages) == (None, None)
    assert (first.start_index(), first.end_index()) == (1, 3)

    middle = PeekPaginator(programs, 3).get_page(2)
    assert middle.has_next() and middle.has_previous() and middle.previous_page_number() == 1
    assert middle.paginator.count is None

    paginator = PeekPaginator(programs, 3)
    last = paginator.get_page(3)
    assert [p.title for p in last] == ["P6"] and not last.has_next()
    assert (paginator.count, paginator.num_pages) == (7, 3)  # the end is reached: exact
    assert (last.start_index(), last.end_index()) == (7, 7)

    exactly_full = PeekPaginator(programs[:6], 3)
    assert not exactly_full.get_page(2).has_next() and exactly_full.count == 6


@pytest.mark.parametrize(("asked", "served"), [("", 1), (None, 1), ("x", 1), ("2.5", 1),
                                                ("0", 1), ("-3", 1), ("9", 3), ("99", 3)])
def test_a_peek_paginator_serves_the_first_page_for_nonsense_and_the_last_past_the_end(
        org, asked, served, django_assert_max_num_queries):
    for _ in range(7):
        ProgramFactory(organization=org)
    with django_assert_max_num_queries(3):  # past the end: the empty page, COUNT, the last
        page = PeekPaginator(Program.objects.order_by("id"), 3).get_page(asked)
    assert page.number == served


def test_a_peek_paginator_of_nothing_is_one_empty_last_page():
    paginator = PeekPaginator(Program.objects.order_by("id"), 3)
    page = paginator.get_page("4")
    assert (page.number, len(page), page.has_other_pages()) == (1, 0, False)
    assert (paginator.count, paginator.num_pages, page.start_index()) == (0, 1, 0)


def _tally() -> dict[tuple[int, bool], int]:
    return {(row.organization_id, row.public): row.programs
            for row in ProgramTally.objects.all() if row.programs}


def _counted() -> dict[tuple[int, bool], int]:
    rows = (Program.objects.annotate(public=Q(status__in=PUBLIC_STATUSES))
            .values("organization_id", "public").annotate(n=Count("id")).order_by())
    return {(row["organization_id"], row["public"]): row["n"] for row in rows}


@pytest.mark.postgres
def test_the_tally_equals_count_after_inserts_updates_deletes_and_bulk_writes(org):
    other = OrganizationFactory()
    with transaction.atomic():
        drafts = [ProgramFactory(organization=org) for _ in range(3)]
        ProgramFactory(organization=other, status=ProgramStatus.PUBLISHED)
        Program.objects.bulk_create([
            Program(organization=other, title=f"Bulk {i}", kind="dialogue", capacity=5,
                    starts_on=drafts[0].starts_on, ends_on=drafts[0].ends_on,
                    status=ProgramStatus.CLOSED if i % 2 else ProgramStatus.DRAFT)
            for i in range(6)])
    assert _tally() == _counted()

    with transaction.atomic():
        drafts[0].status = ProgramStatus.PUBLISHED
        drafts[0].save()
        Program.objects.filter(organization=other).update(status=ProgramStatus.PUBLISHED)
        Program.objects.filter(pk=drafts[1].pk).update(title="Renamed")  # no state change
        drafts[2].delete()
    assert _tally() == _counted()

    with transaction.atomic():
        Program.objects.filter(organization=other, title__startswith="Bulk").delete()
        Program.objects.filter(organization=org).update(status=ProgramStatus.ARCHIVED)
    assert _tally() == _counted()


@pytest.mark.postgres
def test_a_rolled_back_write_leaves_the_tally_as_it_was(org):
    ProgramFactory(organization=org, status=ProgramStatus.PUBLISHED)
    before = _tally()
    with pytest.raises(RuntimeError), transaction.atomic():
        ProgramFactory(organization=org, status=ProgramStatus.PUBLISHED)
        Program.objects.update(status=ProgramStatus.DRAFT)
        raise RuntimeError
    assert _tally() == before == _counted()


def _people(org):
    """Callers who see different sets: an owner of org, a custodian elsewhere, an
    applicant to a draft, a facilitator of a draft's session and one who left."""
    other = OrganizationFactory()
    drafts = [program_with_sides(organization=org, status=ProgramStatus.DRAFT),
              program_with_sides(organization=other, status=ProgramStatus.DRAFT)]
    ProgramFactory(organization=other, status=ProgramStatus.PUBLISHED)
    ProgramFactory(organization=org, status=ProgramStatus.CLOSED)
    ProgramFactory(organization=org, status=ProgramStatus.ARCHIVED)
    owner, custodian, applicant, facilitator = (UserFactory() for _ in range(4))
    MembershipFactory(organization=org, user=owner, role="owner")
    MembershipFactory(organization=other, user=custodian, role="custodian")
    MembershipFactory(organization=other, user=facilitator, role="facilitator")
    for draft in drafts:  # both drafts: one in a reader organization, one not
        ApplicationFactory(program=draft, side=draft.sides.first(), applicant=applicant)
        ApplicationFactory(program=draft, side=draft.sides.first(), applicant=custodian)
        SessionFactory(program=draft).facilitators.add(facilitator, owner)
    applicant_and_facilitator = UserFactory()
    MembershipFactory(organization=other, user=applicant_and_facilitator, role="facilitator")
    ApplicationFactory(program=drafts[1], side=drafts[1].sides.first(),
                       applicant=applicant_and_facilitator)
    SessionFactory(program=drafts[1]).facilitators.add(applicant_and_facilitator)
    return [AnonymousUser(), owner, custodian, applicant, facilitator,
            applicant_and_facilitator, UserFactory()]


@pytest.mark.postgres
def test_every_callers_list_count_is_its_count_of_rows(org):
    for person in _people(org):
        for through_facilitation in (True, False):
            programs = selectors.programs_visible_to(
                person, through_facilitation=through_facilitation)
            rows = programs.order_by().values("pk").distinct()
            assert known_count(programs) == len(rows) == programs.count(), person


@pytest.mark.postgres
def test_the_catalogue_counts_public_programs_from_the_tally_and_searches_with_count(org):
    ProgramFactory(organization=org, status=ProgramStatus.PUBLISHED, title="Harbour walk")
    ProgramFactory(organization=org, status=ProgramStatus.CLOSED, title="Harbour talk")
    ProgramFactory(organization=org, status=ProgramStatus.DRAFT, title="Harbour draft")

    assert known_count(selectors.catalogue_programs()) == 2
    assert known_count(selectors.catalogue_programs(search="walk")) is None
    assert CountedPaginator(selectors.catalogue_programs(search="harbour"), 10).count == 2


def test_seed_scale_makes_a_field_and_refuses_to_seed_twice():
    call_command("seed_scale", programs=40, organizations=4, participants=12)

    assert Program.objects.count() == 40
    assert Program.objects.filter(status__in=PUBLIC_STATUSES).exists()
    assert Program.objects.exclude(status__in=PUBLIC_STATUSES).exists()
    assert Program.objects.exclude(title_fr=None).exists()
    with pytest.raises(Exception, match="--add"):
        call_command("seed_scale", programs=10, organizations=1, participants=1)
    call_command("seed_scale", programs=10, organizations=1, participants=1, add=True)
    assert Program.objects.count() == 50
    if connection.vendor == "postgresql":
        assert _tally() == _counted()


def test_the_visibility_count_is_the_tally_plus_the_programs_reached_outside_it(org):
    """On any database, given a tally that matches the rows (PostgreSQL's triggers keep
    it so; here it is written from COUNT(*))."""
    people = _people(org)
    ProgramTally.objects.all().delete()
    ProgramTally.objects.bulk_create(
        ProgramTally(organization_id=organization, public=public, programs=n)
        for (organization, public), n in _counted().items())
    counts = set()
    for person in people:
        for through_facilitation in (True, False):
            visibility = selectors.visibility_of(person,
                                                 through_facilitation=through_facilitation)
            visible = Program.objects.filter(visibility.q())
            assert visibility.count() == visible.count(), (person, through_facilitation)
            counts.add(visible.count())
    assert counts == {2, 3, 4}  # the callers do see different sets


def test_only_postgresql_lists_carry_the_tally(org, alice):
    expected = connection.vendor == "postgresql"
    assert (known_count(selectors.programs_visible_to(alice)) is not None) == expected
    assert (known_count(selectors.catalogue_programs()) is not None) == expected


def test_the_indexed_search_checks_each_candidate_with_the_readers_rule(org):
    """The trigram candidates cover every language; the rule keeps the reader's and the
    main one (tried here on any database: the expression is plain SQL)."""
    main = ProgramFactory(organization=org, title="Harbour walk", location="Larnaca")
    french = ProgramFactory(organization=org, title="Promenade", title_tr="Liman yuruyusu",
                            title_fr="Port walk fr", languages=["en", "fr", "tr"])
    ProgramFactory(organization=org, title="Mountain 100% hike_x")

    def found(word):  # with the catalogue's join: another table has a description too
        return sorted(program.title for program in Program.objects.select_related(
            "organization").filter(selectors._word_in_texts(word, indexed=True)))

    assert found("harbour") == [main.title]
    assert found("LARNACA") == [main.title]
    assert found("yuruyusu") == []  # Turkish only: not the English reader's
    assert found("port") == []  # French only: the same
    assert found("promenade") == [french.title]
    assert found("100%") == ["Mountain 100% hike_x"]
    assert found("h_ke") == []  # LIKE's wildcards are the words' own letters


def test_postgresql_searches_through_the_indexed_expression_and_other_databases_do_not():
    def sql(**indexed):
        return str(Program.objects.filter(selectors._word_in_texts("x", **indexed)).query)

    assert ("COALESCE" in sql()) == (connection.vendor == "postgresql")
    assert "COALESCE" in sql(indexed=True)
    assert "COALESCE" not in sql(indexed=False)
