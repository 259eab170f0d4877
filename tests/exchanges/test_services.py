"""The rules of organizations, programs and applications, at the service layer."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict
from exchanges import services
from exchanges.models import ActivityLog, Application, Membership, Program, Side
from exchanges.services import SideSpec
from participants.models import Notification
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


def sides(*names):
    return [SideSpec(name=n) for n in names]


def program_fields(**overrides):
    fields = {
        "title": "Listening circles", "kind": "dialogue", "starts_on": date(2027, 3, 1),
        "ends_on": date(2027, 6, 1), "capacity": 10, "balance": "parity",
    }
    return {**fields, **overrides}


def apply(program, side, **kwargs):
    return services.application_submit(program=program, side=side, applicant=UserFactory(),
                                       **kwargs)


def statuses(program):
    return list(program.applications.order_by("created_at", "id").values_list("status", flat=True))


# --- Organizations and members ------------------------------------------------------------


def test_organization_create_makes_the_creator_owner_and_logs_it(alice):
    org = services.organization_create(actor=alice, name="Bridges for Peace")
    assert org.slug == "bridges-for-peace"
    assert Membership.objects.get(organization=org).role == "owner"
    assert ActivityLog.objects.get(verb="organization.created").actor == alice


def test_organization_slug_made_unique(alice):
    services.organization_create(actor=alice, name="Bridges")
    second = services.organization_create(actor=alice, name="Bridges")
    assert second.slug == "bridges-2"


def join(org, inviter, person, role):
    """Invite and accept: the only way into an organization."""
    invitation = services.membership_invite(organization=org, actor=inviter,
                                            email=person.email, role=role)
    return services.invitation_accept(token=invitation.token, user=person)


def _slug_taken_after_the_check(monkeypatch, taken: str):
    """The first slug made is one another request took after it was found free."""
    from exchanges.services import organizations

    made = iter([taken])
    real = organizations._free_slug
    monkeypatch.setattr(organizations, "_free_slug", lambda name: next(made, None) or real(name))


def test_organization_slug_taken_meanwhile_moves_on_to_the_next(alice, monkeypatch):
    services.organization_create(actor=alice, name="Bridges")
    _slug_taken_after_the_check(monkeypatch, "bridges")

    second = services.organization_create(actor=alice, name="Bridges")

    assert second.slug == "bridges-2"
    assert Membership.objects.filter(user=alice).count() == 2
    assert ActivityLog.objects.filter(verb="organization.created").count() == 2


def test_organization_chosen_slug_taken_is_refused_naming_slug(alice, bob):
    services.organization_create(actor=alice, name="Bridges", slug="bridges")

    with pytest.raises(ValidationError) as error:
        services.organization_create(actor=bob, name="Other", slug="bridges")

    assert error.value.message_dict == {"slug": ["Organization with this Slug already exists."]}
    assert not Membership.objects.filter(user=bob).exists()


def test_membership_invite_refuses_unknown_role(org, alice, bob):
    with pytest.raises(ValidationError) as error:
        services.membership_invite(organization=org, actor=alice, email=bob.email, role="king")
    assert "role" in error.value.message_dict


def test_membership_invite_grants_nothing_and_keeps_the_address_as_given(org, alice, bob):
    invitation = services.membership_invite(organization=org, actor=alice,
                                            email=f" {bob.email.upper()}", role="facilitator")
    assert (invitation.status, invitation.user, invitation.email) == (
        "invited", None, bob.email)
    assert not Membership.objects.filter(user=bob).exists()
    assert ActivityLog.objects.filter(verb="membership.invited", organization=org).count() == 1


def test_invitation_accept_makes_the_member(org, alice, bob):
    membership = join(org, alice, bob, "facilitator")
    assert Membership.objects.get(organization=org, user=bob) == membership
    assert membership.role == "facilitator"


def test_sole_owner_cannot_be_demoted_or_removed(org, alice):
    membership = Membership.objects.get(organization=org, user=alice)
    with pytest.raises(Conflict) as error:
        services.membership_change_role(membership=membership, actor=alice, role="coordinator")
    assert error.value.code == "sole_owner"
    with pytest.raises(Conflict):
        services.membership_remove(membership=membership, actor=alice)
    assert Membership.objects.get(pk=membership.pk).role == "owner"


def test_owner_can_step_down_once_another_owner_exists(org, alice, bob):
    join(org, alice, bob, "owner")
    membership = Membership.objects.get(organization=org, user=alice)
    services.membership_change_role(membership=membership, actor=alice, role="coordinator")
    assert Membership.objects.get(pk=membership.pk).role == "coordinator"


# --- Programs ---------------------------------------------------------------------------------


def test_program_create_starts_as_draft_with_its_sides_and_a_log_entry(org, alice):
    program = services.program_create(organization=org, actor=alice,
                                      sides=sides("Greek Cypriot", "Turkish Cypriot"),
                                      **program_fields())
    assert program.status == "draft"
    assert list(program.sides.values_list("name", flat=True)) == ["Greek Cypriot",
                                                                  "Turkish Cypriot"]
    assert ActivityLog.objects.filter(verb="program.created", target_id=str(program.pk)).exists()


@pytest.mark.parametrize("bad,field", [
    ({"ends_on": date(2027, 2, 1)}, "ends_on"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 1}, "capacity"),  # parity with two sides needs at least two seats
    ({"kind": "picnic"}, "kind"),
    ({"title": ""}, "title"),
])
def test_program_create_refuses_bad_fields_naming_the_field(org, alice, bad, field):
    with pytest.raises(ValidationError) as error:
        services.program_create(organization=org, actor=alice, sides=sides("A", "B"),
                                **program_fields(**bad))
    assert field in error.value.message_dict
    assert not Program.objects.exists()


@pytest.mark.parametrize("names", [("Only",), ("Same", "same"), ("A", "  ")])
def test_program_create_refuses_bad_sides(org, alice, names):
    with pytest.raises(ValidationError) as error:
        services.program_create(organization=org, actor=alice, sides=sides(*names),
                                **program_fields())
    assert "sides" in error.value.message_dict
    assert not Program.objects.exists() and not Side.objects.exists()


def test_program_status_moves_draft_published_closed_archived(org, alice):
    program = program_with_sides(organization=org, status="draft")
    for step, expected in [(services.program_publish, "published"),
                           (services.program_close, "closed"),
                           (services.program_publish, "published"),
                           (services.program_close, "closed"),
                           (services.program_archive, "archived")]:
        program = step(program=program, actor=alice)
        assert program.status == expected
    assert ActivityLog.objects.filter(verb="program.archived").count() == 1


@pytest.mark.parametrize("status,step", [
    ("draft", services.program_close), ("draft", services.program_archive),
    ("published", services.program_publish), ("published", services.program_archive),
    ("archived", services.program_publish),
])
def test_program_status_refuses_other_moves(org, alice, status, step):
    program = program_with_sides(organization=org, status=status)
    with pytest.raises(Conflict) as error:
        step(program=program, actor=alice)
    assert error.value.code == "invalid_transition"
    program.refresh_from_db()
    assert program.status == status


def test_program_delete_only_while_draft(org, alice):
    published = program_with_sides(organization=org, status="published")
    with pytest.raises(Conflict):
        services.program_delete(program=published, actor=alice)
    draft = program_with_sides(organization=org, status="draft")
    services.program_delete(program=draft, actor=alice)
    assert list(Program.objects.all()) == [published]


def test_capacity_edit_cannot_leave_a_side_below_its_accepted(org, alice):
    program = program_with_sides(organization=org, capacity=6)
    north = program.sides.first()
    for _ in range(3):
        ApplicationFactory(program=program, side=north, status="accepted")
    with pytest.raises(ValidationError) as error:
        services.program_update(program=program, actor=alice, capacity=4)
    assert "capacity" in error.value.message_dict
    program.refresh_from_db()
    assert program.capacity == 6


def test_capacity_edit_under_none_cannot_go_below_accepted(org, alice):
    program = program_with_sides(organization=org, capacity=6, balance="none")
    north = program.sides.first()
    for _ in range(3):
        ApplicationFactory(program=program, side=north, status="accepted")
    with pytest.raises(ValidationError):
        services.program_update(program=program, actor=alice, capacity=2)
    services.program_update(program=program, actor=alice, capacity=3)


def test_sides_renamed_added_and_removed_on_update(org, alice):
    program = program_with_sides("North", "South", organization=org)
    north, south = program.sides.all()
    services.program_update(program=program, actor=alice, sides=[
        SideSpec(id=south.pk, name="North"), SideSpec(id=north.pk, name="South"),
        SideSpec(name="East")])
    assert {s.pk: s.name for s in program.sides.all()}[north.pk] == "South"
    assert list(program.sides.values_list("name", flat=True)) == ["North", "South", "East"]
    east = program.sides.get(name="East")
    services.program_update(program=program, actor=alice, sides=[
        SideSpec(id=north.pk, name="South"), SideSpec(id=south.pk, name="North")])
    assert not Side.objects.filter(pk=east.pk).exists()


def test_side_with_applications_cannot_be_removed(org, alice):
    program = program_with_sides("North", "South", "East", organization=org)
    north, south, east = program.sides.all()
    ApplicationFactory(program=program, side=east)
    with pytest.raises(Conflict) as error:
        services.program_update(program=program, actor=alice, sides=[
            SideSpec(id=north.pk, name="North"), SideSpec(id=south.pk, name="South")])
    assert error.value.code == "side_has_applications"
    assert program.sides.count() == 3


def test_side_of_another_program_cannot_be_renamed_through_this_one(org, alice):
    program = program_with_sides(organization=org)
    foreign = program_with_sides().sides.first()
    with pytest.raises(ValidationError) as error:
        services.program_update(program=program, actor=alice, sides=[
            SideSpec(id=foreign.pk, name="Mine now"), SideSpec(name="Other")])
    assert "sides" in error.value.message_dict
    foreign.refresh_from_db()
    assert foreign.name != "Mine now"


# --- Applications -------------------------------------------------------------------------------


def test_apply_writes_pending_application_notice_and_log(org):
    program = program_with_sides(organization=org)
    side = program.sides.first()
    application = apply(program, side, motivation="  To listen.  ")
    assert application.status == "pending"
    assert application.motivation == "To listen."
    notice = Notification.objects.get()
    assert (notice.kind, notice.dedupe_key, notice.recipient) == (
        "application_received", f"application_received:{application.pk}", application.applicant)
    assert ActivityLog.objects.filter(verb="application.submitted").count() == 1


def test_apply_twice_is_refused_even_after_withdrawing(org, bob):
    program = program_with_sides(organization=org)
    side = program.sides.first()
    application = services.application_submit(program=program, side=side, applicant=bob)
    services.application_withdraw(application=application, actor=bob)
    with pytest.raises(Conflict) as error:
        services.application_submit(program=program, side=side, applicant=bob)
    assert error.value.code == "already_applied"


@pytest.mark.parametrize("status", ["draft", "closed", "archived"])
def test_apply_to_a_program_not_published_is_refused(org, status):
    program = program_with_sides(organization=org, status=status)
    with pytest.raises(Conflict) as error:
        apply(program, program.sides.first())
    assert error.value.code == "not_open"
    assert not Application.objects.exists()


def test_apply_after_the_deadline_is_refused(org):
    program = program_with_sides(organization=org,
                                 applications_close_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as error:
        apply(program, program.sides.first())
    assert error.value.code == "not_open"


def test_apply_for_a_side_of_another_program_is_refused(org):
    program = program_with_sides(organization=org)
    foreign = program_with_sides().sides.first()
    with pytest.raises(ValidationError) as error:
        apply(program, foreign)
    assert "side" in error.value.message_dict


def test_parity_gives_each_side_capacity_divided_by_sides(org, alice):
    program = program_with_sides("A", "B", "C", organization=org, capacity=10)
    assert [s.seats for s in services.side_seats(program)] == [3, 3, 3]
    a = program.sides.first()
    apps = [ApplicationFactory(program=program, side=a) for _ in range(4)]
    for application in apps[:3]:
        services.application_accept(application=application, actor=alice)
    with pytest.raises(Conflict) as error:
        services.application_accept(application=apps[3], actor=alice)
    assert error.value.code == "side_full"
    assert statuses(program) == ["accepted", "accepted", "accepted", "pending"]


def test_capacity_full_under_none(org, alice):
    program = program_with_sides(organization=org, capacity=2, balance="none")
    a = program.sides.first()
    apps = [ApplicationFactory(program=program, side=a) for _ in range(3)]
    services.application_accept(application=apps[0], actor=alice)
    services.application_accept(application=apps[1], actor=alice)
    with pytest.raises(Conflict) as error:
        services.application_accept(application=apps[2], actor=alice)
    assert error.value.code == "capacity_full"


@pytest.mark.parametrize("start,step,end", [
    ("pending", "accept", "accepted"), ("pending", "waitlist", "waitlisted"),
    ("pending", "decline", "declined"), ("waitlisted", "accept", "accepted"),
    ("waitlisted", "decline", "declined"), ("accepted", "decline", "declined"),
])
def test_allowed_transitions(org, alice, start, step, end):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first(), status=start)
    result = getattr(services, f"application_{step}")(application=application, actor=alice)
    assert result.status == end
    assert result.decided_at is not None


@pytest.mark.parametrize("start,step", [
    ("accepted", "accept"), ("accepted", "waitlist"), ("waitlisted", "waitlist"),
    ("declined", "accept"), ("declined", "waitlist"), ("withdrawn", "accept"),
    ("withdrawn", "decline"),
])
def test_other_transitions_are_refused(org, alice, start, step):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first(), status=start)
    with pytest.raises(Conflict) as error:
        getattr(services, f"application_{step}")(application=application, actor=alice)
    assert error.value.code == "invalid_transition"
    application.refresh_from_db()
    assert application.status == start


def test_withdrawing_twice_is_refused(org, bob):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first(), applicant=bob)
    services.application_withdraw(application=application, actor=bob)
    with pytest.raises(Conflict):
        services.application_withdraw(application=application, actor=bob)


def test_withdrawn_accepted_seat_goes_to_oldest_waitlisted_of_the_same_side(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=2)
    a, b = program.sides.all()
    now = timezone.now()
    seated = ApplicationFactory(program=program, side=a, status="accepted",
                                created_at=now - timedelta(days=5))
    other_side = ApplicationFactory(program=program, side=b, status="waitlisted",
                                    created_at=now - timedelta(days=4))
    older = ApplicationFactory(program=program, side=a, status="waitlisted",
                               created_at=now - timedelta(days=3))
    newer = ApplicationFactory(program=program, side=a, status="waitlisted",
                               created_at=now - timedelta(days=2))
    services.application_withdraw(application=seated, actor=seated.applicant)
    for application in (other_side, older, newer):
        application.refresh_from_db()
    assert (older.status, newer.status, other_side.status) == (
        "accepted", "waitlisted", "waitlisted")
    assert Notification.objects.filter(kind="application_promoted").get().recipient == \
        older.applicant
    assert ActivityLog.objects.filter(verb="application.promoted").count() == 1


def test_declining_an_accepted_application_promotes_under_none_from_any_side(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=1, balance="none")
    a, b = program.sides.all()
    seated = ApplicationFactory(program=program, side=a, status="accepted")
    waiting = ApplicationFactory(program=program, side=b, status="waitlisted")
    services.application_decline(application=seated, actor=alice)
    waiting.refresh_from_db()
    assert waiting.status == "accepted"


def test_raising_capacity_promotes_the_waitlist_in_order(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=2)
    a, b = program.sides.all()
    ApplicationFactory(program=program, side=a, status="accepted")
    ApplicationFactory(program=program, side=b, status="accepted")
    now = timezone.now()
    first = ApplicationFactory(program=program, side=a, status="waitlisted",
                               created_at=now - timedelta(hours=3))
    second = ApplicationFactory(program=program, side=a, status="waitlisted",
                                created_at=now - timedelta(hours=2))
    services.program_update(program=program, actor=alice, capacity=4)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "waitlisted")


def test_every_decision_writes_one_notice_with_its_dedupe_key(org, alice):
    program = program_with_sides(organization=org, capacity=2)
    side = program.sides.first()
    application = apply(program, side)
    services.application_waitlist(application=application, actor=alice)
    services.application_accept(application=application, actor=alice)
    services.application_decline(application=application, actor=alice)
    keys = sorted(Notification.objects.values_list("dedupe_key", flat=True))
    assert keys == sorted(f"{kind}:{application.pk}" for kind in (
        "application_received", "application_waitlisted", "application_accepted",
        "application_declined"))


def test_decisions_on_an_archived_program_are_refused(org, alice):
    program = program_with_sides(organization=org, status="archived")
    application = ApplicationFactory(program=program, side=program.sides.first())
    with pytest.raises(Conflict) as error:
        services.application_accept(application=application, actor=alice)
    assert error.value.code == "invalid_transition"


def test_one_freed_seat_promotes_one_application(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=3, balance="none")
    a = program.sides.first()
    seated = ApplicationFactory(program=program, side=a, status="accepted")
    ApplicationFactory(program=program, side=a, status="waitlisted")
    ApplicationFactory(program=program, side=a, status="waitlisted")
    services.application_decline(application=seated, actor=alice)
    assert statuses(program) == ["declined", "accepted", "waitlisted"]


def test_leaving_parity_fills_the_seats_it_opens(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=4)
    a = program.sides.first()
    ApplicationFactory(program=program, side=a, status="accepted")
    ApplicationFactory(program=program, side=a, status="accepted")
    waiting = ApplicationFactory(program=program, side=a, status="waitlisted")
    services.program_update(program=program, actor=alice, balance="none")
    waiting.refresh_from_db()
    assert waiting.status == "accepted"


@pytest.mark.parametrize("role", ["facilitator", None])
def test_only_owners_and_coordinators_decide_and_edit(org, role):
    actor = UserFactory()
    if role:
        MembershipFactory(organization=org, user=actor, role=role)
    program = program_with_sides(organization=org, status="draft")
    application = ApplicationFactory(program=program, side=program.sides.first())
    for step in (lambda: services.application_accept(application=application, actor=actor),
                 lambda: services.program_publish(program=program, actor=actor),
                 lambda: services.program_update(program=program, actor=actor, capacity=20),
                 lambda: services.program_create(organization=org, actor=actor,
                                                 sides=sides("A", "B"), **program_fields())):
        with pytest.raises(PermissionDenied):
            step()
    application.refresh_from_db()
    program.refresh_from_db()
    assert (application.status, program.status, program.capacity) == ("pending", "draft", 10)


def test_only_owners_manage_members(org, alice, bob):
    join(org, alice, bob, "coordinator")
    with pytest.raises(PermissionDenied):
        services.membership_invite(organization=org, actor=bob, email="x@example.org",
                                   role="owner")
    with pytest.raises(PermissionDenied):
        services.organization_update(organization=org, actor=bob, require_two_factor=True)


def test_only_the_applicant_withdraws(org, alice):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first())
    with pytest.raises(PermissionDenied):
        services.application_withdraw(application=application, actor=alice)
    application.refresh_from_db()
    assert application.status == "pending"
