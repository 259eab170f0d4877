"""Reminder planning, rule by rule: the schedule's limits, what is planned when, and how
planned rows move, revive or stay."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict
from dialogues.models import ReminderRule
from dialogues.reminders import services as reminders
from exchanges import services
from exchanges.models import ActivityLog
from participants.models import Notification
from tests.factories import (
    ApplicationFactory,
    NotificationFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

REMINDER, FOLLOWUP, PROGRAM_FOLLOWUP = "session_reminder", "session_followup", "program_followup"
YEAR = reminders.MAX_OFFSET_MINUTES


@pytest.fixture
def program(org):
    return program_with_sides("North", "South", organization=org,
                              starts_on=date(2031, 3, 1), ends_on=date(2031, 3, 31))


def set_rules(program, actor, *rules):
    return reminders.reminder_schedule_set(program=program, actor=actor, rules=rules)


def accepted(program, actor, user=None):
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=user or UserFactory())
    return services.application_accept(application=application, actor=actor)


def planned(**filters):
    return {row.dedupe_key: (row.status, row.due_at)
            for row in Notification.objects.filter(kind__in=reminders.REMINDER_KINDS,
                                                   **filters)}


# --- The schedule's limits -----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "offset", "problem"), [
    (REMINDER, -1, None), (REMINDER, -YEAR, None), (FOLLOWUP, 1, None),
    (PROGRAM_FOLLOWUP, YEAR, None),
    (REMINDER, 0, "A session reminder comes before the session: the offset must be negative."),
    (FOLLOWUP, 0, "A follow-up comes after: the offset must be positive."),
    (PROGRAM_FOLLOWUP, -5, "A follow-up comes after: the offset must be positive."),
    (REMINDER, -YEAR - 1, f"An offset can be at most a year ({YEAR} minutes)."),
    (FOLLOWUP, YEAR + 1, f"An offset can be at most a year ({YEAR} minutes)."),
    ("sms", 10, "Choose session_reminder, session_followup or program_followup."),
])
def test_offset_limits(kind, offset, problem):
    assert reminders.offset_problem(kind, offset) == problem


def test_a_schedule_is_stored_once_per_rule_in_kind_then_offset_order(program, alice):
    stored = set_rules(program, alice, (PROGRAM_FOLLOWUP, 60), (REMINDER, "-30"),
                       (FOLLOWUP, 5), (REMINDER, -90), (REMINDER, -30))
    expected = [(REMINDER, -90), (REMINDER, -30), (FOLLOWUP, 5), (PROGRAM_FOLLOWUP, 60)]
    assert stored == expected
    assert reminders.reminder_schedule(program) == expected
    assert ReminderRule.objects.filter(program=program).count() == 4


def test_a_schedule_change_is_logged_from_and_to(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    set_rules(program, alice, (FOLLOWUP, 30))
    entry = ActivityLog.objects.filter(verb="program.reminders_changed").latest("id")
    assert (entry.actor, entry.organization_id, entry.target_id) == (
        alice, program.organization_id, str(program.pk))
    assert entry.data == {"from": [[REMINDER, -60]], "to": [[FOLLOWUP, 30]]}


def test_a_bad_schedule_names_every_problem_and_changes_nothing(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    with pytest.raises(ValidationError) as error:
        set_rules(program, alice, ("sms", 5), (REMINDER, 10), (FOLLOWUP, 5))
    assert error.value.message_dict == {"rules": [
        "A session reminder comes before the session: the offset must be negative.",
        "Choose session_reminder, session_followup or program_followup.",
    ]}
    assert reminders.reminder_schedule(program) == [(REMINDER, -60)]


def test_an_archived_programs_schedule_is_read_only(program, alice):
    program.status = "archived"
    program.save()
    with pytest.raises(Conflict) as error:
        set_rules(program, alice, (REMINDER, -60))
    assert (error.value.code, error.value.message) == (
        "invalid_transition", "An archived program is read-only.")


def test_a_new_program_gets_the_default_schedule_once(program):
    reminders.default_schedule(sender=None, program=program)
    reminders.default_schedule(sender=None, program=program)
    assert reminders.reminder_schedule(program) == [
        (REMINDER, -1440), (REMINDER, -60), (FOLLOWUP, 1440), (PROGRAM_FOLLOWUP, 43200),
        (PROGRAM_FOLLOWUP, 129600)]


# --- What is planned, when ------------------------------------------------------------------


def test_program_followups_count_from_midnight_utc_after_the_last_day(program):
    assert reminders.program_followup_base(program) == datetime(2031, 4, 1, tzinfo=UTC)


def test_reminders_hang_on_the_start_and_followups_on_the_end(program, alice):
    set_rules(program, alice, (REMINDER, -60), (FOLLOWUP, 30), (PROGRAM_FOLLOWUP, 120))
    session = SessionFactory(program=program)
    user = accepted(program, alice).applicant
    rows = {row.kind: row for row in Notification.objects.filter(recipient=user,
                                                                 kind__in=reminders.REMINDER_KINDS)}
    reminder, followup, after = rows[REMINDER], rows[FOLLOWUP], rows[PROGRAM_FOLLOWUP]
    assert reminder.dedupe_key == f"{REMINDER}:{session.pk}:{user.pk}:-60"
    assert reminder.due_at == session.starts_at - timedelta(minutes=60)
    assert reminder.context == {"session": session.pk, "program": program.pk, "offset": -60}
    assert followup.due_at == session.ends_at + timedelta(minutes=30)
    assert after.dedupe_key == f"{PROGRAM_FOLLOWUP}:{program.pk}:{user.pk}:120"
    assert after.due_at == datetime(2031, 4, 1, 2, 0, tzinfo=UTC)
    assert after.context == {"program": program.pk, "offset": 120}
    assert {row.organization_id for row in rows.values()} == {program.organization_id}


def test_a_new_session_is_planned_for_the_accepted_only(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    seated = accepted(program, alice).applicant
    ApplicationFactory(program=program, side=program.sides.first(), status="waitlisted")
    session = SessionFactory(program=program)
    reminders.session_created(session=session)
    assert set(planned(context__session=session.pk)) == {
        f"{REMINDER}:{session.pk}:{seated.pk}:-60"}


def test_a_session_not_scheduled_is_not_planned(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    accepted(program, alice)
    session = SessionFactory(program=program, status="cancelled")
    reminders.session_created(session=session)
    assert planned(context__session=session.pk) == {}


def test_a_participant_is_planned_only_for_scheduled_sessions(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    SessionFactory(program=program, status="cancelled")
    scheduled = SessionFactory(program=program)
    user = accepted(program, alice).applicant
    assert set(planned(recipient=user)) == {f"{REMINDER}:{scheduled.pk}:{user.pk}:-60"}


def test_a_due_time_exactly_now_or_past_is_never_planned(program, alice, monkeypatch):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    now = session.starts_at - timedelta(minutes=60)
    monkeypatch.setattr(reminders.timezone, "now", lambda: now)
    accepted(program, alice)
    assert planned(context__session=session.pk) == {}


# --- How planned rows change ----------------------------------------------------------------


def test_leaving_an_accepted_place_cancels_with_the_reason(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    SessionFactory(program=program)
    application = accepted(program, alice)
    services.application_decline(application=application, actor=alice)
    row = Notification.objects.get(kind=REMINDER)
    assert (row.status, row.last_error) == ("cancelled", "the application was declined")


def test_decisions_that_never_accepted_plan_and_cancel_nothing(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    SessionFactory(program=program)
    other = accepted(program, alice)
    application = ApplicationFactory(program=program, side=program.sides.first())
    services.application_waitlist(application=application, actor=alice)
    services.application_decline(application=application, actor=alice)
    assert planned(recipient=application.applicant) == {}
    assert [status for status, _ in planned(recipient=other.applicant).values()] == ["pending"]


def test_a_cancelled_session_cancels_its_own_rows_only(program, alice):
    set_rules(program, alice, (REMINDER, -60), (PROGRAM_FOLLOWUP, 60))
    cancelled, kept = SessionFactory(program=program), SessionFactory(program=program)
    accepted(program, alice)
    assert reminders.session_cancelled(session=cancelled) == 1
    row = Notification.objects.get(context__session=cancelled.pk)
    assert (row.status, row.last_error) == ("cancelled", "the session was cancelled")
    assert Notification.objects.get(context__session=kept.pk).status == "pending"
    assert Notification.objects.get(kind=PROGRAM_FOLLOWUP).status == "pending"


def test_a_rule_removed_cancels_its_pending_rows_with_the_reason(program, alice):
    set_rules(program, alice, (REMINDER, -60), (REMINDER, -30))
    session = SessionFactory(program=program)
    accepted(program, alice)
    set_rules(program, alice, (REMINDER, -30))
    rows = {row.context["offset"]: row for row in
            Notification.objects.filter(context__session=session.pk)}
    assert (rows[-60].status, rows[-60].last_error) == (
        "cancelled", "removed from the program's reminder schedule")
    assert rows[-30].status == "pending"


def test_a_rule_kept_leaves_its_pending_rows_as_they_are(program, alice):
    set_rules(program, alice, (REMINDER, -60), (REMINDER, -30))
    SessionFactory(program=program)
    accepted(program, alice)
    Notification.objects.filter(kind=REMINDER).update(attempts=2, last_error="451 busy")
    set_rules(program, alice, (REMINDER, -30))
    kept = Notification.objects.get(kind=REMINDER, context__offset=-30)
    assert (kept.status, kept.attempts, kept.last_error) == ("pending", 2, "451 busy")


def test_a_new_sessions_rows_belong_to_the_programs_organization(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    accepted(program, alice)
    session = SessionFactory(program=program)
    reminders.session_created(session=session)
    row = Notification.objects.get(context__session=session.pk)
    assert row.organization_id == program.organization_id


def test_rows_of_other_programs_are_left_alone_by_a_schedule_change(program, alice, org):
    other = program_with_sides(organization=org)
    set_rules(other, alice, (REMINDER, -60))
    SessionFactory(program=other)
    accepted(other, alice)
    set_rules(program, alice, (REMINDER, -30))
    assert [status for status, _ in planned(context__program=other.pk).values()] == ["pending"]


def test_replanning_moves_pending_rows_and_touches_nothing_unchanged(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    accepted(program, alice)
    row = Notification.objects.get(kind=REMINDER)
    stamp = timezone.now() - timedelta(days=1)
    Notification.objects.filter(pk=row.pk).update(updated_at=stamp)
    reminders.session_rescheduled(session=session)
    assert Notification.objects.get(pk=row.pk).updated_at == stamp  # same time: untouched
    session.starts_at += timedelta(hours=3)
    session.ends_at += timedelta(hours=3)
    session.save()
    reminders.session_rescheduled(session=session)
    moved = Notification.objects.get(pk=row.pk)
    assert (moved.status, moved.due_at) == ("pending", session.starts_at - timedelta(hours=1))
    assert moved.updated_at > stamp


def test_a_missed_row_planned_ahead_again_is_revived_afresh(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    accepted(program, alice)
    row = Notification.objects.get(kind=REMINDER)
    Notification.objects.filter(pk=row.pk).update(status="missed", attempts=2,
                                                  last_error="too late")
    reminders.session_rescheduled(session=session)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    assert row.due_at == session.starts_at - timedelta(hours=1)


def test_a_row_planned_for_a_time_now_past_is_missed_not_revived(program, alice, monkeypatch):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    accepted(program, alice)
    pending = Notification.objects.get(kind=REMINDER)
    cancelled = NotificationFactory(
        kind=REMINDER, status="cancelled", recipient=UserFactory(),
        dedupe_key=f"{REMINDER}:{session.pk}:0:-60", context={"program": program.pk})
    ApplicationFactory(program=program, side=program.sides.first(), status="accepted",
                       applicant=cancelled.recipient)
    due = session.starts_at - timedelta(minutes=60)
    monkeypatch.setattr(reminders.timezone, "now", lambda: due)  # exactly due: already past
    reminders.session_rescheduled(session=session)
    pending.refresh_from_db()
    cancelled.refresh_from_db()
    assert (pending.status, pending.last_error) == ("missed", reminders.PAST_WHEN_PLANNED)
    assert cancelled.status == "cancelled"


def test_sent_rows_are_never_replanned(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    accepted(program, alice)
    row = Notification.objects.get(kind=REMINDER)
    Notification.objects.filter(pk=row.pk).update(status="sent")
    session.starts_at += timedelta(hours=3)
    session.ends_at += timedelta(hours=3)
    session.save()
    reminders.session_rescheduled(session=session)
    assert Notification.objects.get(pk=row.pk).due_at == row.due_at


def test_only_a_change_of_end_replans_program_followups(program, alice):
    set_rules(program, alice, (PROGRAM_FOLLOWUP, 60))
    accepted(program, alice)
    row = Notification.objects.get(kind=PROGRAM_FOLLOWUP)
    program.ends_on = date(2031, 4, 30)
    program.save()
    reminders.program_dates_changed(sender=None, program=program, fields=["title"])
    assert Notification.objects.get(pk=row.pk).due_at == row.due_at
    reminders.program_dates_changed(sender=None, program=program, fields=["ends_on"])
    assert Notification.objects.get(pk=row.pk).due_at == datetime(2031, 5, 1, 1, tzinfo=UTC)


# --- The settings page's list ---------------------------------------------------------------


def test_upcoming_messages_soonest_first_with_their_session(program, alice):
    set_rules(program, alice, (REMINDER, -60), (PROGRAM_FOLLOWUP, 60))
    session = SessionFactory(program=program)
    accepted(program, alice)
    accepted(program, alice)
    Notification.objects.filter(kind=REMINDER).update(status="sent")
    first = Notification.objects.filter(kind=REMINDER).first()
    Notification.objects.filter(pk=first.pk).update(status="pending")
    rows = reminders.upcoming_messages(program, limit=2)
    assert [row.kind for row in rows] == [REMINDER, PROGRAM_FOLLOWUP]
    assert (rows[0].pk, rows[0].session) == (first.pk, session)
    assert rows[1].session is None
    assert len(reminders.upcoming_messages(program)) == 3
