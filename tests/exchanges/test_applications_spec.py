"""Applications and seats, rule by rule, so that a service that breaks one fails here."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from core.errors import Conflict
from exchanges import services
from exchanges.models import ActivityLog, Application
from exchanges.services import applications
from exchanges.signals import application_status_changed
from participants.models import Notification
from tests.factories import ApplicationFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db

# Measured: lock, read, decide, promote, notices, log, reminders re-planned, and one
# read of the program's evaluation (the promoted person is invited to an open survey
# wave; dialogues.evaluation.invitations.application_changed). A relation no longer
# fetched with its rows shows up here as one more query.
QUERIES_FOR_A_DECLINE_WITH_PROMOTION = 26


def notices(application):
    return list(Notification.objects.filter(recipient=application.applicant)
                .values_list("kind", flat=True))


def reload(*applications):
    return [Application.objects.get(pk=a.pk).status for a in applications]


# --- Applying -------------------------------------------------------------------------------


def test_a_motivation_over_its_limit_is_refused_naming_the_field(org):
    program = program_with_sides(organization=org)
    with pytest.raises(ValidationError) as error:
        services.application_submit(program=program, side=program.sides.first(),
                                    applicant=UserFactory(), motivation="x" * 4001)
    assert "motivation" in error.value.message_dict
    assert not Application.objects.exists()
    assert not Notification.objects.exists()


def test_a_motivation_at_its_limit_is_kept(org):
    program = program_with_sides(organization=org)
    application = services.application_submit(
        program=program, side=program.sides.first(), applicant=UserFactory(),
        motivation="x" * 4000)
    assert len(Application.objects.get(pk=application.pk).motivation) == 4000


def test_a_duplicate_caught_by_the_database_is_already_applied(org, monkeypatch):
    # Two submissions racing past the existence check: the unique constraint decides.
    program = program_with_sides(organization=org)

    def duplicate(self, *args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: program, applicant")

    monkeypatch.setattr(Application, "save", duplicate)
    with pytest.raises(Conflict) as error:
        services.application_submit(program=program, side=program.sides.first(),
                                    applicant=UserFactory())
    assert (error.value.code, error.value.message) == (
        "already_applied", "You have already applied to this program.")
    assert not Notification.objects.exists()


def test_an_application_without_motivation_has_none(org):
    program = program_with_sides(organization=org)
    application = services.application_submit(program=program, side=program.sides.first(),
                                              applicant=UserFactory())
    assert Application.objects.get(pk=application.pk).motivation == ""


def test_one_application_per_person_and_program_not_per_person_or_program(org):
    first, second = program_with_sides(organization=org), program_with_sides(organization=org)
    person, other = UserFactory(), UserFactory()
    for program, applicant in ((first, person), (second, person), (first, other)):
        services.application_submit(program=program, side=program.sides.first(),
                                    applicant=applicant)
    assert Application.objects.count() == 3


@pytest.mark.parametrize(("setup", "code", "message"), [
    ("twice", "already_applied", "You have already applied to this program."),
    ("draft", "not_open", "This program is not open for applications."),
])
def test_refusals_to_apply_say_why(org, setup, code, message):
    program = program_with_sides(organization=org,
                                 status="draft" if setup == "draft" else "published")
    applicant = UserFactory()
    if setup == "twice":
        ApplicationFactory(program=program, side=program.sides.first(), applicant=applicant)
    with pytest.raises(Conflict) as error:
        services.application_submit(program=program, side=program.sides.first(),
                                    applicant=applicant)
    assert (error.value.code, error.value.message) == (code, message)


def test_a_side_of_another_program_is_refused_with_the_rule(org):
    program = program_with_sides(organization=org)
    with pytest.raises(ValidationError) as error:
        services.application_submit(program=program, side=program_with_sides().sides.first(),
                                    applicant=UserFactory())
    assert error.value.message_dict == {"side": ["Choose one of this program's sides."]}


def test_applying_and_withdrawing_take_a_bounded_number_of_queries(
        org, django_assert_max_num_queries):
    # Validation skips the relations it was given and the constraints the service
    # checks itself; each of those would cost a query.
    program = program_with_sides(organization=org)
    side, applicant = program.sides.first(), UserFactory()
    with django_assert_max_num_queries(12):
        application = services.application_submit(program=program, side=side,
                                                  applicant=applicant)
    with django_assert_max_num_queries(8):
        services.application_withdraw(application=application, actor=applicant)


def test_applying_logs_the_side_and_the_organization(org):
    program = program_with_sides(organization=org)
    side = program.sides.last()
    applicant = UserFactory()
    application = services.application_submit(program=program, side=side, applicant=applicant)
    entry = ActivityLog.objects.get(verb="application.submitted")
    assert (entry.actor, entry.organization_id, entry.target_id, entry.data) == (
        applicant, org.pk, str(application.pk), {"side": side.pk})


def test_the_received_notice_names_the_application_and_program(org):
    program = program_with_sides(organization=org)
    application = services.application_submit(program=program, side=program.sides.first(),
                                              applicant=UserFactory())
    notice = Notification.objects.get()
    assert (notice.recipient_id, notice.organization_id, notice.context) == (
        application.applicant_id, org.pk,
        {"application": application.pk, "program": program.pk})


# --- Withdrawing ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "waitlisted", "accepted"])
def test_withdrawing_sends_the_applicant_no_notice(org, status):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first(), status=status)
    services.application_withdraw(application=application, actor=application.applicant)
    assert reload(application) == ["withdrawn"]
    assert not Notification.objects.exists()
    entry = ActivityLog.objects.get(verb="application.withdrawn")
    assert (entry.actor, entry.data) == (
        application.applicant, {"from": status, "side": application.side_id})


def test_withdrawing_twice_says_it_is_already_withdrawn(org):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     status="withdrawn")
    with pytest.raises(Conflict) as error:
        services.application_withdraw(application=application, actor=application.applicant)
    assert (error.value.code, error.value.message) == (
        "invalid_transition", "This application is already withdrawn.")


def test_a_seat_freed_by_withdrawing_is_logged_as_given_by_the_one_who_left(org):
    program = program_with_sides("A", "B", organization=org, capacity=2)
    a = program.sides.first()
    seated = ApplicationFactory(program=program, side=a, status="accepted")
    waiting = ApplicationFactory(program=program, side=a, status="waitlisted")
    services.application_withdraw(application=seated, actor=seated.applicant)
    assert reload(waiting) == ["accepted"]
    promoted = ActivityLog.objects.get(verb="application.promoted")
    assert promoted.actor == seated.applicant


def test_withdrawing_a_seat_not_taken_promotes_nobody(org):
    # A free seat with a waitlist happens when coordinators waitlist on purpose; only a
    # freed seat (an accepted application leaving) promotes automatically.
    program = program_with_sides("A", "B", organization=org, capacity=4)
    a = program.sides.first()
    waiting = ApplicationFactory(program=program, side=a, status="waitlisted")
    pending = ApplicationFactory(program=program, side=a, status="pending")
    services.application_withdraw(application=pending, actor=pending.applicant)
    assert reload(waiting) == ["waitlisted"]


def test_withdrawing_records_when_it_happened(org):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     status="accepted")
    before = timezone.now()
    services.application_withdraw(application=application, actor=application.applicant)
    application.refresh_from_db()
    assert application.decided_at >= before


def test_only_the_applicant_may_withdraw_even_staff(org, alice):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first())
    with pytest.raises(PermissionDenied,
                       match=r"^Only the applicant can withdraw an application\.$"):
        services.application_withdraw(application=application, actor=alice)
    assert reload(application) == ["pending"]


# --- Deciding -------------------------------------------------------------------------------


def test_a_decision_is_saved_with_its_time_notice_log_and_signal(org, alice):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first())
    heard = []

    def listener(sender, application, previous_status, **kwargs):
        heard.append((sender, application.pk, application.status, previous_status))

    application_status_changed.connect(listener)
    try:
        before = timezone.now()
        services.application_waitlist(application=application, actor=alice)
    finally:
        application_status_changed.disconnect(listener)
    stored = Application.objects.get(pk=application.pk)
    assert stored.status == "waitlisted"
    assert before <= stored.decided_at <= timezone.now()
    assert heard == [(Application, application.pk, "waitlisted", "pending")]
    assert notices(application) == ["application_waitlisted"]
    entry = ActivityLog.objects.get(verb="application.waitlisted")
    assert (entry.actor, entry.organization_id, entry.target_type, entry.target_id) == (
        alice, org.pk, "application", str(application.pk))
    assert entry.data == {"from": "pending", "side": application.side_id}


def test_a_refused_transition_says_what_cannot_become_what(org, alice):
    program = program_with_sides(organization=org)
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     status="declined")
    with pytest.raises(Conflict) as error:
        services.application_accept(application=application, actor=alice)
    assert error.value.message == "A declined application cannot become accepted."
    assert not Notification.objects.exists()


def test_declining_a_waitlisted_application_promotes_nobody(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=4)
    a = program.sides.first()
    older = ApplicationFactory(program=program, side=a, status="waitlisted",
                               created_at=timezone.now() - timedelta(days=1))
    newer = ApplicationFactory(program=program, side=a, status="waitlisted")
    services.application_decline(application=newer, actor=alice)
    assert reload(older, newer) == ["waitlisted", "declined"]


def test_declining_an_accepted_seat_under_parity_promotes_only_from_its_side(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=2)
    a, b = program.sides.all()
    seated = ApplicationFactory(program=program, side=a, status="accepted")
    other_side = ApplicationFactory(program=program, side=b, status="waitlisted",
                                    created_at=timezone.now() - timedelta(days=2))
    same_side = ApplicationFactory(program=program, side=a, status="waitlisted")
    services.application_decline(application=seated, actor=alice)
    assert reload(same_side, other_side) == ["accepted", "waitlisted"]
    assert notices(same_side) == ["application_promoted"]
    promoted = ActivityLog.objects.get(verb="application.promoted")
    assert (promoted.actor, promoted.data) == (alice, {"from": "waitlisted", "side": a.pk})


def test_promotion_waits_its_turn_in_order_of_application_then_id(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=2, balance="none")
    a = program.sides.first()
    seated = ApplicationFactory(program=program, side=a, status="accepted")
    same_time = timezone.now() - timedelta(days=1)
    first = ApplicationFactory(program=program, side=a, status="waitlisted", created_at=same_time)
    second = ApplicationFactory(program=program, side=a, status="waitlisted",
                                created_at=same_time)
    ApplicationFactory(program=program, side=a, status="accepted")
    services.application_decline(application=seated, actor=alice)
    assert reload(first, second) == ["accepted", "waitlisted"]


def test_promotion_goes_by_application_time_not_by_id(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=1, balance="none")
    a = program.sides.first()
    seated = ApplicationFactory(program=program, side=a, status="accepted")
    younger = ApplicationFactory(program=program, side=a, status="waitlisted")
    older = ApplicationFactory(program=program, side=a, status="waitlisted",
                               created_at=timezone.now() - timedelta(days=3))
    services.application_decline(application=seated, actor=alice)
    assert reload(older, younger) == ["accepted", "waitlisted"]


def test_other_programs_neither_take_seats_nor_get_promoted(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=1, balance="none")
    other = program_with_sides("A", "B", organization=org, capacity=5, balance="none")
    for _ in range(2):
        ApplicationFactory(program=other, side=other.sides.first(), status="accepted")
    elsewhere = ApplicationFactory(program=other, side=other.sides.first(), status="waitlisted",
                                   created_at=timezone.now() - timedelta(days=9))
    seated = ApplicationFactory(program=program, side=program.sides.first(), status="accepted")
    services.application_decline(application=seated, actor=alice)
    assert reload(elsewhere) == ["waitlisted"]
    newcomer = ApplicationFactory(program=program, side=program.sides.last())
    services.application_accept(application=newcomer, actor=alice)
    assert reload(newcomer) == ["accepted"]


def test_raising_the_capacity_fills_every_seat_it_opens(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=2, balance="none")
    a = program.sides.first()
    ApplicationFactory.create_batch(2, program=program, side=a, status="accepted")
    waiting = [ApplicationFactory(program=program, side=a, status="waitlisted")
               for _ in range(3)]
    services.program_update(program=program, actor=alice, capacity=4)
    assert reload(*waiting) == ["accepted", "accepted", "waitlisted"]


def test_a_decision_with_a_promotion_takes_a_bounded_number_of_queries(
        org, alice, django_assert_max_num_queries):
    program = program_with_sides("A", "B", organization=org, capacity=2)
    a = program.sides.first()
    seated = ApplicationFactory(program=program, side=a, status="accepted")
    ApplicationFactory(program=program, side=a, status="waitlisted")
    with django_assert_max_num_queries(QUERIES_FOR_A_DECLINE_WITH_PROMOTION):
        services.application_decline(application=seated, actor=alice)


def test_a_freed_seat_stays_free_when_the_program_is_still_full(org, alice):
    # Capacity lowered below the accepted count: one leaving does not open a seat.
    program = program_with_sides("A", "B", organization=org, capacity=3, balance="none")
    a = program.sides.first()
    seated = [ApplicationFactory(program=program, side=a, status="accepted") for _ in range(3)]
    waiting = ApplicationFactory(program=program, side=a, status="waitlisted")
    program.capacity = 2
    program.save()
    services.application_decline(application=seated[0], actor=alice)
    assert reload(waiting) == ["waitlisted"]


def test_accepting_the_last_seat_of_a_side_is_allowed_and_the_next_is_not(org, alice):
    program = program_with_sides("A", "B", organization=org, capacity=4)
    a, b = program.sides.all()
    ApplicationFactory(program=program, side=a, status="accepted")
    ApplicationFactory(program=program, side=b, status="accepted")
    last, extra = (ApplicationFactory(program=program, side=a) for _ in range(2))
    services.application_accept(application=last, actor=alice)
    with pytest.raises(Conflict) as error:
        services.application_accept(application=extra, actor=alice)
    assert (error.value.code, error.value.message) == (
        "side_full", "This side is full. Waitlist the application instead.")


def test_the_program_full_message_names_the_rule(org, alice):
    program = program_with_sides(organization=org, capacity=1, balance="none")
    a = program.sides.first()
    ApplicationFactory(program=program, side=a, status="accepted")
    application = ApplicationFactory(program=program, side=a)
    with pytest.raises(Conflict) as error:
        services.application_accept(application=application, actor=alice)
    assert (error.value.code, error.value.message) == ("capacity_full", "The program is full.")


# --- Seats ----------------------------------------------------------------------------------


def test_a_side_is_full_exactly_when_its_accepted_reach_its_seats(org):
    program = program_with_sides("A", "B", organization=org, capacity=4)
    a, b = program.sides.all()
    ApplicationFactory.create_batch(2, program=program, side=a, status="accepted")
    ApplicationFactory(program=program, side=b, status="accepted")
    full, open_ = services.side_seats(program)
    assert (full.seats, full.accepted, full.is_full) == (2, 2, True)
    assert (open_.seats, open_.accepted, open_.is_full) == (2, 1, False)


def test_side_seats_count_each_status_per_side(org):
    program = program_with_sides("A", "B", organization=org, capacity=10, balance="none")
    a, b = program.sides.all()
    for status, count in (("accepted", 3), ("waitlisted", 2), ("pending", 1), ("declined", 4)):
        ApplicationFactory.create_batch(count, program=program, side=a, status=status)
    ApplicationFactory(program=program, side=b, status="pending")
    seats_a, seats_b = services.side_seats(program)
    assert (seats_a.side, seats_a.seats, seats_a.accepted, seats_a.waitlisted,
            seats_a.pending) == (a, 10, 3, 2, 1)
    assert (seats_b.side, seats_b.accepted, seats_b.waitlisted, seats_b.pending) == (b, 0, 0, 1)


def test_seats_of_sides_already_fetched_cost_one_query(org, django_assert_num_queries):
    program = program_with_sides("A", "B", organization=org)
    sides = list(program.sides.all())
    with django_assert_num_queries(1):
        services.side_seats(program, sides)


def test_parity_divides_the_capacity_by_the_number_of_sides_rounding_down(org):
    program = program_with_sides("A", "B", "C", organization=org, capacity=11)
    assert [seats.seats for seats in services.side_seats(program)] == [3, 3, 3]


def test_seats_per_side_divides_under_parity_only(org):
    program = program_with_sides(organization=org, capacity=7)
    assert applications.seats_per_side(program, 2) == 3
    program.balance = "none"
    assert applications.seats_per_side(program, 2) == 7


def test_seats_that_parity_leaves_empty_are_the_remainder_of_the_division(org):
    program = program_with_sides(organization=org, capacity=7)
    assert [applications.unfillable_seats(program, sides) for sides in (1, 2, 3, 7)] == [
        0, 1, 1, 0]
    assert applications.unfillable_seats(program, 0) == 0  # no side yet: nothing to say
    program.balance = "none"
    assert applications.unfillable_seats(program, 2) == 0


# --- Minors: the guardian's consent ---------------------------------------------------------


@pytest.fixture
def youth(org):
    """Asks a guardian's consent under 16 on its first day."""
    starts = date(2031, 6, 1)
    return program_with_sides(organization=org, starts_on=starts,
                              ends_on=starts + timedelta(days=14), guardian_consent_under=16)


def a_minor():
    return UserFactory(birth_date=date(2017, 6, 1))  # 14 on the first day


def test_a_minor_who_names_no_guardian_is_told_to(youth):
    with pytest.raises(ValidationError) as error:
        services.application_submit(program=youth, side=youth.sides.first(),
                                    applicant=a_minor())
    assert error.value.message_dict == {"guardian_email": [
        "You are younger than 16 on the program's first day: give the email address of a "
        "parent or guardian, who will be asked to consent."]}
    assert not Application.objects.exists()


def test_a_minor_s_application_asks_the_guardian_at_once(youth):
    minor = a_minor()

    application = services.application_submit(
        program=youth, side=youth.sides.first(), applicant=minor,
        guardian_email=" Parent@Example.NET ")

    stored = Application.objects.get(pk=application.pk)
    assert (stored.guardian_email, stored.guardian_consent) == ("parent@example.net",
                                                                 "pending")
    [request] = Notification.objects.filter(kind="guardian_consent_request")
    assert (request.recipient_email, request.context) == (
        "parent@example.net", {"application": application.pk, "program": youth.pk})


def test_a_minor_cannot_name_themselves_as_guardian(youth):
    minor = a_minor()
    with pytest.raises(ValidationError) as error:
        services.application_submit(program=youth, side=youth.sides.first(), applicant=minor,
                                    guardian_email=minor.email.upper())
    assert error.value.message_dict == {"guardian_email": [
        "Give your guardian's address, not your own."]}


def test_an_adult_s_guardian_address_is_not_kept(youth):
    adult = UserFactory(birth_date=date(2001, 6, 1))
    application = services.application_submit(program=youth, side=youth.sides.first(),
                                              applicant=adult, guardian_email="p@example.net")
    assert Application.objects.get(pk=application.pk).guardian_email == ""
    assert not Notification.objects.filter(kind="guardian_consent_request").exists()


def test_a_waitlisted_minor_whose_guardian_consented_is_promoted_one_still_waiting_is_not(
        org, alice, youth):
    youth.capacity, youth.balance = 1, "none"
    youth.save()
    side = youth.sides.first()
    seated = ApplicationFactory(program=youth, side=side, status="accepted")
    waiting = ApplicationFactory(program=youth, side=side, status="waitlisted",
                                 guardian_consent="pending",
                                 created_at=timezone.now() - timedelta(days=2))
    consented = ApplicationFactory(program=youth, side=side, status="waitlisted",
                                   guardian_consent="given",
                                   created_at=timezone.now() - timedelta(days=1))

    services.application_decline(application=seated, actor=alice)

    assert reload(waiting, consented) == ["waitlisted", "accepted"]
