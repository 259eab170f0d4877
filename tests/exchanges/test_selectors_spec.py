"""Exchanges' read rules, one by one: roles, visibility, personal data, catalogue, logs."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from core.paging import known_count
from exchanges import selectors
from exchanges.models import ActivityLog, Membership, Program, ProgramTally
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgramFactory,
    SessionFactory,
    SideFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


def pks(queryset):
    return [item.pk for item in queryset]


@pytest.fixture
def people(org, alice):
    """alice owns org; a coordinator, a facilitator and an outsider."""
    coordinator, facilitator, outsider = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(organization=org, user=coordinator, role="coordinator")
    MembershipFactory(organization=org, user=facilitator, role="facilitator")
    return {"owner": alice, "coordinator": coordinator, "facilitator": facilitator,
            "outsider": outsider}


# --- Roles ----------------------------------------------------------------------------------


def test_roles_and_what_they_may_do(org, people):
    expected = {  # role, staff, member
        "owner": ("owner", True, True), "coordinator": ("coordinator", True, True),
        "facilitator": ("facilitator", False, True), "outsider": (None, False, False),
    }
    for who, (role, staff, member) in expected.items():
        user = people[who]
        assert (selectors.role_in(user, org.pk), selectors.is_staff_of(user, org.pk),
                selectors.is_member_of(user, org.pk)) == (role, staff, member), who
    assert selectors.role_in(ANONYMOUS, org.pk) is None


def test_staff_changes_need_an_owner_or_coordinator(org, people):
    selectors.require_staff(people["owner"], org.pk)
    selectors.require_staff(people["coordinator"], org.pk)
    for who in ("facilitator", "outsider"):
        with pytest.raises(PermissionDenied, match=r"^Only the organization's owners and "
                                                   r"coordinators can do this\.$"):
            selectors.require_staff(people[who], org.pk)


def test_owner_changes_need_an_owner(org, people):
    selectors.require_owner(people["owner"], org.pk)
    for who in ("coordinator", "facilitator", "outsider"):
        with pytest.raises(PermissionDenied,
                           match=r"^Only the organization's owners can do this\.$"):
            selectors.require_owner(people[who], org.pk)


def test_organizations_of_a_person_by_name(alice):
    zulu, alpha = OrganizationFactory(name="Zulu"), OrganizationFactory(name="Alpha")
    OrganizationFactory(name="Not mine")
    for organization in (zulu, alpha):
        MembershipFactory(organization=organization, user=alice, role="facilitator")
    assert pks(selectors.organizations_of(alice)) == [alpha.pk, zulu.pk]
    assert not selectors.organizations_of(ANONYMOUS).exists()


# --- Visibility -----------------------------------------------------------------------------


def test_who_sees_which_program(org, people):
    soon = timezone.localdate() + timedelta(days=10)
    published = ProgramFactory(organization=org, status="published", starts_on=soon)
    closed = ProgramFactory(status="closed", starts_on=soon - timedelta(days=1))
    draft = ProgramFactory(organization=org, status="draft", starts_on=soon)
    archived = ProgramFactory(status="archived", starts_on=soon)
    applicant = ApplicationFactory(side=SideFactory(program=archived)).applicant
    assert pks(selectors.programs_visible_to(ANONYMOUS)) == [closed.pk, published.pk]
    # v1.1: facilitators no longer list drafts, but for those with a session of theirs.
    assert pks(selectors.programs_visible_to(people["facilitator"])) == [
        closed.pk, published.pk]
    assert pks(selectors.programs_visible_to(people["coordinator"])) == [
        closed.pk, published.pk, draft.pk]
    assert pks(selectors.programs_visible_to(applicant)) == [
        closed.pk, published.pk, archived.pk]


def test_programs_open_for_applications_now(org):
    open_ = ProgramFactory(organization=org, applications_close_at=None)
    closing = ProgramFactory(organization=org,
                             applications_close_at=timezone.now() + timedelta(hours=1))
    ProgramFactory(organization=org, applications_close_at=timezone.now() - timedelta(hours=1))
    ProgramFactory(organization=org, status="closed")
    ProgramFactory(organization=org, status="draft")
    assert set(pks(selectors.programs_open_for_applications())) == {open_.pk, closing.pk}


def test_programs_staffed_by_owners_and_coordinators_only(org, people):
    mine = ProgramFactory(organization=org, status="draft")
    ProgramFactory()
    for who in ("owner", "coordinator"):
        assert pks(selectors.programs_staffed_by(people[who])) == [mine.pk]
    for user in (people["facilitator"], people["outsider"], ANONYMOUS):
        assert not selectors.programs_staffed_by(user).exists()


def test_applications_visible_to_their_applicant_and_the_programs_staff(org, people):
    program = program_with_sides(organization=org)
    first = ApplicationFactory(program=program, side=program.sides.first(),
                               created_at=timezone.now() - timedelta(days=1))
    second = ApplicationFactory(program=program, side=program.sides.first())
    elsewhere = ApplicationFactory()
    assert pks(selectors.applications_visible_to(people["coordinator"])) == [
        first.pk, second.pk]
    assert pks(selectors.applications_visible_to(first.applicant)) == [first.pk]
    assert pks(selectors.applications_visible_to(elsewhere.applicant)) == [elsewhere.pk]
    assert not selectors.applications_visible_to(people["facilitator"]).exists()
    assert not selectors.applications_visible_to(ANONYMOUS).exists()


def test_accepted_means_an_accepted_application_to_that_program(org):
    program = program_with_sides(organization=org)
    accepted = ApplicationFactory(program=program, side=program.sides.first(),
                                  status="accepted")
    waiting = ApplicationFactory(program=program, side=program.sides.first(),
                                 status="waitlisted")
    assert selectors.is_accepted_to(accepted.applicant, program.pk)
    assert not selectors.is_accepted_to(waiting.applicant, program.pk)
    assert not selectors.is_accepted_to(accepted.applicant, ProgramFactory().pk)
    assert not selectors.is_accepted_to(ANONYMOUS, program.pk)


# --- Personal data --------------------------------------------------------------------------


def test_personal_data_is_seen_by_the_person_and_staff_where_they_applied(org, people):
    program = program_with_sides(organization=org)
    applicant = ApplicationFactory(program=program, side=program.sides.first()).applicant
    other_staff = UserFactory()
    MembershipFactory(organization=OrganizationFactory(), user=other_staff, role="owner")
    assert selectors.can_see_personal_data(applicant, applicant)
    assert selectors.can_see_personal_data(people["coordinator"], applicant)
    for viewer in (people["facilitator"], people["outsider"], other_staff, ANONYMOUS):
        assert not selectors.can_see_personal_data(viewer, applicant)
    # Staff see their applicants, not each other's data as such.
    assert not selectors.can_see_personal_data(people["coordinator"], people["outsider"])


def test_personal_data_organizations_are_those_the_viewer_staffs(org, people):
    program = ProgramFactory(organization=org)
    assert selectors.personal_data_organizations(people["owner"]) == frozenset({org.pk})
    assert selectors.personal_data_organizations(people["facilitator"]) == frozenset()
    assert selectors.personal_data_organizations(ANONYMOUS) == frozenset()
    assert selectors.sees_applicant_personal_data({org.pk}, program)
    assert not selectors.sees_applicant_personal_data({org.pk + 1}, program)


# --- Catalogue and search -------------------------------------------------------------------


def test_filters_narrow_by_kind_organization_status_and_open_now(org):
    sports = ProgramFactory(organization=org, kind="sports")
    closed = ProgramFactory(organization=org, status="closed")
    late = ProgramFactory(applications_close_at=timezone.now() - timedelta(minutes=1))
    everything = selectors.catalogue_programs
    assert pks(everything(kind="sports")) == [sports.pk]
    assert set(pks(everything(organization=org.slug))) == {sports.pk, closed.pk}
    assert pks(everything(status="closed")) == [closed.pk]
    assert set(pks(everything(open_now=True))) == {sports.pk}
    assert set(pks(everything())) == {sports.pk, closed.pk, late.pk}


@pytest.mark.parametrize("field", ["title", "summary", "description", "location"])
def test_search_finds_every_word_in_any_text_field(org, field):
    found = ProgramFactory(organization=org, **{field: "Bridges over the Nicosia line"})
    ProgramFactory(organization=org, **{field: "Bridges only"})
    assert pks(selectors.catalogue_programs(search="nicosia  BRIDGES")) == [found.pk]


def test_catalogue_lists_published_then_closed_each_by_start(org):
    day = timezone.localdate()
    closed_early = ProgramFactory(status="closed", starts_on=day + timedelta(days=1))
    late = ProgramFactory(organization=org, starts_on=day + timedelta(days=9))
    early = ProgramFactory(organization=org, starts_on=day + timedelta(days=2))
    ProgramFactory(status="draft")
    assert pks(selectors.catalogue_programs()) == [early.pk, late.pk, closed_early.pk]
    # Each organization with a public program once, whatever its number of programs.
    assert sorted(pks(selectors.catalogue_organizations())) == sorted(
        [org.pk, closed_early.organization_id])


def test_seats_left_per_side_under_parity_never_below_zero(org):
    program = program_with_sides("A", "B", organization=org, capacity=5)
    a, b = program.sides.all()
    for _ in range(3):
        ApplicationFactory(program=program, side=a, status="accepted")
    ApplicationFactory(program=program, side=b, status="declined")
    [listed] = selectors.catalogue_programs()
    total, sides = selectors.seats_left(listed)
    assert total == 2
    assert [(s.name, s.seats_left) for s in sides] == [("A", 0), ("B", 2)]


def test_seats_left_under_no_balance_count_only_the_total(org):
    program = program_with_sides("A", "B", organization=org, capacity=2, balance="none")
    for _ in range(3):  # over capacity after a capacity cut
        ApplicationFactory(program=program, side=program.sides.first(), status="accepted")
    [listed] = selectors.catalogue_programs()
    total, sides = selectors.seats_left(listed)
    assert total == 0
    assert [(s.name, s.seats_left) for s in sides] == [("A", None), ("B", None)]


def test_seats_left_of_a_program_without_sides_is_its_capacity(org):
    ProgramFactory(organization=org, capacity=4)
    [listed] = selectors.catalogue_programs()
    assert selectors.seats_left(listed) == (4, [])


# --- Lists for people and staff -------------------------------------------------------------


def test_own_applications_newest_first(bob):
    old = ApplicationFactory(applicant=bob, created_at=timezone.now() - timedelta(days=2))
    new = ApplicationFactory(applicant=bob)
    ApplicationFactory()
    assert pks(selectors.applications_of(bob)) == [new.pk, old.pk]


def test_a_programs_applications_filtered_by_side_and_status(org):
    program = program_with_sides("A", "B", organization=org)
    a, b = program.sides.all()
    second = ApplicationFactory(program=program, side=b, status="accepted")
    third = ApplicationFactory(program=program, side=a, status="accepted")
    first = ApplicationFactory(program=program, side=a,  # written last, applied first
                               created_at=timezone.now() - timedelta(days=1))
    ApplicationFactory()
    listed = selectors.program_applications
    assert pks(listed(program)) == [first.pk, second.pk, third.pk]
    assert pks(listed(program, side=str(a.pk))) == [first.pk, third.pk]
    assert pks(listed(program, status="accepted")) == [second.pk, third.pk]
    assert pks(listed(program, side=str(a.pk), status="accepted")) == [third.pk]


def test_memberships_and_members_in_name_order(alice, bob):
    beta, alpha = OrganizationFactory(name="Beta"), OrganizationFactory(name="Alpha")
    ms = [MembershipFactory(organization=o, user=alice, role="owner") for o in (beta, alpha)]
    assert pks(selectors.memberships_with_roles(alice)) == [ms[1].pk, ms[0].pk]
    bobs = MembershipFactory(organization=alpha, user=bob)  # "Bob" after "Alice"
    assert pks(selectors.organization_members(alpha)) == [ms[1].pk, bobs.pk]
    assert selectors.membership_of(alice, "alpha") is None  # slugs are org-N here
    assert selectors.membership_of(alice, alpha.slug) == ms[1]
    assert selectors.membership_of(bob, beta.slug) is None
    assert selectors.membership_of(ANONYMOUS, alpha.slug) is None


def test_organization_programs_count_their_pending_applications(org):
    day = timezone.localdate()
    later = program_with_sides(organization=org, starts_on=day + timedelta(days=20))
    sooner = program_with_sides(organization=org, starts_on=day + timedelta(days=10))
    for status in ("pending", "pending", "accepted"):
        ApplicationFactory(program=later, side=later.sides.first(), status=status)
    listed = list(selectors.organization_programs(org))
    assert [(p.pk, p.pending_count) for p in listed] == [(sooner.pk, 0), (later.pk, 2)]


def log(org, actor, verb, when):
    return ActivityLog.objects.create(organization=org, actor=actor, verb=verb, created_at=when)


def test_recent_activity_newest_first_up_to_the_limit(org, alice):
    now = timezone.now()
    entries = [log(org, alice, "x", now - timedelta(minutes=m)) for m in range(11)]
    log(OrganizationFactory(), alice, "x", now)
    assert pks(selectors.recent_activity(org, limit=3)) == [e.pk for e in entries[:3]]
    assert len(selectors.recent_activity(org)) == 10
    same_time = [log(org, alice, "y", now + timedelta(minutes=1)) for _ in range(2)]
    assert pks(selectors.recent_activity(org, limit=2)) == [same_time[1].pk, same_time[0].pk]


def test_activity_log_filters_by_actor_verb_and_inclusive_dates(org, alice, bob):
    def at(day):
        return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())
                                   ) + timedelta(hours=12)

    d1, d2, d3 = date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)
    third = log(org, alice, "application.accepted", at(d3))  # written first, happened last
    first = log(org, alice, "program.created", at(d1))
    second = log(org, bob, "application.accepted", at(d2))
    entries = selectors.activity_log
    assert pks(entries(org)) == [third.pk, second.pk, first.pk]
    assert pks(entries(org, actor=alice)) == [third.pk, first.pk]
    assert pks(entries(org, verb="application.accepted")) == [third.pk, second.pk]
    assert pks(entries(org, since=d2)) == [third.pk, second.pk]
    assert pks(entries(org, until=d2)) == [second.pk, first.pk]
    assert pks(entries(org, since=d2, until=d2)) == [second.pk]


# --- Readers, revealers, personal data under identity protection ----------------------------


def test_custodians_read_and_reveal_but_do_not_staff(org, people):
    custodian = UserFactory()
    MembershipFactory(organization=org, user=custodian, role="custodian")
    expected = {  # reader, revealer, staff
        "owner": (True, False, True), "coordinator": (True, False, True),
        "custodian": (True, True, False), "facilitator": (False, False, False),
        "outsider": (False, False, False),
    }
    everyone = {**people, "custodian": custodian}
    for who, answers in expected.items():
        user = everyone[who]
        assert (selectors.is_reader_of(user, org.pk), selectors.can_reveal(user, org.pk),
                selectors.is_staff_of(user, org.pk)) == answers, who
    assert not selectors.can_reveal(custodian, OrganizationFactory().pk)
    assert not selectors.can_reveal(ANONYMOUS, org.pk)


def test_programs_read_by_custodians_but_staffed_only_by_owners_and_coordinators(org, people):
    custodian = UserFactory()
    MembershipFactory(organization=org, user=custodian, role="custodian")
    draft = ProgramFactory(organization=org, status="draft")
    ProgramFactory(status="draft")
    assert pks(selectors.programs_read_by(custodian)) == [draft.pk]
    assert pks(selectors.programs_read_by(people["coordinator"])) == [draft.pk]
    assert not selectors.programs_staffed_by(custodian).exists()
    assert not selectors.programs_read_by(people["facilitator"]).exists()
    assert not selectors.programs_read_by(ANONYMOUS).exists()


def test_identity_protection_hides_personal_data_from_every_reader(org, alice):
    protected = OrganizationFactory(identity_protection=True)
    MembershipFactory(organization=protected, user=alice, role="custodian")
    facilitated = OrganizationFactory()
    MembershipFactory(organization=facilitated, user=alice, role="facilitator")
    MembershipFactory(organization=OrganizationFactory(), role="owner")  # someone else's
    assert selectors.personal_data_organizations(alice) == frozenset({org.pk})
    assert selectors.staff_access(alice) == (frozenset({org.pk, protected.pk}),
                                             frozenset({org.pk}))
    assert selectors.staff_access(ANONYMOUS) == (frozenset(), frozenset())
    applicant = ApplicationFactory(side=SideFactory(
        program=ProgramFactory(organization=protected))).applicant
    assert not selectors.can_see_personal_data(alice, applicant)


@pytest.mark.parametrize(("role", "protected", "sees"), [
    ("owner", False, True), ("coordinator", False, True), ("custodian", False, True),
    ("facilitator", False, False), (None, False, False),
    ("owner", True, False), ("custodian", True, False),
])
def test_a_known_role_sees_personal_data_as_the_set_says(role, protected, sees):
    organization = OrganizationFactory(identity_protection=protected)
    assert selectors.role_sees_personal_data(role, organization) is sees


# --- Visibility through facilitation --------------------------------------------------------


def test_a_facilitator_sees_the_drafts_with_a_session_of_theirs_while_a_member(org, people):
    facilitator = people["facilitator"]
    theirs = ProgramFactory(organization=org, status="draft")
    SessionFactory(program=theirs).facilitators.add(facilitator)
    ProgramFactory(organization=org, status="draft")
    left = ProgramFactory(status="draft")  # a session there, no membership any more
    SessionFactory(program=left).facilitators.add(facilitator)
    assert pks(selectors.programs_visible_to(facilitator)) == [theirs.pk]
    assert not selectors.programs_visible_to(facilitator, through_facilitation=False).exists()
    visibility = selectors.visibility_of(facilitator)
    assert visibility.count() == 1
    assert selectors.visibility_of(facilitator, through_facilitation=False).count() == 0
    assert pks(selectors.organization_programs(org, viewer=facilitator)) == [theirs.pk]
    assert selectors.visibility_of(ANONYMOUS) == selectors.Visibility()


def test_organization_programs_show_staff_every_program_by_start_then_id(org, people):
    day = timezone.localdate()
    drafts = [ProgramFactory(organization=org, status="draft", starts_on=day) for _ in range(2)]
    first = ProgramFactory(organization=org, starts_on=day - timedelta(days=1))
    ProgramFactory(starts_on=day)
    expected = [first.pk, drafts[0].pk, drafts[1].pk]
    assert pks(selectors.organization_programs(org)) == expected
    assert pks(selectors.organization_programs(org, viewer=people["coordinator"])) == expected
    # A facilitator without a session sees the public ones only.
    assert pks(selectors.organization_programs(org, viewer=people["facilitator"])) == [first.pk]


def test_visible_programs_tie_on_start_by_id_and_carry_organization_and_sides(
        org, django_assert_num_queries):
    day = timezone.localdate()
    made = [program_with_sides(organization=org, starts_on=day) for _ in range(3)]
    with django_assert_num_queries(2):  # programs with organizations, then sides
        listed = list(selectors.programs_visible_to(ANONYMOUS))
        assert [(p.pk, p.organization.name, len(p.sides.all())) for p in listed] == [
            (p.pk, "Bridges", 2) for p in made]
    with django_assert_num_queries(2):
        listed = list(selectors.programs_open_for_applications())
        assert [(p.pk, p.organization.name, len(p.sides.all())) for p in listed] == [
            (p.pk, "Bridges", 2) for p in made]


def test_the_catalogue_counts_each_sides_accepted_applications_in_its_queries(
        org, django_assert_num_queries):
    program = program_with_sides("A", "B", organization=org, capacity=6)
    a, b = program.sides.all()
    for status in ("accepted", "accepted", "pending"):
        ApplicationFactory(program=program, side=a, status=status)
    ApplicationFactory(program=program, side=b, status="accepted")
    with django_assert_num_queries(2):
        [listed] = selectors.catalogue_programs()
        assert listed.organization.name == "Bridges"
        assert [(s.name, s.accepted) for s in listed.sides.all()] == [("A", 2), ("B", 1)]
    assert selectors.seats_left(listed)[0] == 3


# --- Seats and invitations ------------------------------------------------------------------


def invited(organization, *, days=14, status="invited", token=None):
    token = token or UserFactory.build().email
    return Membership.seats.create(
        organization=organization, role="coordinator", status=status, email="x@example.org",
        expires_at=timezone.now() + timedelta(days=days),
        token_hash=Membership.hash_token(token))


def test_seats_are_members_and_for_owners_open_invitations_by_id(org, alice, bob):
    first = invited(org)
    bobs = MembershipFactory(organization=org, user=bob)
    invited(org, days=-1)  # expired
    invited(org, status="declined")
    invited(org, status="revoked")
    second = invited(org)
    invited(OrganizationFactory())
    owner = Membership.objects.get(organization=org, user=alice)
    assert pks(selectors.organization_seats(org, with_invitations=False)) == [owner.pk, bobs.pk]
    assert pks(selectors.organization_seats(org, with_invitations=True)) == [
        owner.pk, first.pk, bobs.pk, second.pk]
    assert pks(selectors.open_invitations(org)) == [first.pk, second.pk]
    assert pks(selectors.organization_members(org)) == [owner.pk, bobs.pk]


def test_seats_carry_their_user_in_one_query(org, bob, django_assert_num_queries):
    MembershipFactory(organization=org, user=bob)
    invited(org)
    with django_assert_num_queries(1):
        seats = selectors.organization_seats(org, with_invitations=True)
        assert [s.user.display_name if s.user else None for s in seats] == [
            "Alice", "Bob", None]


def test_an_invitation_is_found_by_its_token_open_or_not(org, django_assert_num_queries):
    longest, too_long = "a" * 200, "b" * 201
    found = invited(org, token=longest)
    expired = invited(org, days=-1, token="old")
    invited(org, token=too_long)
    assert selectors.invitation_by_token(longest) == found
    with django_assert_num_queries(1):
        assert selectors.invitation_by_token("old").organization.name == "Bridges"
    assert selectors.invitation_by_token("old") == expired
    with django_assert_num_queries(0):
        assert selectors.invitation_by_token(too_long) is None
        assert selectors.invitation_by_token("") is None
    assert selectors.invitation_by_token("never issued") is None


# --- Lists: tie-breaks and what each row carries --------------------------------------------


def test_members_with_the_same_name_by_id_each_with_its_user(org, django_assert_num_queries):
    twins = [MembershipFactory(organization=org, user=UserFactory(display_name="Alice"))
             for _ in range(2)]
    owner = Membership.objects.get(organization=org, role="owner")
    with django_assert_num_queries(1):
        members = selectors.organization_members(org)
        assert [(m.pk, m.user.display_name) for m in members] == [
            (owner.pk, "Alice"), (twins[0].pk, "Alice"), (twins[1].pk, "Alice")]


def test_memberships_carry_their_organization(alice, django_assert_num_queries):
    MembershipFactory(organization=OrganizationFactory(name="Beta"), user=alice)
    MembershipFactory(organization=OrganizationFactory(name="Alpha"), user=alice)
    with django_assert_num_queries(1):
        assert [m.organization.name for m in selectors.memberships_with_roles(alice)] == [
            "Alpha", "Beta"]


def test_a_programs_applications_at_the_same_time_by_id_with_side_and_applicant(
        org, django_assert_num_queries):
    program = program_with_sides("A", organization=org)
    when = timezone.now()
    made = [ApplicationFactory(program=program, side=program.sides.first(), created_at=when)
            for _ in range(3)]
    with django_assert_num_queries(1):
        listed = selectors.program_applications(program)
        assert [(a.pk, a.side.name, a.applicant.display_name) for a in listed] == [
            (a.pk, "A", a.applicant.display_name) for a in made]
    assert not selectors.program_applications(program, status="declined").exists()
    assert not selectors.program_applications(
        program, side=str(SideFactory(program=program).pk)).exists()


def test_own_applications_at_the_same_time_newest_id_first_with_program_and_side(
        bob, django_assert_num_queries):
    when = timezone.now()
    made = [ApplicationFactory(applicant=bob, created_at=when) for _ in range(2)]
    with django_assert_num_queries(1):
        listed = selectors.applications_of(bob)
        assert [(a.pk, a.program.organization.name, a.side.name) for a in listed] == [
            (a.pk, a.program.organization.name, a.side.name) for a in reversed(made)]


def test_visible_applications_by_time_then_id_with_what_a_row_shows(
        org, people, django_assert_num_queries):
    custodian = UserFactory()
    MembershipFactory(organization=org, user=custodian, role="custodian")
    program = program_with_sides("A", organization=org)
    when = timezone.now()
    made = [ApplicationFactory(program=program, side=program.sides.first(), created_at=when)
            for _ in range(3)]
    ApplicationFactory()
    with django_assert_num_queries(1):
        listed = selectors.applications_visible_to(custodian)
        assert [(a.pk, a.program.organization.name, a.side.name, a.applicant.pk)
                for a in listed] == [(a.pk, "Bridges", "A", a.applicant.pk) for a in made]


def test_activity_at_the_same_time_newest_id_first_with_its_actor(
        org, alice, django_assert_num_queries):
    when = timezone.now()
    entries = [log(org, alice, "x", when) for _ in range(3)]
    log(OrganizationFactory(), alice, "x", when)
    expected = [(e.pk, "Alice") for e in reversed(entries)]
    with django_assert_num_queries(1):
        assert [(e.pk, e.actor.display_name) for e in selectors.activity_log(org)] == expected
    with django_assert_num_queries(1):
        assert [(e.pk, e.actor.display_name)
                for e in selectors.recent_activity(org)] == expected


# --- Orders by their first key, whatever the order of writing -------------------------------


def test_lists_order_by_their_first_key_not_by_writing(org, alice, bob, people):
    day, now = timezone.localdate(), timezone.now()
    later = program_with_sides("A", organization=org, starts_on=day + timedelta(days=5))
    sooner = program_with_sides("A", organization=org, starts_on=day + timedelta(days=1))
    assert pks(selectors.programs_open_for_applications()) == [sooner.pk, later.pk]
    side = later.sides.first()
    newer = ApplicationFactory(program=later, side=side, applicant=bob, created_at=now)
    older = ApplicationFactory(program=sooner, side=sooner.sides.first(), applicant=bob,
                               created_at=now - timedelta(days=1))
    assert pks(selectors.applications_visible_to(people["coordinator"])) == [
        older.pk, newer.pk]
    assert pks(selectors.applications_of(bob)) == [newer.pk, older.pk]
    aaron = MembershipFactory(organization=org, user=UserFactory(display_name="Aaron"))
    owner = Membership.objects.get(organization=org, user=alice)
    assert pks(selectors.organization_members(org))[:2] == [aaron.pk, owner.pk]


def test_catalogue_programs_starting_the_same_day_by_id(org):
    day = timezone.localdate()
    made = [ProgramFactory(organization=org, starts_on=day) for _ in range(3)]
    assert pks(selectors.catalogue_programs()) == [p.pk for p in made]


def test_parity_shares_whole_seats_only(org):
    program_with_sides("A", "B", organization=org, capacity=5)
    [listed] = selectors.catalogue_programs()
    total, sides = selectors.seats_left(listed)
    assert (total, [s.seats_left for s in sides]) == (4, [2, 2])


def test_rows_carry_their_organization_in_the_same_query(org, alice, django_assert_num_queries):
    ProgramFactory(organization=org, status="draft")
    with django_assert_num_queries(1):
        assert [p.organization.name for p in selectors.programs_staffed_by(alice)] == [
            "Bridges"]
    with django_assert_num_queries(1):
        assert selectors.membership_of(alice, org.slug).organization.name == "Bridges"


# --- What PostgreSQL does differently (claimed here on any database) ------------------------


@pytest.fixture
def as_postgresql(monkeypatch):
    """The selectors' vendor switch, on the test database: the tally must hold the counts
    (PostgreSQL's triggers keep it; here it is written from the rows). Only the
    selectors see PostgreSQL: the SQL they compile stays the test database's."""
    monkeypatch.setattr(selectors, "connection", _SeenAsPostgreSQL())


class _SeenAsPostgreSQL:
    vendor = "postgresql"

    def __getattr__(self, name):
        return getattr(connection, name)


def write_tally():
    ProgramTally.objects.all().delete()
    for program in Program.objects.all():
        row, _ = ProgramTally.objects.get_or_create(
            organization_id=program.organization_id, public=program.status in (
                "published", "closed"))
        row.programs += 1
        row.save()


def test_on_postgresql_program_lists_are_counted_by_the_tally(org, people, as_postgresql):
    ProgramFactory(organization=org, status="draft")
    ProgramFactory(organization=org)
    ProgramFactory(status="closed")
    write_tally()
    assert known_count(selectors.programs_visible_to(ANONYMOUS)) == 2
    assert known_count(selectors.programs_visible_to(people["coordinator"])) == 3
    assert known_count(selectors.catalogue_programs()) == 2
    ProgramTally.objects.update(programs=7)  # the tally, not the rows, answers
    assert known_count(selectors.catalogue_programs()) == 14


def test_on_postgresql_search_goes_through_the_indexed_expression(org, as_postgresql):
    found = ProgramFactory(organization=org, title="Bridges over the Nicosia line")
    ProgramFactory(organization=org, title="Bridges only")
    assert "COALESCE" in str(Program.objects.filter(selectors._word_in_texts("x")).query)
    assert pks(selectors.catalogue_programs(search="nicosia bridges")) == [found.pk]


def test_on_postgresql_the_catalogues_organizations_come_from_the_tally(org, as_postgresql):
    ProgramFactory(organization=org)
    drafting = ProgramFactory(status="draft").organization
    emptied = ProgramFactory(status="closed").organization
    only_tallied = OrganizationFactory()
    write_tally()
    ProgramTally.objects.filter(organization_id=emptied.pk).update(programs=0)
    ProgramTally.objects.create(organization_id=only_tallied.pk, public=True, programs=1)

    listed = list(selectors.catalogue_organizations())

    assert sorted(row.pk for row in listed) == sorted([org.pk, only_tallied.pk])
    assert drafting.pk not in [row.pk for row in listed]
    assert {row.slug for row in listed} == {org.slug, only_tallied.slug}
