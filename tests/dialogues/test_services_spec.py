"""The session services' rules, each written so that a service that breaks it fails here:
the exact refusal (code and message a person reads), the log row it writes, and the
boundaries of its counts."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from core.errors import Conflict
from dialogues import services
from dialogues.models import (
    RSVP,
    CalendarFeed,
    DialogueGroup,
    GroupMember,
    GroupRound,
    Session,
)
from dialogues.reminders import services as reminders
from exchanges.models import ActivityLog
from participants.models import Notification
from tests.factories import RSVPFactory, SessionFactory, accepted_participant, program_with_sides

pytestmark = pytest.mark.django_db


def fields(**overrides):
    start = timezone.now() + dt.timedelta(days=10)
    base = {"title": "Listening circle", "format": "storytelling", "starts_at": start,
            "ends_at": start + dt.timedelta(hours=2), "timezone": "Asia/Nicosia",
            "location": "Ledra Palace", "confidentiality": "open"}
    return base | overrides


def create(program, actor, **overrides):
    return services.session_create(program=program, actor=actor, **fields(**overrides))


def logged(verb: str) -> ActivityLog:
    return ActivityLog.objects.get(verb=verb)


def say_yes(session, count: int) -> list:
    people = [accepted_participant(session.program) for _ in range(count)]
    for person in people:
        services.rsvp_respond(session=session, participant=person, response="yes")
    return people


# --- capacity against those who said yes ---


def test_capacity_may_equal_the_number_who_said_yes(program, alice):
    session = create(program, alice)
    say_yes(session, 2)
    services.session_update(session=session, actor=alice, capacity=2)
    session.refresh_from_db()
    assert session.capacity == 2


def test_capacity_counts_only_this_sessions_yes_answers(program, alice):
    session = create(program, alice)
    other = create(program, alice)
    say_yes(other, 2)
    say_yes(session, 1)
    RSVPFactory(session=session, participant=accepted_participant(program), response="no")
    services.session_update(session=session, actor=alice, capacity=1)
    session.refresh_from_db()
    assert session.capacity == 1


def test_capacity_below_yes_names_the_count(program, alice):
    session = create(program, alice)
    say_yes(session, 2)
    with pytest.raises(ValidationError) as err:
        services.session_update(session=session, actor=alice, capacity=1)
    assert err.value.message_dict == {"capacity": [
        "The capacity cannot be below the number who already said yes (2)."]}


# --- who may change a session ---


def test_a_facilitator_of_another_session_is_told_only_staff_may_change_it(
        program, alice, facilitator):
    session = create(program, alice)
    with pytest.raises(PermissionDenied) as err:
        services.session_update(session=session, actor=facilitator, ground_rules="Mine")
    assert str(err.value) == "Only the program's staff can change this session."


def test_a_facilitator_is_told_they_may_change_only_the_ground_rules(
        program, alice, facilitator):
    session = create(program, alice, facilitators=[facilitator])
    with pytest.raises(PermissionDenied) as err:
        services.session_update(session=session, actor=facilitator, title="Mine")
    assert str(err.value) == "Facilitators can change only the ground rules."
    with pytest.raises(PermissionDenied):
        services.session_update(session=session, actor=facilitator, facilitators=[])


# --- the log of an update ---


def test_an_update_logs_the_fields_it_was_given_and_no_facilitators_when_none_given(
        program, alice):
    session = create(program, alice)
    services.session_update(session=session, actor=alice, title="New", location="Here")
    assert logged("session.updated").data == {"fields": ["location", "title"]}


def test_an_update_of_facilitators_logs_them(program, alice, facilitator):
    session = create(program, alice)
    services.session_update(session=session, actor=alice, facilitators=[facilitator])
    assert logged("session.updated").data == {"fields": [], "facilitators": [facilitator.pk]}


# --- attendee export ---


def test_the_attendee_list_of_a_confidential_session_is_not_exported(
        program, alice):
    session = create(program, alice, confidentiality="chatham_house")
    with pytest.raises(Conflict) as err:
        services.attendees_export(session=session, actor=alice)
    assert err.value.code == "confidential"
    assert err.value.message == ("The attendee list of a confidential session cannot be "
                                 "exported.")
    assert not ActivityLog.objects.filter(verb="session.attendees_exported").exists()


def test_an_attendee_export_is_logged_with_who_what_and_where(program, alice):
    session = create(program, alice)
    services.attendees_export(session=session, actor=alice)
    log = logged("session.attendees_exported")
    assert (log.actor, log.target_type, log.target_id, log.organization_id) == (
        alice, "session", str(session.pk), program.organization_id)


# --- calendar feeds ---


def test_a_calendar_feed_is_created_once_and_logged_once_by_its_owner(bob):
    first = services.calendar_feed_get_or_create(user=bob)
    again = services.calendar_feed_get_or_create(user=bob)
    assert first.pk == again.pk
    log = logged("calendar_feed.created")
    assert (log.actor, log.target_type, log.organization_id) == (bob, "", None)


def test_revoking_a_calendar_feed_gives_it_a_new_token_and_is_logged(bob):
    feed = services.calendar_feed_get_or_create(user=bob)
    revoked = services.calendar_feed_revoke(user=bob)
    assert revoked.pk == feed.pk
    assert CalendarFeed.objects.get(pk=feed.pk).token == revoked.token != feed.token
    log = logged("calendar_feed.revoked")
    assert (log.actor, log.target_type) == (bob, "")


# --- list errors ---


def test_item_errors_say_nothing_was_changed(program, alice, participant):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    with pytest.raises(services.ItemErrors) as err:
        services.attendance_mark(session=session, actor=alice,
                                 marks=[{"participant": participant.pk, "attended": "yes"}])
    assert err.value.messages == ["Some rows could not be saved; nothing was changed."]
    assert err.value.items == [{"attended": ["Give true, false or null."]}]
    assert RSVP.objects.get(session=session).attended is None



# --- the refusals a person reads ---


def test_a_cancelled_session_cannot_be_changed(program, alice):
    session = create(program, alice)
    services.session_cancel(session=session, actor=alice)
    with pytest.raises(Conflict) as err:
        services.session_update(session=session, actor=alice, title="Again")
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "A cancelled session cannot be changed.")


def test_only_a_scheduled_session_can_be_cancelled(program, alice):
    session = create(program, alice)
    services.session_cancel(session=session, actor=alice)
    with pytest.raises(Conflict) as err:
        services.session_cancel(session=session, actor=alice)
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "Only a scheduled session can be cancelled.")


def test_a_cancellation_keeps_the_reason_trimmed_to_500_characters_and_logs_it(
        program, alice):
    session = create(program, alice)
    services.session_cancel(session=session, actor=alice, reason="  " + "r" * 600 + " ")
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("cancelled", "r" * 500)
    log = logged("session.cancelled")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(session.pk), program.organization_id, {"reason": "r" * 500})


def test_a_naive_time_is_refused_for_each_field_given_so(program, alice):
    start = dt.datetime(2031, 3, 1, 9, 0)
    with pytest.raises(ValidationError) as err:
        create(program, alice, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    assert err.value.message_dict == {
        "starts_at": ["Give the time with its UTC offset."],
        "ends_at": ["Give the time with its UTC offset."]}


def test_facilitators_must_be_members_says_so(program, alice, charlie):
    with pytest.raises(ValidationError) as err:
        create(program, alice, facilitators=[charlie])
    assert err.value.message_dict == {
        "facilitators": ["Facilitators must be members of the program's organization."]}


def test_fields_are_trimmed_and_an_empty_capacity_means_none(program, alice):
    session = create(program, alice, title="  Circle  ", capacity="")
    session.refresh_from_db()
    assert (session.title, session.capacity) == ("Circle", None)


def test_an_unknown_session_field_is_a_programming_error(program, alice):
    with pytest.raises(TypeError):
        create(program, alice, colour="blue")


def test_a_created_session_is_logged_with_its_program_and_facilitators(
        program, alice, facilitator):
    session = create(program, alice, facilitators=[facilitator, facilitator.pk])
    log = logged("session.created")
    assert (log.actor, log.target_id, log.organization_id) == (
        alice, str(session.pk), program.organization_id)
    assert log.data == {"program": program.pk, "facilitators": [facilitator.pk]}
    assert list(session.facilitators.all()) == [facilitator]


def test_a_reschedule_is_logged_as_such_with_the_old_times(program, alice):
    session = create(program, alice)
    old_start, old_end = session.starts_at, session.ends_at
    services.session_update(session=session, actor=alice,
                            starts_at=old_start + dt.timedelta(hours=1),
                            ends_at=old_end + dt.timedelta(hours=1))
    log = logged("session.rescheduled")
    assert log.data == {"fields": ["ends_at", "starts_at"],
                        "starts_at_from": old_start.isoformat(),
                        "ends_at_from": old_end.isoformat()}


def test_moving_only_the_end_logs_only_the_old_end(program, alice):
    session = create(program, alice)
    old_end = session.ends_at
    services.session_update(session=session, actor=alice, ends_at=old_end + dt.timedelta(hours=1))
    assert logged("session.rescheduled").data == {"fields": ["ends_at"],
                                                  "ends_at_from": old_end.isoformat()}


# --- answers ---


def test_someone_not_accepted_is_told_who_can_answer(program, alice, bob):
    session = create(program, alice)
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=bob, response="no")
    assert (err.value.code, err.value.message) == (
        "not_accepted", "Only accepted participants of this program can answer.")


def test_a_cancelled_session_takes_no_answers_and_says_why(program, alice, participant):
    session = create(program, alice)
    services.session_cancel(session=session, actor=alice)
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=participant, response="no")
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "This session is cancelled; it takes no answers.")


def test_an_unknown_answer_says_yes_or_no(program, alice, participant):
    session = create(program, alice)
    with pytest.raises(ValidationError) as err:
        services.rsvp_respond(session=session, participant=participant, response="maybe")
    assert err.value.message_dict == {"response": ["Answer yes or no."]}


def test_yes_under_a_confidential_rule_asks_for_the_ground_rules(program, alice, participant):
    session = create(program, alice, confidentiality="off_record")
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=participant, response="yes")
    assert (err.value.code, err.value.message) == (
        "ground_rules_required", "Accept the session's ground rules before saying yes.")
    assert not RSVP.objects.exists()


def test_a_full_session_says_so_and_counts_only_its_own_yes(program, alice, participant):
    session = create(program, alice, capacity=2)
    other = create(program, alice)
    say_yes(other, 2)
    say_yes(session, 1)
    RSVPFactory(session=session, participant=accepted_participant(program), response="no")
    services.rsvp_respond(session=session, participant=participant, response="yes")
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=accepted_participant(program),
                              response="yes")
    assert (err.value.code, err.value.message) == ("capacity_full", "This session is full.")


def test_an_answer_is_stored_with_its_time_and_logged(program, alice, participant):
    session = create(program, alice)
    before = timezone.now()
    rsvp = services.rsvp_respond(session=session, participant=participant, response="no",
                                 accept_ground_rules=True)
    rsvp.refresh_from_db()
    assert rsvp.response == "no"
    assert before <= rsvp.responded_at <= timezone.now()
    assert before <= rsvp.ground_rules_accepted_at <= timezone.now()
    log = logged("session.rsvp")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        participant, str(session.pk), program.organization_id, {"response": "no"})


def test_accepting_the_ground_rules_again_keeps_the_first_time(program, alice, participant):
    session = create(program, alice, confidentiality="off_record")
    first = services.rsvp_respond(session=session, participant=participant, response="no",
                                  accept_ground_rules=True).ground_rules_accepted_at
    again = services.rsvp_respond(session=session, participant=participant, response="yes",
                                  accept_ground_rules=True)
    assert again.ground_rules_accepted_at == first
    assert RSVP.objects.get(session=session).response == "yes"


# --- attendance and outcomes ---


def test_attendance_names_each_wrong_row(program, alice, participant, bob):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    with pytest.raises(services.ItemErrors) as err:
        services.attendance_mark(session=session, actor=alice, marks=[
            {"participant": participant.pk, "attended": True},
            {"participant": participant.pk, "attended": False},
            {"participant": bob.pk, "attended": True}])
    assert err.value.items == [
        {}, {"participant": ["This person is listed twice."]},
        {"participant": ["This person has not answered this session's invitation."]}]


def test_attendance_is_stored_and_logged(program, alice, participant):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    services.attendance_mark(session=session, actor=alice,
                             marks=[{"participant": participant.pk, "attended": True}])
    assert RSVP.objects.get(session=session).attended is True
    log = logged("session.attendance_marked")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(session.pk), program.organization_id, {"marks": [[participant.pk, True]]})


def test_a_cancelled_session_has_no_attendance_nor_outcomes(program, alice, participant):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    services.session_cancel(session=session, actor=alice)
    with pytest.raises(Conflict) as err:
        services.attendance_mark(session=session, actor=alice,
                                 marks=[{"participant": participant.pk, "attended": True}])
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "A cancelled session has no attendance.")
    session.refresh_from_db()
    with pytest.raises(Conflict) as err:
        services.outcome_record(session=session, actor=alice, kind="idea", text="x")
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "A cancelled session has no outcomes.")


def test_someone_who_cannot_run_the_session_is_told_who_can(program, alice, participant):
    session = create(program, alice)
    with pytest.raises(PermissionDenied) as err:
        services.attendees_export(session=session, actor=participant)
    assert str(err.value) == ("Only the program's staff and this session's facilitators "
                              "can do this.")


def test_an_outcome_of_an_unknown_kind_names_the_kinds(program, alice):
    session = create(program, alice)
    with pytest.raises(ValidationError) as err:
        services.outcome_record(session=session, actor=alice, kind="wish", text="More")
    assert err.value.message_dict == {"kind": ["Choose idea, agreement or action."]}


def test_an_open_outcome_is_stored_trimmed_and_logged_without_its_text(program, alice):
    session = create(program, alice)
    outcome = services.outcome_record(session=session, actor=alice, kind="action",
                                      text="  Meet again  ")
    outcome.refresh_from_db()
    assert (outcome.text, outcome.kind, outcome.author) == ("Meet again", "action", alice)
    log = logged("outcome.recorded")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(session.pk), program.organization_id,
        {"outcome": outcome.pk, "kind": "action"})


# --- program dates ---


def test_new_program_dates_count_the_sessions_before_and_after_them(program_2031, alice):
    early = dt.datetime(2031, 3, 10, 9, 0, tzinfo=dt.UTC)
    late = dt.datetime(2031, 9, 10, 9, 0, tzinfo=dt.UTC)
    for start in (early, early, late):
        SessionFactory(program=program_2031, starts_at=start,
                       ends_at=start + dt.timedelta(hours=1))
    SessionFactory(program=program_2031, starts_at=early, ends_at=early + dt.timedelta(hours=1),
                   status="cancelled")
    program_2031.starts_on, program_2031.ends_on = dt.date(2031, 4, 1), dt.date(2031, 8, 31)
    assert services.sessions_within_program(None, program=program_2031) == {
        "starts_on": "2 sessions take place before this date: move or cancel them first.",
        "ends_on": "1 session takes place after this date: move or cancel it first."}
    program_2031.starts_on, program_2031.ends_on = dt.date(2031, 3, 10), dt.date(2031, 9, 10)
    assert services.sessions_within_program(None, program=program_2031) == {}


# --- who is told of a cancellation ---


def test_a_cancellation_reaches_this_programs_people_by_this_sessions_answers(
        program, alice, participant):
    session = create(program, alice)
    other_session = create(program, alice)
    services.rsvp_respond(session=other_session, participant=participant, response="no")
    other_program = program_with_sides("East", "West", organization=program.organization)
    outsider = accepted_participant(other_program)

    services.session_cancel(session=session, actor=alice)

    notices = Notification.objects.filter(kind="session_cancelled")
    assert [(n.recipient_id, n.organization_id) for n in notices] == [
        (participant.pk, program.organization_id)]
    assert outsider.pk not in notices.values_list("recipient_id", flat=True)


def test_a_cancellation_without_a_reason_stores_none(program, alice):
    session = create(program, alice)
    services.session_cancel(session=session, actor=alice)
    session.refresh_from_db()
    assert session.cancel_reason == ""
    assert logged("session.cancelled").data == {"reason": ""}


# --- sessions of one group ---


def test_only_the_groups_members_answer_a_session_of_one_group(program, alice, participant):
    outsider = accepted_participant(program)
    group_round = GroupRound.objects.create(program=program, number=1, size=3)
    group = DialogueGroup.objects.create(round=group_round, number=2)
    GroupMember.objects.create(round=group_round, group=group, participant=participant)
    session = create(program, alice, group=group)

    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=outsider, response="no")
    assert (err.value.code, err.value.message) == (
        "not_in_group", "This session is for the members of Group 2 only.")
    services.rsvp_respond(session=session, participant=participant, response="yes")
    assert list(RSVP.objects.values_list("participant_id", flat=True)) == [participant.pk]


def test_a_group_of_another_program_is_refused(program, alice):
    elsewhere = program_with_sides("East", "West", organization=program.organization)
    group = DialogueGroup.objects.create(
        round=GroupRound.objects.create(program=elsewhere, number=1, size=3), number=1)
    with pytest.raises(ValidationError) as err:
        create(program, alice, group=group.pk)
    assert err.value.message_dict == {
        "group": ["Choose a group of this program's rounds, or none."]}


# --- updates: ground rules, facilitators, groups ---


def test_a_rule_change_swaps_the_untouched_default_of_the_old_rule(program, alice):
    session = create(program, alice, confidentiality="chatham_house")
    services.session_update(session=session, actor=alice, confidentiality="off_record")
    session.refresh_from_db()
    assert session.ground_rules == services.default_ground_rules("off_record")


def test_ground_rules_given_with_a_rule_change_are_kept_even_if_a_default(program, alice):
    session = create(program, alice, confidentiality="chatham_house")
    chatham = services.default_ground_rules("chatham_house")
    services.session_update(session=session, actor=alice, confidentiality="off_record",
                            ground_rules=chatham)
    session.refresh_from_db()
    assert session.ground_rules == chatham


def test_an_update_checks_the_new_facilitators(program, alice, charlie):
    session = create(program, alice)
    with pytest.raises(ValidationError) as err:
        services.session_update(session=session, actor=alice, facilitators=[charlie])
    assert list(err.value.message_dict) == ["facilitators"]


def test_an_update_is_logged_by_its_actor_on_the_session(program, alice):
    session = create(program, alice)
    services.session_update(session=session, actor=alice, title="New")
    log = logged("session.updated")
    assert (log.actor, log.target_type, log.target_id, log.organization_id) == (
        alice, "session", str(session.pk), program.organization_id)


def test_giving_a_session_to_one_group_withdraws_the_others_reminders(
        program, alice, participant):
    reminders.default_schedule(sender=None, program=program)
    outsider = accepted_participant(program)
    group_round = GroupRound.objects.create(program=program, number=1, size=3)
    group = DialogueGroup.objects.create(round=group_round, number=1)
    GroupMember.objects.create(round=group_round, group=group, participant=participant)
    session = create(program, alice)
    pending = Notification.objects.filter(kind="session_reminder", context__session=session.pk,
                                          status="pending")
    assert set(pending.values_list("recipient_id", flat=True)) == {participant.pk, outsider.pk}

    services.session_update(session=session, actor=alice, group=group)

    assert set(pending.values_list("recipient_id", flat=True)) == {participant.pk}
    assert set(Notification.objects.filter(recipient=outsider, status="cancelled")
               .values_list("last_error", flat=True)) == {
        "the recipient is not in the session's group"}


# --- answers, attendance and outcomes: the remaining edges ---


def test_answers_to_two_sessions_are_two_answers(program, alice, participant):
    first, second = create(program, alice), create(program, alice)
    services.rsvp_respond(session=first, participant=participant, response="yes")
    services.rsvp_respond(session=second, participant=participant, response="no")
    assert sorted(RSVP.objects.values_list("session_id", "response")) == [
        (first.pk, "yes"), (second.pk, "no")]


def test_attendance_may_be_false_or_unknown(program, alice, participant):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    for attended in (False, None, True):
        services.attendance_mark(session=session, actor=alice,
                                 marks=[{"participant": participant.pk, "attended": attended}])
        assert RSVP.objects.get(session=session).attended is attended


def test_an_outcome_without_text_is_refused(program, alice):
    session = create(program, alice)
    with pytest.raises(ValidationError) as err:
        services.outcome_record(session=session, actor=alice, kind="idea", text=None)
    assert list(err.value.message_dict) == ["text"]


# --- queries: the fields already known are not checked again ---


def test_recording_an_outcome_takes_seven_queries(program, alice, django_assert_max_num_queries):
    # Access (program, role, acceptance), then the insert and its log row in a savepoint;
    # the session and author are known, so validation does not look them up again.
    session = Session.objects.get(pk=create(program, alice).pk)
    with django_assert_max_num_queries(7):
        services.outcome_record(session=session, actor=alice, kind="idea", text="x")


def test_an_answer_takes_seven_queries(program, alice, participant,
                                       django_assert_max_num_queries):
    # The locked session comes with its program: no query for it afterwards.
    session = Session.objects.get(pk=create(program, alice).pk)
    with django_assert_max_num_queries(7):
        services.rsvp_respond(session=session, participant=participant, response="yes")


def test_creating_and_updating_a_session_take_nine_and_eight_queries(
        program, alice, django_assert_max_num_queries):
    # The program and group are known and the database checks the constraints on save:
    # validation does not look them up again (one query reads the facilitators whose
    # reminders are planned with the session's).
    with django_assert_max_num_queries(9):
        session = services.session_create(program=program, actor=alice, **fields())
    with django_assert_max_num_queries(8):
        services.session_update(session=session, actor=alice, title="Renamed")


# --- the default ground rules, as a facilitator reads them ---

DEFAULT_RULES = {
    "chatham_house": (
        "We speak under the Chatham House rule: what is said here may be used, but no one is "
        "quoted or identified. We listen without interrupting and speak for ourselves, not "
        "for our side."),
    "off_record": (
        "Off the record: nothing said here leaves the room. No notes, recordings or photos. "
        "We listen without interrupting and speak for ourselves."),
    "open": (
        "What is said here may be quoted and attributed. We listen without interrupting, "
        "speak for ourselves, and treat each other with respect."),
}


@pytest.mark.parametrize("rule", DEFAULT_RULES)
def test_each_rule_has_its_default_ground_rules_in_the_readers_language(rule):
    assert services.default_ground_rules(rule) == DEFAULT_RULES[rule]
    with translation.override("fr"):
        assert services.default_ground_rules(rule) != DEFAULT_RULES[rule]


def test_a_zone_is_stored_by_its_canonical_name(program, alice):
    session = create(program, alice, timezone="Europe/Nicosia")
    session.refresh_from_db()
    assert session.timezone == "Asia/Nicosia"


def test_an_unknown_field_is_named_in_the_error(program, alice):
    with pytest.raises(TypeError, match=r"unknown session fields: \['colour'\]"):
        create(program, alice, colour="blue")


def test_a_session_of_one_group_checks_its_group_once(program, alice,
                                                      django_assert_max_num_queries):
    group = DialogueGroup.objects.create(
        round=GroupRound.objects.create(program=program, number=1, size=3), number=1)
    with django_assert_max_num_queries(11):  # the facilitators, as above
        session = services.session_create(program=program, actor=alice, group=group,
                                          **fields())
    with django_assert_max_num_queries(9):
        services.session_update(session=session, actor=alice, title="Renamed")
