"""Reminder planning, rule by rule: the schedule's limits, what is planned when, and how
planned rows move, revive or stay."""

from datetime import UTC, date, datetime, timedelta
from unittest.mock import ANY

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
    other = UserFactory()
    cancelled = NotificationFactory(
        kind=REMINDER, status="cancelled", recipient=other,
        dedupe_key=f"{REMINDER}:{session.pk}:{other.pk}:-60", context={"program": program.pk})
    ApplicationFactory(program=program, side=program.sides.first(), status="accepted",
                       applicant=other)
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


# --- A session's facilitators ---------------------------------------------------------------


FACILITATOR = reminders.FACILITATOR_REMINDER


def facilitated_session(program, *people):
    session = SessionFactory(program=program)
    session.facilitators.add(*people)
    return session


def facilitator_rows(**filters):
    return {row.dedupe_key: row.status
            for row in Notification.objects.filter(kind=FACILITATOR, **filters)}


def test_facilitators_get_the_session_reminders_under_their_own_kind(program, alice):
    set_rules(program, alice, (REMINDER, -60), (FOLLOWUP, 30), (PROGRAM_FOLLOWUP, 60))
    helper = UserFactory()
    session = facilitated_session(program, helper)
    reminders.session_created(session=session)
    [row] = Notification.objects.filter(recipient=helper)
    assert (row.kind, row.dedupe_key, row.status) == (
        FACILITATOR, f"{FACILITATOR}:{session.pk}:{helper.pk}:-60", "pending")
    assert row.due_at == session.starts_at - timedelta(minutes=60)
    assert row.context == {"session": session.pk, "program": program.pk, "offset": -60}
    assert row.organization_id == program.organization_id


def test_a_facilitator_reminder_already_past_is_not_planned(program, alice, monkeypatch):
    set_rules(program, alice, (REMINDER, -60), (REMINDER, -30))
    helper = UserFactory()
    session = facilitated_session(program, helper)
    monkeypatch.setattr(reminders.timezone, "now",
                        lambda: session.starts_at - timedelta(minutes=45))
    reminders.session_created(session=session)
    assert facilitator_rows() == {f"{FACILITATOR}:{session.pk}:{helper.pk}:-30": "pending"}


def test_a_facilitator_taken_off_loses_that_sessions_pending_reminders_only(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    leaving, staying, coming = UserFactory(), UserFactory(), UserFactory()
    session = facilitated_session(program, leaving, staying)
    other = facilitated_session(program, leaving)
    accepted(program, alice)
    reminders.session_created(session=session)
    reminders.session_created(session=other)
    session.facilitators.remove(leaving)
    session.facilitators.add(coming)
    reminders.facilitators_changed(session=session, removed=[leaving.pk])
    s, o = session.pk, other.pk
    assert facilitator_rows() == {
        f"{FACILITATOR}:{s}:{leaving.pk}:-60": "cancelled",
        f"{FACILITATOR}:{s}:{staying.pk}:-60": "pending",
        f"{FACILITATOR}:{s}:{coming.pk}:-60": "pending",
        f"{FACILITATOR}:{o}:{leaving.pk}:-60": "pending",
    }
    gone = Notification.objects.get(dedupe_key=f"{FACILITATOR}:{s}:{leaving.pk}:-60")
    assert gone.last_error == "the recipient no longer facilitates the session"
    assert {status for status, _ in planned().values()} == {"pending"}


def test_a_cancelled_session_cancels_its_facilitators_reminders_too(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    helper = UserFactory()
    session = facilitated_session(program, helper)
    reminders.session_created(session=session)
    assert reminders.session_cancelled(session=session) == 1
    assert facilitator_rows() == {f"{FACILITATOR}:{session.pk}:{helper.pk}:-60": "cancelled"}


def test_a_reminder_offset_removed_cancels_the_facilitators_rows_of_this_program_only(
        program, alice, org):
    set_rules(program, alice, (REMINDER, -60), (REMINDER, -30))
    helper = UserFactory()
    session = facilitated_session(program, helper)
    reminders.session_created(session=session)
    other = program_with_sides(organization=org)
    set_rules(other, alice, (REMINDER, -60))
    elsewhere = facilitated_session(other, helper)
    reminders.session_created(session=elsewhere)
    set_rules(program, alice, (REMINDER, -30), (FOLLOWUP, 60))
    assert facilitator_rows() == {
        f"{FACILITATOR}:{session.pk}:{helper.pk}:-60": "cancelled",
        f"{FACILITATOR}:{session.pk}:{helper.pk}:-30": "pending",
        f"{FACILITATOR}:{elsewhere.pk}:{helper.pk}:-60": "pending",
    }
    removed = Notification.objects.get(dedupe_key=f"{FACILITATOR}:{session.pk}:{helper.pk}:-60")
    assert removed.last_error == "removed from the program's reminder schedule"


def test_a_schedule_change_plans_the_facilitators_of_every_scheduled_session(program, alice):
    helper = UserFactory()
    session = facilitated_session(program, helper)
    cancelled = SessionFactory(program=program, status="cancelled")
    cancelled.facilitators.add(helper)
    set_rules(program, alice, (REMINDER, -60))
    assert facilitator_rows() == {f"{FACILITATOR}:{session.pk}:{helper.pk}:-60": "pending"}
    assert Notification.objects.get(recipient=helper).organization_id == program.organization_id


# --- A session of one group -----------------------------------------------------------------


def group_of(program, *people):
    from dialogues.models import DialogueGroup, GroupMember, GroupRound

    round_ = GroupRound.objects.create(program=program, number=GroupRound.objects.filter(
        program=program).count() + 1, size=4)
    group = DialogueGroup.objects.create(round=round_, number=1)
    for person in people:
        GroupMember.objects.create(round=round_, group=group, participant=person)
    return group


def test_a_group_sessions_audience_is_its_accepted_members(program, alice):
    inside, outside, also_inside = (accepted(program, alice).applicant for _ in range(3))
    not_accepted = UserFactory()
    group = group_of(program, also_inside, inside, not_accepted)
    session = SessionFactory(program=program, group=group)
    assert reminders.session_audience(session) == sorted([inside.pk, also_inside.pk])
    assert reminders.session_audience(session, [also_inside.pk, outside.pk]) == [
        also_inside.pk]
    everyone = SessionFactory(program=program)
    assert reminders.session_audience(everyone) == sorted(
        [inside.pk, outside.pk, also_inside.pk])
    assert reminders.session_audience(everyone, [outside.pk]) == [outside.pk]


def test_a_group_sessions_reminders_reach_its_members_only(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    member, other = accepted(program, alice).applicant, accepted(program, alice).applicant
    session = SessionFactory(program=program, group=group_of(program, member))
    reminders.session_created(session=session)
    assert set(planned(context__session=session.pk)) == {
        f"{REMINDER}:{session.pk}:{member.pk}:-60"}
    assert other.pk not in {row.recipient_id for row in Notification.objects.filter(
        context__session=session.pk)}


def test_who_leaves_a_sessions_group_loses_its_pending_reminders_only(program, alice):
    set_rules(program, alice, (REMINDER, -60), (FOLLOWUP, 30), (PROGRAM_FOLLOWUP, 60))
    staying, leaving = accepted(program, alice).applicant, accepted(program, alice).applicant
    group = group_of(program, staying, leaving)
    session = SessionFactory(program=program, group=group)
    helper = UserFactory()
    session.facilitators.add(helper)
    other = SessionFactory(program=program)
    reminders.session_created(session=session)
    reminders.session_created(session=other)
    sent = f"{FOLLOWUP}:{session.pk}:{leaving.pk}:30"
    Notification.objects.filter(dedupe_key=sent).update(status="sent")
    group.members.filter(participant=leaving).delete()
    newcomer = accepted(program, alice).applicant
    group.members.create(round=group.round, participant=newcomer)
    reminders.session_audience_changed(session=session)
    s = session.pk
    assert {key: status for key, (status, _) in planned(context__session=s).items()} == {
        f"{REMINDER}:{s}:{staying.pk}:-60": "pending",
        f"{FOLLOWUP}:{s}:{staying.pk}:30": "pending",
        f"{REMINDER}:{s}:{leaving.pk}:-60": "cancelled",
        sent: "sent",
        f"{REMINDER}:{s}:{newcomer.pk}:-60": "pending",
        f"{FOLLOWUP}:{s}:{newcomer.pk}:30": "pending",
    }
    gone = Notification.objects.get(dedupe_key=f"{REMINDER}:{s}:{leaving.pk}:-60")
    assert gone.last_error == "the recipient is not in the session's group"
    assert facilitator_rows() == {f"{FACILITATOR}:{s}:{helper.pk}:-60": "pending"}
    assert Notification.objects.get(dedupe_key=f"{REMINDER}:{other.pk}:{leaving.pk}:-60"
                                    ).status == "pending"
    assert Notification.objects.get(kind=PROGRAM_FOLLOWUP, recipient=leaving).status == "pending"


# --- Times beyond the calendar --------------------------------------------------------------


def test_a_program_ending_on_the_last_day_of_the_calendar_has_no_followups(program, alice):
    program.ends_on = date.max
    assert reminders.program_followup_base(program) is None
    program.save()
    set_rules(program, alice, (PROGRAM_FOLLOWUP, 60))
    accepted(program, alice)
    assert planned() == {}


def test_a_due_time_outside_the_valid_years_is_never_planned():
    last = datetime(2200, 12, 31, 23, 0, tzinfo=UTC)
    assert reminders._due(last, 59) == datetime(2200, 12, 31, 23, 59, tzinfo=UTC)
    assert reminders._due(last, 60) is None
    assert reminders._due(datetime.max.replace(tzinfo=UTC), 1) is None
    assert reminders._due(None, 1) is None


# --- Leaving other messages alone, and the cost of planning ---------------------------------


def test_a_cancelled_session_leaves_its_cancellation_notices_pending(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    user = accepted(program, alice).applicant
    notice = NotificationFactory(recipient=user, kind="session_cancelled",
                                 dedupe_key=f"session_cancelled:{session.pk}:{user.pk}",
                                 context={"session": session.pk, "program": program.pk})
    assert reminders.session_cancelled(session=session) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == ("pending", "")


def test_a_schedule_change_costs_the_same_queries_for_one_or_many_sessions(alice, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 3):
        each = program_with_sides(organization=org)
        accepted(each, alice)
        for _ in range(n):
            facilitated_session(each, UserFactory())
        with CaptureQueriesContext(connection) as queries:
            set_rules(each, alice, (REMINDER, -60))
        counts.append(len(queries))
        assert len(facilitator_rows(context__program=each.pk)) == n
    assert counts[0] == counts[1]


def test_upcoming_messages_are_fifty_by_default_with_their_recipients_read_at_once(
        program, alice, django_assert_num_queries):
    people = [UserFactory() for _ in range(51)]
    due = timezone.now() + timedelta(days=1)
    Notification.objects.bulk_create(
        Notification(recipient=person, kind=PROGRAM_FOLLOWUP, due_at=due,
                     dedupe_key=f"{PROGRAM_FOLLOWUP}:{program.pk}:{person.pk}:60",
                     context={"program": program.pk, "offset": 60})
        for person in people)
    with django_assert_num_queries(1):
        rows = reminders.upcoming_messages(program)
        names = [row.recipient.display_name for row in rows]
    assert names == [person.display_name for person in people[:50]]


def test_a_new_session_is_not_planned_for_those_accepted_to_another_program(program, alice,
                                                                           org):
    set_rules(program, alice, (REMINDER, -60))
    elsewhere = program_with_sides(organization=org)
    stranger = accepted(elsewhere, alice).applicant
    seated = accepted(program, alice).applicant
    session = SessionFactory(program=program)
    reminders.session_created(session=session)
    assert set(planned(context__session=session.pk)) == {
        f"{REMINDER}:{session.pk}:{seated.pk}:-60"}
    assert reminders.session_audience(session) == [seated.pk]
    assert stranger.pk not in reminders.session_audience(session)


def test_accepting_one_person_plans_that_persons_messages_only(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    first = accepted(program, alice).applicant
    # The first person erased their account: their pending messages were cancelled.
    Notification.objects.filter(recipient=first).update(
        status="cancelled", last_error="recipient erased their account")
    second = accepted(program, alice).applicant
    assert planned(context__session=session.pk) == {
        f"{REMINDER}:{session.pk}:{first.pk}:-60": ("cancelled", ANY),
        f"{REMINDER}:{session.pk}:{second.pk}:-60": ("pending", ANY),
    }


def test_accepting_plans_this_programs_sessions_only(program, alice, org):
    set_rules(program, alice, (REMINDER, -60))
    elsewhere = program_with_sides(organization=org)
    set_rules(elsewhere, alice, (REMINDER, -60))
    SessionFactory(program=elsewhere)
    user = accepted(program, alice).applicant
    assert planned(recipient=user) == {}


# --- Rows that stay as they are -------------------------------------------------------------
# Planning again revives a cancelled row still ahead (attempts back to 0): a row wrongly
# cancelled on the way would come back changed. A retried row (attempts 2) shows it.


def mark_retried(**filters):
    Notification.objects.filter(**filters).update(attempts=2, last_error="451 busy")


def retried(key):
    row = Notification.objects.get(dedupe_key=key)
    return row.status, row.attempts, row.last_error


def test_a_reminder_offset_kept_leaves_the_facilitators_rows_as_they_are(program, alice):
    set_rules(program, alice, (REMINDER, -60), (REMINDER, -30), (FOLLOWUP, 30))
    helper = UserFactory()
    session = facilitated_session(program, helper)
    reminders.session_created(session=session)
    mark_retried(kind=FACILITATOR)
    set_rules(program, alice, (REMINDER, -30), (PROGRAM_FOLLOWUP, 60))
    assert retried(f"{FACILITATOR}:{session.pk}:{helper.pk}:-30") == ("pending", 2, "451 busy")


def test_taking_a_facilitator_off_leaves_every_other_row_of_the_session_as_it_is(program,
                                                                              alice):
    set_rules(program, alice, (REMINDER, -60))
    leaving, staying = UserFactory(), UserFactory()
    accepted(program, alice, leaving)  # also a participant of the session
    session = facilitated_session(program, leaving, staying)
    reminders.session_created(session=session)
    mark_retried(context__session=session.pk)
    session.facilitators.remove(leaving)
    reminders.facilitators_changed(session=session, removed=[leaving.pk])
    s = session.pk
    assert retried(f"{FACILITATOR}:{s}:{leaving.pk}:-60")[0] == "cancelled"
    assert retried(f"{FACILITATOR}:{s}:{staying.pk}:-60") == ("pending", 2, "451 busy")
    assert retried(f"{REMINDER}:{s}:{leaving.pk}:-60") == ("pending", 2, "451 busy")


def test_a_group_change_leaves_the_facilitators_rows_as_they_are(program, alice):
    set_rules(program, alice, (REMINDER, -60))
    member = accepted(program, alice).applicant
    helper = UserFactory()
    session = SessionFactory(program=program, group=group_of(program, member))
    session.facilitators.add(helper)
    reminders.session_created(session=session)
    mark_retried(kind=FACILITATOR)
    reminders.session_audience_changed(session=session)
    assert retried(f"{FACILITATOR}:{session.pk}:{helper.pk}:-60") == ("pending", 2, "451 busy")


def test_hundreds_of_planned_rows_all_move_with_their_session(program, alice):
    offsets = range(-1, -603, -1)  # 602 reminders: the existing rows are read in batches
    set_rules(program, alice, *[(REMINDER, offset) for offset in offsets])
    session = SessionFactory(program=program)
    accepted(program, alice)
    session.starts_at += timedelta(hours=1)
    session.ends_at += timedelta(hours=1)
    session.save()
    reminders.session_rescheduled(session=session)
    assert sorted(due for _, due in planned(status="pending").values()) == sorted(
        session.starts_at + timedelta(minutes=offset) for offset in offsets)
    assert Notification.objects.filter(kind=REMINDER).count() == 602


def test_a_row_the_dispatcher_claims_while_planning_is_left_to_it(program, alice, monkeypatch):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    accepted(program, alice)
    row = Notification.objects.get(kind=REMINDER)
    replanned = reminders._replanned

    def claimed_meanwhile(existing, due_at, now):
        # The dispatcher claims the row after planning read it, before it is moved.
        Notification.objects.filter(pk=existing.pk).update(status="sending")
        return replanned(existing, due_at, now)

    monkeypatch.setattr(reminders, "_replanned", claimed_meanwhile)
    session.starts_at += timedelta(hours=3)
    session.ends_at += timedelta(hours=3)
    session.save()
    reminders.session_rescheduled(session=session)
    claimed = Notification.objects.get(pk=row.pk)
    assert (claimed.status, claimed.due_at) == ("sending", row.due_at)


def test_a_row_another_planner_creates_meanwhile_is_kept_once(program, alice, monkeypatch):
    set_rules(program, alice, (REMINDER, -60))
    session = SessionFactory(program=program)
    first = accepted(program, alice).applicant
    second = ApplicationFactory(program=program, side=program.sides.first(),
                                status="accepted").applicant  # not planned yet
    key = f"{REMINDER}:{session.pk}:{second.pk}:-60"
    replanned = reminders._replanned

    def planned_elsewhere_meanwhile(existing, due_at, now):
        # Another planner (the same change seen twice) writes the second person's row
        # after this one looked for it.
        NotificationFactory(recipient=second, kind=REMINDER, dedupe_key=key, due_at=due_at,
                            context={"session": session.pk, "program": program.pk,
                                     "offset": -60})
        return replanned(existing, due_at, now)

    monkeypatch.setattr(reminders, "_replanned", planned_elsewhere_meanwhile)
    reminders.session_created(session=session)
    assert set(planned(context__session=session.pk)) == {
        f"{REMINDER}:{session.pk}:{first.pk}:-60", key}
