"""core.prepared: a statement compiled once binds each call's own values, reads columns
as the ORM does, refuses what it cannot bind, and is prepared once per connection."""

import pytest
from django.db import connection
from django.test import override_settings

from core import prepared
from exchanges.models import Membership, Program
from participants.models import User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

USER_SLOT = prepared.INT_SLOTS[0]


def roles_of(user_id):
    return Membership.objects.filter(user_id=user_id).order_by("role").values("role", "user_id")


def test_each_call_binds_its_own_values():
    first, second = UserFactory(), UserFactory()
    MembershipFactory(user=first, role="owner")
    MembershipFactory(user=second, role="coordinator")
    MembershipFactory(user=second, role="facilitator")
    statement = prepared.statement("roles", roles_of, (USER_SLOT,))

    assert statement.dicts((first.pk,)) == [{"role": "owner", "user_id": first.pk}]
    assert statement.dicts((second.pk,)) == list(roles_of(second.pk))
    assert statement.dicts((first.pk,)) == list(roles_of(first.pk))
    assert prepared.statement("roles", roles_of, (USER_SLOT,)) is statement


def test_a_tail_binds_after_the_slots():
    user = UserFactory()
    for role in ("coordinator", "facilitator", "owner"):
        MembershipFactory(user=user, role=role)
    statement = prepared.statement("roles page", roles_of, (USER_SLOT,),
                                   tail=" LIMIT %s OFFSET %s")

    assert [row["role"] for row in statement.dicts((user.pk, 2, 1))] == ["facilitator", "owner"]


def test_columns_read_through_the_orms_converters():
    """Encrypted and JSON columns come back as the ORM gives them."""
    user = UserFactory(legal_name="Ayşe Yılmaz", languages="tr, en")

    def person(user_id):
        return User.objects.filter(pk=user_id).values("legal_name", "languages", "date_joined")

    [row] = prepared.statement("person", person, (USER_SLOT,)).dicts((user.pk,))

    assert row == person(user.pk).get()
    assert row["legal_name"] == "Ayşe Yılmaz"


def test_a_slot_the_sql_does_not_carry_is_refused():
    with pytest.raises(ValueError, match="does not carry"):
        prepared.statement("forgets", lambda user_id: Membership.objects.values("role"),
                           (USER_SLOT,))


def test_a_slot_inside_a_parameter_is_refused():
    """A JSON value holding the slot: its SQL would not change, but it cannot be bound."""
    with pytest.raises(ValueError, match="slot"):
        prepared.statement("in a value", lambda language: Program.objects.filter(
            languages=[language]).values("pk"), (prepared.STR_SLOTS[0],))


def test_statements_are_built_again_when_a_setting_changes():
    statement = prepared.statement("roles", roles_of, (USER_SLOT,))
    with override_settings(ADMIN_REQUIRE_TWO_FACTOR=True):
        assert prepared.statement("roles", roles_of, (USER_SLOT,)) is not statement


def test_each_language_has_its_own_statement():
    from django.utils import translation

    with translation.override("fr"):
        french = prepared.statement("roles", roles_of, (USER_SLOT,))
    with translation.override("tr"):
        turkish = prepared.statement("roles", roles_of, (USER_SLOT,))

    assert french is not turkish


@pytest.mark.postgres
def test_postgresql_prepares_once_per_connection_and_counts_no_query(
        django_assert_num_queries):
    organization = OrganizationFactory()
    user = UserFactory()
    MembershipFactory(user=user, organization=organization, role="owner")
    statement = prepared.statement("roles", roles_of, (USER_SLOT,))

    with django_assert_num_queries(2):
        statement.rows((user.pk,))
        statement.rows((user.pk,))

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s",
                       [statement.name])
        assert cursor.fetchone()[0] == 1


def test_among_finds_the_ids_of_a_list_and_nothing_else():
    chosen = [OrganizationFactory(), OrganizationFactory()]
    OrganizationFactory()
    found = type(chosen[0]).objects.filter(prepared.among("pk", [o.pk for o in chosen]))
    assert sorted(found.values_list("pk", flat=True)) == sorted(o.pk for o in chosen)


def test_among_found_first_finds_what_the_subquery_selects_and_nothing_else():
    member, other = UserFactory(), UserFactory()
    mine = [MembershipFactory(user=member).organization for _ in range(2)]
    OrganizationFactory()
    MembershipFactory(user=other)
    # Membership's own ordering (by organization name) must not reach the subquery.
    organizations = Membership.objects.filter(user_id=member.pk).values("organization_id")

    found = type(mine[0]).objects.filter(
        prepared.among_found_first("pk", organizations)).order_by()

    assert sorted(found.values_list("pk", flat=True)) == sorted(o.pk for o in mine)
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in str(found.query)
        assert "ORDER BY" not in str(found.query)
