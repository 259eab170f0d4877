"""Each list query's PostgreSQL plan uses the index meant for it (issue 17): no
sequential scan of programs, no sort of every row, on a seeded field with fresh
statistics and JIT off. Plans, not timings: they do not depend on the machine's load."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection, transaction
from rest_framework.authtoken.models import Token

from exchanges import selectors
from exchanges.models import Application, Membership, Organization, Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset, rows=20) -> str:
    sql, params = queryset[:rows].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(line for (line,) in cursor.fetchall())


@pytest.fixture(scope="module")
def field(django_db_setup, django_db_blocker):
    """A field big enough that PostgreSQL prefers indexes where they help, seeded once
    for the module in a transaction rolled back at its end."""
    # Tests before these leave dead rows and a GIN pending list behind (rolled-back
    # inserts) that autovacuum would clear in production: clear them, so the plans
    # are those of a maintained table whatever ran earlier.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE exchanges_program")
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_scale", programs=3000, organizations=20, participants=200)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("ANALYZE")
        facilitator = Membership.objects.filter(role=Role.FACILITATOR).first().user
        yield {
            "anonymous": AnonymousUser(),
            "owner": Membership.objects.filter(role=Role.OWNER).first().user,
            "participant": Application.objects.first().applicant,
            "facilitator": facilitator,
            "organization": Organization.objects.get(memberships__user=facilitator),
        }
        transaction.set_rollback(True)


def assert_uses(text: str, index: str):
    assert f" using {index} on exchanges_program" in text or f"on {index}" in text, text
    assert "Seq Scan on exchanges_program " not in text, text  # the tally may be read whole


def test_the_program_lists_walk_their_index_in_order(field):
    for who in ("anonymous", "owner", "participant", "facilitator"):
        text = plan(selectors.programs_visible_to(field[who]))
        index = "program_public_start" if who == "anonymous" else "program_start"
        assert_uses(text, index)
        assert "Sort" not in text, text

    text = plan(selectors.catalogue_programs())
    assert_uses(text, "program_catalogue_order")
    assert "Sort" not in text, text


def test_searches_find_candidates_through_the_trigram_index(field):
    # A word few programs have (a seeded title's number): its candidates come from the
    # index, then the page sorts those few rows, not the table.
    for programs in (selectors.catalogue_programs(search="2718"),
                     selectors.search_programs(selectors.programs_visible_to(field["owner"]),
                                               "2718")):
        assert_uses(plan(programs), "program_search_trgm")


def test_a_common_words_catalogue_page_walks_the_catalogue_order_and_stops(field):
    # A place a twelfth of the programs share: the page (its rows and one more, as the
    # catalogue asks for them) reads the catalogue's order until it has them, unsorted.
    text = plan(selectors.catalogue_programs(search="Nicosia"), rows=13)
    assert_uses(text, "program_catalogue_order")
    assert "Sort" not in text and "program_search_trgm" not in text, text


def test_the_catalogues_organizations_come_from_the_tally(field):
    sql, params = selectors.catalogue_organizations().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        text = "\n".join(line for (line,) in cursor.fetchall())
    assert "exchanges_programtally" in text, text
    assert "exchanges_program " not in text, text  # no program read, however many


def test_an_organizations_programs_come_from_its_index(field):
    organization = field["organization"]
    for viewer in (None, field["facilitator"]):
        text = plan(selectors.organization_programs(organization, viewer=viewer))
        assert_uses(text, "program_org_start")
        assert "Seq Scan on exchanges_application" not in text, text


def test_a_persons_applications_come_from_their_index(field):
    text = plan(selectors.applications_of(field["participant"]))
    assert "Index Scan using exchanges_application_applicant_id" in text, text
    assert "Seq Scan on exchanges_application" not in text, text


def test_the_api_lists_prepared_page_walks_its_index_once_the_plan_is_cached(field):
    """The unfiltered API list is a server-side prepared statement (core.prepared): after
    five runs PostgreSQL may keep one generic plan for every caller and page, which must
    still walk the index and stop at the page."""
    from exchanges.api import lean

    for who in ("anonymous", "owner", "participant", "facilitator"):
        programs = lean.VisibleList(field[who])
        for page in range(7):
            programs[page * 20:(page + 1) * 20]
        statement = programs.page_statement()
        values = ", ".join(["%s"] * (len(programs.values) + 2))
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN EXECUTE {statement.name} ({values})",
                           [*programs.values, 20, 40])
            text = "\n".join(line for (line,) in cursor.fetchall())
        index = "program_public_start" if who == "anonymous" else "program_start"
        assert_uses(text, index)
        assert "Sort" not in text, text


def explain_prepared(statement, values) -> str:
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN EXECUTE {statement.name} ({placeholders})", list(values))
        return "\n".join(line for (line,) in cursor.fetchall())


def test_prepared_statements_are_planned_once_as_generic_plans(field):
    """Parley's connections keep one generic plan per prepared statement (planning each
    call cost more than running it): each plan must be right for any caller, so none
    reads a whole table of programs, sides or applications (small tables, a field's
    memberships say, may be read whole)."""
    from core import prepared
    from exchanges.api import lean
    from participants import authentication

    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
    owner = field["owner"]
    programs = lean.VisibleList(owner)
    programs.count()
    page = programs[0:20]
    at = lean.plan().at
    ids = [row[at["id"]] for row in page]
    lean._sides_of(ids, [row[at["id"]] for row in page if row[at["is_staff"]]])
    plans = {
        ("program page", "signed in"): [owner.pk, 20, 0],
        ("program count", "signed in"): [owner.pk],
        "program sides": (ids, ids),
    }
    for shape, values in plans.items():
        found = [s for key, s in prepared._statements.items() if key[2] == shape]
        assert found, shape
        assert_reads_no_big_table(explain_prepared(found[0], values))
    token = Token.objects.create(user=owner)
    authentication.TokenAuthentication().authenticate_credentials(token.key)
    holder = next(s for key, s in prepared._statements.items() if key[2] == "api-token")
    assert_reads_no_big_table(explain_prepared(holder, [token.key]))


def assert_reads_no_big_table(text: str):
    for table in ("exchanges_program", "exchanges_side", "exchanges_application"):
        assert f"Seq Scan on {table} " not in text, text
