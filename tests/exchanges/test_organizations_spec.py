"""The organization services' rules at their own level: slugs, what an update touches,
the owner rules, and the log rows."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Conflict
from exchanges import services
from exchanges.models import ActivityLog, Membership, Organization
from exchanges.services import organizations
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

ROLE_CHANGE_QUERIES = 7  # savepoints included


def test_a_new_organization_has_its_founder_as_owner_and_is_logged(alice):
    organization = services.organization_create(actor=alice, name="Open Doors",
                                                description="We meet.",
                                                website="https://doors.example.org")
    stored = Organization.objects.get(pk=organization.pk)
    assert (stored.name, stored.slug, stored.description, stored.website) == (
        "Open Doors", "open-doors", "We meet.", "https://doors.example.org")
    assert Membership.objects.get(organization=stored).user == alice
    assert Membership.objects.get(organization=stored).role == "owner"
    log = ActivityLog.objects.get(verb="organization.created")
    assert (log.actor, log.target_id, log.organization_id) == (
        alice, str(stored.pk), stored.pk)


def test_a_made_up_slug_takes_the_next_free_number(alice):
    OrganizationFactory(slug="open-doors")
    OrganizationFactory(slug="open-doors-2")
    organization = services.organization_create(actor=alice, name="Open Doors")
    assert organization.slug == "open-doors-3"


def test_a_made_up_slug_is_at_most_50_characters_and_never_empty(alice):
    long = services.organization_create(actor=alice, name="a" * 80)
    assert long.slug == "a" * 50
    unsluggable = services.organization_create(actor=alice, name="!!!")
    assert unsluggable.slug == "organization"


def test_a_chosen_slug_that_is_taken_names_the_slug(alice):
    OrganizationFactory(slug="doors")
    with pytest.raises(ValidationError) as err:
        services.organization_create(actor=alice, name="Doors", slug="doors")
    assert list(err.value.message_dict) == ["slug"]
    assert Organization.objects.filter(slug="doors").count() == 1


def test_a_made_up_slug_taken_meanwhile_moves_on_to_another(alice, monkeypatch):
    OrganizationFactory(slug="taken")
    offers = iter(["taken", "taken", "free"])
    monkeypatch.setattr(organizations, "_free_slug", lambda name: next(offers))
    assert services.organization_create(actor=alice, name="Any").slug == "free"


def test_when_every_made_up_slug_is_taken_meanwhile_the_person_is_asked_for_one(
        alice, monkeypatch):
    OrganizationFactory(slug="taken")
    offers = []
    monkeypatch.setattr(organizations, "_free_slug", lambda name: offers.append(1) or "taken")
    with pytest.raises(ValidationError) as err:
        services.organization_create(actor=alice, name="Any")
    assert err.value.message_dict == {
        "slug": ["No free slug was found for this name; choose one."]}
    assert len(offers) == organizations.SLUG_ATTEMPTS == 20


def test_an_update_changes_only_the_named_fields_and_logs_them(org, alice):
    services.organization_update(organization=org, actor=alice, name="Bridges Two",
                                 require_two_factor=True)
    org.refresh_from_db()
    assert (org.name, org.slug, org.require_two_factor) == ("Bridges Two", "bridges", True)
    services.organization_update(organization=org, actor=alice, description="About us",
                                 website="https://bridges.example.org")
    org.refresh_from_db()
    assert (org.description, org.website) == ("About us", "https://bridges.example.org")
    log = ActivityLog.objects.filter(verb="organization.updated").order_by("pk").first()
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(org.pk), org.pk, {"fields": ["name", "require_two_factor"]})


def test_an_update_is_validated(org, alice):
    with pytest.raises(ValidationError) as err:
        services.organization_update(organization=org, actor=alice, name="")
    assert list(err.value.message_dict) == ["name"]


def test_a_role_change_is_stored_and_logged_from_and_to(org, alice, bob):
    membership = MembershipFactory(organization=org, user=bob, role="facilitator")
    services.membership_change_role(membership=membership, actor=alice, role="coordinator")
    assert Membership.objects.get(pk=membership.pk).role == "coordinator"
    log = ActivityLog.objects.get(verb="membership.role_changed")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(membership.pk), org.pk,
        {"from": "facilitator", "to": "coordinator", "user": bob.pk})


def test_the_last_owner_cannot_step_down_or_leave(org, alice):
    own = Membership.objects.get(organization=org, user=alice)
    with pytest.raises(Conflict) as err:
        services.membership_change_role(membership=own, actor=alice, role="coordinator")
    assert (err.value.code, err.value.message) == (
        "sole_owner", "An organization needs at least one owner.")
    with pytest.raises(Conflict) as err:
        services.membership_remove(membership=own, actor=alice)
    assert err.value.code == "sole_owner"
    assert Membership.objects.get(pk=own.pk).role == "owner"


def test_an_owner_of_another_organization_does_not_count(org, alice):
    elsewhere = OrganizationFactory()
    MembershipFactory(organization=elsewhere, user=UserFactory(), role="owner")
    own = Membership.objects.get(organization=org, user=alice)
    with pytest.raises(Conflict):
        services.membership_change_role(membership=own, actor=alice, role="facilitator")


def test_with_a_second_owner_one_may_leave_and_the_other_step_down_no_further(
        org, alice, bob):
    second = MembershipFactory(organization=org, user=bob, role="owner")
    own = Membership.objects.get(organization=org, user=alice)
    services.membership_change_role(membership=own, actor=alice, role="owner")
    services.membership_remove(membership=second, actor=alice)
    assert not Membership.objects.filter(pk=second.pk).exists()
    log = ActivityLog.objects.get(verb="membership.removed")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(second.pk), org.pk, {"user": bob.pk, "role": "owner"})
    with pytest.raises(Conflict):
        services.membership_change_role(membership=own, actor=alice, role="coordinator")


def test_a_new_organization_without_description_or_website_has_them_blank(alice):
    organization = services.organization_create(actor=alice, name="Open Doors")
    stored = Organization.objects.get(pk=organization.pk)
    assert (stored.description, stored.website) == ("", "")


def test_turning_identity_protection_on_is_stored_and_logged_with_its_value(org, alice):
    services.organization_update(organization=org, actor=alice, identity_protection=True)
    org.refresh_from_db()
    assert org.identity_protection is True
    services.organization_update(organization=org, actor=alice, name="Bridges Two",
                                 identity_protection=True)
    logs = ActivityLog.objects.filter(verb="organization.updated").order_by("pk")
    assert [log.data for log in logs] == [
        {"fields": ["identity_protection"], "identity_protection": True},
        {"fields": ["identity_protection", "name"]},  # unchanged: its value is not logged
    ]


def test_the_sole_owner_may_set_their_own_role_to_owner_again(org, alice):
    own = Membership.objects.get(organization=org, user=alice)
    services.membership_change_role(membership=own, actor=alice, role="owner")
    assert Membership.objects.get(pk=own.pk).role == "owner"


def test_a_coordinator_does_not_count_as_another_owner(org, alice, bob):
    MembershipFactory(organization=org, user=bob, role="coordinator")
    own = Membership.objects.get(organization=org, user=alice)
    with pytest.raises(Conflict) as err:
        services.membership_change_role(membership=own, actor=alice, role="coordinator")
    assert err.value.code == "sole_owner"
    with pytest.raises(Conflict):
        services.membership_remove(membership=own, actor=alice)


def test_a_role_change_reads_the_member_with_person_and_organization_at_once(org, alice, bob):
    membership = MembershipFactory(organization=org, user=bob, role="facilitator")
    services.membership_change_role(membership=membership, actor=alice, role="facilitator")
    with CaptureQueriesContext(connection) as queries:  # the content types are cached
        services.membership_change_role(membership=membership, actor=alice, role="coordinator")
    assert len(queries) == ROLE_CHANGE_QUERIES, "\n".join(q["sql"] for q in queries)


def test_removing_a_facilitator_drops_their_sessions_in_the_removers_name(org, alice, bob):
    membership = MembershipFactory(organization=org, user=bob, role="facilitator")
    session = SessionFactory(program=program_with_sides(organization=org))
    session.facilitators.add(bob)
    services.membership_remove(membership=membership, actor=alice)
    assert not session.facilitators.exists()
    log = ActivityLog.objects.get(verb="session.facilitator_removed")
    assert (log.actor, log.organization_id, log.data) == (
        alice, org.pk, {"user": bob.pk, "sessions": [session.pk]})
