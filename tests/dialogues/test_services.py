import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict
from dialogues import services
from dialogues.models import RSVP, CalendarFeed, Outcome, Session
from exchanges.models import ActivityLog
from participants.models import Notification
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    NotificationFactory,
    OrganizationFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
)

pytestmark = pytest.mark.django_db

NICOSIA = ZoneInfo("Asia/Nicosia")


def fields(**overrides):
    start = timezone.now() + dt.timedelta(days=10)
    base = {"title": "Listening circle", "format": "storytelling", "starts_at": start,
            "ends_at": start + dt.timedelta(hours=2), "timezone": "Asia/Nicosia",
            "location": "Ledra Palace", "confidentiality": "open"}
    return base | overrides


def create(program, actor, **overrides):
    return services.session_create(program=program, actor=actor, **fields(**overrides))


# --- session_create ---


def test_session_create_stores_utc_and_logs(program_2031, alice):
    program = program_2031
    start = dt.datetime(2031, 3, 31, 9, 0, tzinfo=NICOSIA)
    session = create(program, alice, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2031, 3, 31, 6, 0, tzinfo=dt.UTC)
    assert session.starts_at.astimezone(NICOSIA).hour == 9
    log = ActivityLog.objects.get(verb="session.created")
    assert (log.actor, log.target_id, log.organization_id) == (alice, str(session.pk), program
                                                               .organization_id)


def test_session_create_across_dst_keeps_the_wall_time(program_2031, alice):
    summer = dt.datetime(2031, 3, 31, 9, 0, tzinfo=NICOSIA)  # the day after clocks go forward
    winter = dt.datetime(2031, 10, 27, 9, 0, tzinfo=NICOSIA)  # the day after they go back
    a = create(program_2031, alice, starts_at=summer, ends_at=summer + dt.timedelta(hours=1))
    b = create(program_2031, alice, starts_at=winter, ends_at=winter + dt.timedelta(hours=1))
    assert a.starts_at.astimezone(dt.UTC) == dt.datetime(2031, 3, 31, 6, 0, tzinfo=dt.UTC)
    assert b.starts_at.astimezone(dt.UTC) == dt.datetime(2031, 10, 27, 7, 0, tzinfo=dt.UTC)


def test_session_create_unknown_timezone_refused(program, alice):
    with pytest.raises(ValidationError) as err:
        create(program, alice, timezone="Mars/Olympus")
    assert list(err.value.message_dict) == ["timezone"]
    assert Session.objects.count() == 0


def test_session_create_end_before_start_refused(program, alice):
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        create(program, alice, starts_at=start, ends_at=start - dt.timedelta(minutes=1))
    assert err.value.message_dict == {"ends_at": ["The end must be after the start."]}


def test_session_create_end_equal_to_start_refused(program, alice):
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        create(program, alice, starts_at=start, ends_at=start)
    assert list(err.value.message_dict) == ["ends_at"]


def test_session_create_empty_title_refused(program, alice):
    with pytest.raises(ValidationError) as err:
        create(program, alice, title="   ")
    assert list(err.value.message_dict) == ["title"]


@pytest.mark.parametrize("name, value", [("format", "karaoke"), ("confidentiality", "secret")])
def test_session_create_unknown_choice_refused(program, alice, name, value):
    with pytest.raises(ValidationError) as err:
        create(program, alice, **{name: value})
    assert list(err.value.message_dict) == [name]


def test_session_create_naive_time_refused(program, alice):
    with pytest.raises(ValidationError) as err:
        create(program, alice, starts_at=dt.datetime(2027, 1, 1, 9, 0),
               ends_at=dt.datetime(2027, 1, 1, 11, 0, tzinfo=dt.UTC))
    assert list(err.value.message_dict) == ["starts_at"]


def test_session_create_facilitator_from_another_org_refused(program, alice, charlie, other_org):
    with pytest.raises(ValidationError) as err:
        create(program, alice, facilitators=[charlie.pk])
    assert err.value.message_dict == {
        "facilitators": ["Facilitators must be members of the program's organization."]}
    assert Session.objects.count() == 0
    assert ActivityLog.objects.filter(verb="session.created").count() == 0


def test_session_create_with_member_facilitator(program, alice, facilitator):
    session = create(program, alice, facilitators=[facilitator])
    assert list(session.facilitators.all()) == [facilitator]


def test_session_create_by_facilitator_or_outsider_denied(program, facilitator, charlie):
    for actor in (facilitator, charlie):
        with pytest.raises(PermissionDenied):
            create(program, actor)
    assert Session.objects.count() == 0


@pytest.mark.parametrize("rule, start", [
    ("open", "What is said here may be quoted"),
    ("chatham_house", "We speak under the Chatham House rule"),
    ("off_record", "Off the record: nothing said here leaves the room."),
])
def test_session_create_prefills_ground_rules_by_rule(program, alice, rule, start):
    session = create(program, alice, confidentiality=rule, ground_rules="")
    assert session.ground_rules.startswith(start)


def test_session_create_keeps_written_ground_rules(program, alice):
    session = create(program, alice, confidentiality="chatham_house", ground_rules="Our rules.")
    assert session.ground_rules == "Our rules."


# --- session_update ---


def test_session_update_reschedule_logs_old_time(program, alice):
    session = create(program, alice)
    old = session.starts_at
    new_start = old + dt.timedelta(days=1)
    services.session_update(session=session, actor=alice, starts_at=new_start,
                            ends_at=new_start + dt.timedelta(hours=1))
    session.refresh_from_db()
    assert session.starts_at == new_start
    log = ActivityLog.objects.get(verb="session.rescheduled")
    assert log.data["starts_at_from"] == old.isoformat()


def test_session_update_bad_end_leaves_session_unchanged(program, alice):
    session = create(program, alice)
    with pytest.raises(ValidationError):
        services.session_update(session=session, actor=alice,
                                ends_at=session.starts_at - dt.timedelta(hours=1))
    session.refresh_from_db()
    assert session.ends_at - session.starts_at == dt.timedelta(hours=2)


def test_session_update_rule_change_swaps_untouched_default_rules(program, alice):
    session = create(program, alice, confidentiality="open")
    session = services.session_update(session=session, actor=alice,
                                      confidentiality="off_record")
    assert session.ground_rules == services.default_ground_rules("off_record")


def test_session_update_facilitator_may_change_only_ground_rules(program, alice, facilitator):
    session = create(program, alice, facilitators=[facilitator])
    services.session_update(session=session, actor=facilitator, ground_rules="Be kind.")
    session.refresh_from_db()
    assert session.ground_rules == "Be kind."
    with pytest.raises(PermissionDenied):
        services.session_update(session=session, actor=facilitator, title="Mine now")


def test_session_update_capacity_below_yes_refused(program, alice, participant):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    other = accepted_participant(program)
    services.rsvp_respond(session=session, participant=other, response="yes")
    with pytest.raises(ValidationError) as err:
        services.session_update(session=session, actor=alice, capacity=1)
    assert list(err.value.message_dict) == ["capacity"]


# --- session_cancel ---


def test_session_cancel_tells_everyone_who_might_come_and_cancels_reminders(
        program, alice, participant, facilitator):
    # API v1.1 changes the v1 rule on purpose: not only those who said yes are told.
    session = create(program, alice, facilitators=[facilitator.pk])
    services.rsvp_respond(session=session, participant=participant, response="yes")
    declined = accepted_participant(program)
    services.rsvp_respond(session=session, participant=declined, response="no")
    silent = accepted_participant(program)
    not_accepted = ApplicationFactory(side=program.sides.first()).applicant
    reminder = NotificationFactory(recipient=participant, kind="session_reminder",
                                   context={"session": session.pk},
                                   due_at=session.starts_at - dt.timedelta(hours=1))
    other_session = create(program, alice)
    unrelated = NotificationFactory(recipient=participant, kind="session_reminder",
                                    context={"session": other_session.pk})

    services.session_cancel(session=session, actor=alice, reason="Roads closed")

    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("cancelled", "Roads closed")
    notices = Notification.objects.filter(kind="session_cancelled").order_by("recipient_id")
    told = sorted([participant.pk, silent.pk, facilitator.pk])
    assert [(n.recipient_id, n.dedupe_key, n.context) for n in notices] == [
        (pk, f"session_cancelled:{session.pk}:{pk}",
         {"session": session.pk, "program": program.pk}) for pk in told]
    assert declined.pk not in told and not_accepted.pk not in told
    reminder.refresh_from_db()
    unrelated.refresh_from_db()
    assert (reminder.status, reminder.last_error) == ("cancelled", "the session was cancelled")
    assert unrelated.status == "pending"
    assert ActivityLog.objects.filter(verb="session.cancelled").count() == 1


def test_session_cancel_twice_is_invalid_transition(program, alice):
    session = create(program, alice)
    services.session_cancel(session=session, actor=alice, reason="")
    with pytest.raises(Conflict) as err:
        services.session_cancel(session=session, actor=alice, reason="")
    assert err.value.code == "invalid_transition"


def test_session_cancel_by_facilitator_denied(program, alice, facilitator):
    session = create(program, alice, facilitators=[facilitator])
    with pytest.raises(PermissionDenied):
        services.session_cancel(session=session, actor=facilitator, reason="")


# --- rsvp_respond ---


def test_rsvp_yes_under_open(program, alice, participant):
    session = create(program, alice)
    rsvp = services.rsvp_respond(session=session, participant=participant, response="yes")
    assert (rsvp.response, rsvp.ground_rules_accepted_at) == ("yes", None)
    assert ActivityLog.objects.filter(verb="session.rsvp").count() == 1


def test_rsvp_not_accepted_refused(program, alice, bob):
    session = create(program, alice)
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=bob, response="yes")
    assert err.value.code == "not_accepted"
    assert RSVP.objects.count() == 0


def test_rsvp_pending_applicant_refused(program, alice):
    from tests.factories import ApplicationFactory

    pending = ApplicationFactory(program=program, side=program.sides.first()).applicant
    session = create(program, alice)
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=pending, response="no")
    assert err.value.code == "not_accepted"


def test_rsvp_yes_needs_ground_rules_when_not_open(program, alice, participant):
    session = create(program, alice, confidentiality="chatham_house")
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=participant, response="yes")
    assert err.value.code == "ground_rules_required"
    assert RSVP.objects.count() == 0


def test_rsvp_ground_rules_acceptance_kept_and_enough_later(program, alice, participant):
    session = create(program, alice, confidentiality="off_record")
    first = services.rsvp_respond(session=session, participant=participant, response="yes",
                                  accept_ground_rules=True)
    accepted_at = first.ground_rules_accepted_at
    assert accepted_at is not None
    services.rsvp_respond(session=session, participant=participant, response="no")
    again = services.rsvp_respond(session=session, participant=participant, response="yes")
    assert (again.response, again.ground_rules_accepted_at) == ("yes", accepted_at)
    assert RSVP.objects.count() == 1


def test_rsvp_no_without_ground_rules_allowed(program, alice, participant):
    session = create(program, alice, confidentiality="chatham_house")
    rsvp = services.rsvp_respond(session=session, participant=participant, response="no")
    assert rsvp.response == "no"


def test_rsvp_cancelled_session_refused(program, alice, participant):
    session = create(program, alice)
    services.session_cancel(session=session, actor=alice, reason="")
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=participant, response="yes")
    assert err.value.code == "invalid_transition"


def test_rsvp_completed_session_refused(program, participant):
    past = timezone.now() - dt.timedelta(days=1)
    session = SessionFactory(program=program, starts_at=past - dt.timedelta(hours=2),
                             ends_at=past)
    assert session.effective_status == "completed"
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=participant, response="yes")
    assert err.value.code == "invalid_transition"


def test_rsvp_capacity_full(program, alice, participant):
    session = create(program, alice, capacity=1)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    late = accepted_participant(program)
    with pytest.raises(Conflict) as err:
        services.rsvp_respond(session=session, participant=late, response="yes")
    assert err.value.code == "capacity_full"
    # "no" still counts as an answer; and the one already in may repeat yes.
    services.rsvp_respond(session=session, participant=late, response="no")
    services.rsvp_respond(session=session, participant=participant, response="yes")
    assert RSVP.objects.filter(session=session, response="yes").count() == 1


def test_rsvp_unknown_response_refused(program, alice, participant):
    session = create(program, alice)
    with pytest.raises(ValidationError) as err:
        services.rsvp_respond(session=session, participant=participant, response="maybe")
    assert list(err.value.message_dict) == ["response"]


# --- attendance_mark ---


def test_attendance_mark_by_facilitator(program, alice, facilitator, participant):
    session = create(program, alice, facilitators=[facilitator])
    services.rsvp_respond(session=session, participant=participant, response="yes")
    services.attendance_mark(session=session, actor=facilitator,
                             marks=[{"participant": participant.pk, "attended": True}])
    assert RSVP.objects.get().attended is True
    assert ActivityLog.objects.get(verb="session.attendance_marked").data == {
        "marks": [[participant.pk, True]]}


def test_attendance_mark_all_or_nothing_with_errors_in_order(program, alice, participant, bob):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    with pytest.raises(services.ItemErrors) as err:
        services.attendance_mark(session=session, actor=alice, marks=[
            {"participant": participant.pk, "attended": True},
            {"participant": bob.pk, "attended": True},
            {"participant": participant.pk, "attended": False},
        ])
    assert err.value.items == [
        {},
        {"participant": ["This person has not answered this session's invitation."]},
        {"participant": ["This person is listed twice."]},
    ]
    assert RSVP.objects.get().attended is None


def test_attendance_mark_by_other_facilitator_denied(program, alice, facilitator, participant):
    session = create(program, alice)
    services.rsvp_respond(session=session, participant=participant, response="yes")
    with pytest.raises(PermissionDenied):
        services.attendance_mark(session=session, actor=facilitator,
                                 marks=[{"participant": participant.pk, "attended": True}])


# --- outcomes ---


@pytest.mark.parametrize("rule, has_author", [
    ("open", True), ("chatham_house", False), ("off_record", False)])
def test_outcome_author_stored_only_under_open_in_the_outcome_and_the_log(
        program, alice, facilitator, rule, has_author):
    session = create(program, alice, confidentiality=rule, facilitators=[facilitator])
    outcome = services.outcome_record(session=session, actor=facilitator, kind="idea",
                                      text="A joint choir")
    outcome.refresh_from_db()
    assert outcome.author == (facilitator if has_author else None)
    log = ActivityLog.objects.get(verb="outcome.recorded")
    assert log.actor == (facilitator if has_author else None)
    assert "A joint choir" not in str(log.data) + log.target_repr


def test_outcome_bad_kind_or_empty_text_refused(program, alice):
    session = create(program, alice)
    with pytest.raises(ValidationError) as err:
        services.outcome_record(session=session, actor=alice, kind="wish", text="x")
    assert list(err.value.message_dict) == ["kind"]
    with pytest.raises(ValidationError) as err:
        services.outcome_record(session=session, actor=alice, kind="idea", text="  ")
    assert list(err.value.message_dict) == ["text"]
    assert Outcome.objects.count() == 0


def test_outcome_by_participant_denied(program, alice, participant):
    session = create(program, alice)
    with pytest.raises(PermissionDenied):
        services.outcome_record(session=session, actor=participant, kind="idea", text="x")


# --- exports and feeds ---


def test_attendees_export_only_open_and_logged(program, alice):
    open_session = create(program, alice)
    services.attendees_export(session=open_session, actor=alice)
    assert ActivityLog.objects.filter(verb="session.attendees_exported").count() == 1
    for rule in ("chatham_house", "off_record"):
        with pytest.raises(Conflict):
            services.attendees_export(session=create(program, alice, confidentiality=rule),
                                      actor=alice)


def test_calendar_feed_revoke_issues_a_new_token(bob):
    feed = services.calendar_feed_get_or_create(user=bob)
    again = services.calendar_feed_get_or_create(user=bob)
    assert again.token == feed.token
    revoked = services.calendar_feed_revoke(user=bob)
    assert revoked.token != feed.token
    assert CalendarFeed.objects.get(user=bob).token == revoked.token
    assert ActivityLog.objects.filter(verb="calendar_feed.revoked").count() == 1


def test_facilitator_membership_checked_against_program_org(alice, program):
    stranger_org = OrganizationFactory()
    member_elsewhere = UserFactory()
    MembershipFactory(organization=stranger_org, user=member_elsewhere, role="facilitator")
    with pytest.raises(ValidationError):
        create(program, alice, facilitators=[member_elsewhere])
    assert RSVPFactory._meta.model.objects.count() == 0
