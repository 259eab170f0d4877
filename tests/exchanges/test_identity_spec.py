"""Reveals, rule by rule: who may see a protected person's identity, and what every
attempt leaves behind (exchanges.identity.services and .selectors)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from exchanges.identity import selectors, services
from exchanges.identity.services import RevealRefused
from exchanges.models import ActivityLog, Reveal
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

REASON = "A threat against this participant was reported; we must warn them by phone."


@pytest.fixture
def application():
    org = OrganizationFactory(identity_protection=True)
    program = program_with_sides("North", "South", organization=org)
    person = UserFactory(display_name="Pseudonym", email="hidden@example.org",
                         legal_name="Real Legalname")
    return ApplicationFactory(program=program, side=program.sides.first(), applicant=person)


def member(application, role, **fields):
    user = UserFactory(**fields)
    MembershipFactory(organization=application.program.organization, user=user, role=role)
    return user


def reveal(application, actor, reason=REASON, via="api"):
    return services.identity_reveal(application=application, actor=actor, reason=reason,
                                    via=via)


def refused(call) -> RevealRefused:
    with pytest.raises(RevealRefused) as error:
        call()
    return error.value


def stored(reveal_row: Reveal) -> tuple:
    return (reveal_row.outcome, reveal_row.refusal, reveal_row.actor_role, reveal_row.reason,
            reveal_row.via, reveal_row.subject_id, reveal_row.application_id,
            reveal_row.organization_id)


# --- Granted ------------------------------------------------------------------------------


def test_a_custodian_with_a_reason_sees_the_identity_and_both_records_say_so(application):
    custodian = member(application, "custodian", display_name="Keeper")
    org_id = application.program.organization_id

    shown = reveal(application, custodian, reason=f"  {REASON}\n", via="page")

    row = Reveal.objects.get()
    assert (shown.email, shown.legal_name, shown.reveal) == (
        "hidden@example.org", "Real Legalname", row)
    assert stored(row) == ("revealed", "", "custodian", REASON, "page",
                           application.applicant_id, application.pk, org_id)
    assert (row.actor, row.actor_display_name) == (custodian, "Keeper")
    entry = ActivityLog.objects.get()
    assert (entry.verb, entry.actor, entry.organization_id, entry.target_type,
            entry.target_id) == ("identity.revealed", custodian, org_id, "application",
                                 str(application.pk))
    assert entry.data == {"reveal": row.pk, "applicant": application.applicant_id,
                          "reason": REASON, "via": "page", "role": "custodian"}


def test_the_actor_name_kept_is_cut_to_the_80_characters_the_record_holds(application):
    custodian = member(application, "custodian")
    custodian.display_name = "K" * 90  # longer than any stored name: the cut is the service's
    reveal(application, custodian)
    assert Reveal.objects.get().actor_display_name == "K" * 80


def test_a_reason_of_exactly_the_limit_is_accepted(application):
    custodian = member(application, "custodian")
    reveal(application, custodian, reason="r" * services.MAX_REASON)
    assert Reveal.objects.get().reason == "r" * services.MAX_REASON


def test_a_reason_over_the_limit_is_refused_on_reason_and_reveals_nothing(application):
    custodian = member(application, "custodian")
    with pytest.raises(ValidationError) as error:
        reveal(application, custodian, reason="r" * (services.MAX_REASON + 1))
    assert error.value.message_dict == {"reason": ["Keep the reason under 2000 characters."]}
    assert not Reveal.objects.filter(outcome="revealed").exists()
    assert not ActivityLog.objects.filter(verb="identity.revealed").exists()


def test_a_platform_admin_reveals_from_the_admin_only(application):
    admin = UserFactory(is_staff=True, display_name="Admin")

    reveal(application, admin, via="admin")

    row = Reveal.objects.get()
    assert (row.outcome, row.actor_role, row.via) == ("revealed", "platform_admin", "admin")
    assert ActivityLog.objects.get().data["role"] == "platform_admin"
    assert refused(lambda: reveal(application, admin, via="api")).code == "not_in_organization"


def test_a_deactivated_staff_account_is_no_platform_admin(application):
    admin = UserFactory(is_staff=True, is_active=False)
    assert refused(lambda: reveal(application, admin, via="admin")).code == "not_in_organization"


def test_a_non_staff_person_cannot_reveal_through_the_admin_route(application):
    assert refused(lambda: reveal(application, UserFactory(), via="admin")).code == (
        "not_in_organization")


# --- Refused, and recorded -------------------------------------------------------------------


def test_an_outsider_is_refused_as_not_in_the_organization_and_the_log_has_no_organization(
        application):
    outsider = UserFactory(display_name="Outsider")

    error = refused(lambda: reveal(application, outsider, reason="r" * 2500, via="page"))

    assert (error.code, error.message, str(error)) == (
        "not_in_organization", "You cannot see this application.",
        "You cannot see this application.")
    row = Reveal.objects.get()
    assert stored(row) == ("refused", "not_in_organization", "", "r" * 2000, "page",
                           application.applicant_id, application.pk,
                           application.program.organization_id)
    assert (row.actor, row.actor_display_name) == (outsider, "Outsider")
    entry = ActivityLog.objects.get()
    assert (entry.verb, entry.actor, entry.organization_id, entry.target_id) == (
        "identity.reveal_refused", outsider, None, str(application.pk))
    assert entry.data == {"reveal": row.pk, "applicant": application.applicant_id,
                          "reason": "r" * 2000, "via": "page",
                          "refusal": "not_in_organization"}


@pytest.mark.parametrize("role", ["owner", "coordinator", "facilitator"])
def test_other_members_are_refused_as_not_custodians_in_the_organizations_log(application,
                                                                              role):
    staff = member(application, role)

    error = refused(lambda: reveal(application, staff))

    assert (error.code, error.message) == (
        "not_custodian", "Only the organization's custodians can reveal a person's identity.")
    row = Reveal.objects.get()
    assert stored(row) == ("refused", "not_custodian", role, REASON, "api",
                           application.applicant_id, application.pk,
                           application.program.organization_id)
    entry = ActivityLog.objects.get()
    assert (entry.verb, entry.organization_id) == (
        "identity.reveal_refused", application.program.organization_id)
    assert entry.data["refusal"] == "not_custodian"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_custodian_without_a_reason_is_refused_on_reason_and_it_is_recorded(application,
                                                                             reason):
    custodian = member(application, "custodian")

    with pytest.raises(ValidationError) as error:
        reveal(application, custodian, reason=reason)

    assert error.value.message_dict == {
        "reason": ["Say why you need to see this person's identity."]}
    row = Reveal.objects.get()
    assert stored(row) == ("refused", "no_reason", "custodian", "", "api",
                           application.applicant_id, application.pk,
                           application.program.organization_id)
    assert ActivityLog.objects.get().data["refusal"] == "no_reason"


def test_an_outsider_without_a_reason_is_refused_as_outsider_first(application):
    assert refused(lambda: reveal(application, UserFactory(), reason="")).code == (
        "not_in_organization")


# --- Selectors -------------------------------------------------------------------------------


def test_a_person_is_shown_only_granted_reveals_about_them_newest_first(application):
    custodian = member(application, "custodian")
    first = reveal(application, custodian, reason="first").reveal
    second = reveal(application, custodian, reason="second").reveal
    refused(lambda: reveal(application, UserFactory()))
    other = ApplicationFactory(program=application.program, side=application.side)
    reveal(other, custodian)

    assert list(selectors.reveals_about(application.applicant)) == [second, first]


def test_reveals_come_by_time_then_by_the_later_record_first(application):
    custodian = member(application, "custodian")
    early, late, same_time = (reveal(application, custodian).reveal for _ in range(3))
    Reveal.objects.filter(pk=early.pk).update(created_at=late.created_at + timedelta(hours=1))
    Reveal.objects.filter(pk=same_time.pk).update(created_at=late.created_at)

    assert list(selectors.reveals_about(application.applicant)) == [early, same_time, late]


def test_reveals_about_a_person_read_their_organization_and_program_at_once(
        application, django_assert_num_queries):
    custodian = member(application, "custodian")
    reveal(application, custodian)
    reveal(application, custodian)
    with django_assert_num_queries(1):
        names = [(row.organization.name, row.application.program.title)
                 for row in selectors.reveals_about(application.applicant)]
    assert len(names) == 2


def test_role_labels_are_translated_and_an_unknown_role_is_shown_as_stored():
    with translation.override("fr"):
        assert selectors.role_label("platform_admin") == "administrateur de la plateforme"
        assert selectors.role_label("custodian") == "référent sécurité"
        assert selectors.role_label("retired role") == "retired role"
