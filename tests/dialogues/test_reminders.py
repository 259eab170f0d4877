"""Planning reminders and follow-ups, and what their handlers send or hold back."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from dialogues.models import RSVP, ReminderRule
from dialogues.reminders import services as reminders
from exchanges import services
from exchanges.services import SideSpec
from participants.models import Notification
from participants.outbox import dispatch
from tests.factories import ApplicationFactory, SessionFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    program = program_with_sides("North", "South", organization=org,
                                 starts_on=date(2031, 3, 1), ends_on=date(2031, 3, 31))
    reminders.default_schedule(sender=None, program=program)
    return program


@pytest.fixture
def session(program):
    return SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=7),
                          location="Ledra Palace", timezone="Asia/Nicosia")


def accept(program, user, actor):
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=user)
    return services.application_accept(application=application, actor=actor)


def rows(**filters):
    return {
        (n.kind, n.dedupe_key, n.status): n.due_at
        for n in Notification.objects.filter(kind__in=reminders.REMINDER_KINDS, **filters)
    }


def test_a_new_program_gets_the_default_schedule(org, alice):
    program = services.program_create(
        organization=org, actor=alice, sides=[SideSpec("North"), SideSpec("South")],
        title="Bridges", kind="dialogue", starts_on=date(2031, 3, 1), ends_on=date(2031, 3, 2),
        capacity=10)
    assert reminders.reminder_schedule(program) == [
        ("session_reminder", -1440), ("session_reminder", -60), ("session_followup", 1440),
        ("program_followup", 43200), ("program_followup", 129600),
    ]


def test_accepting_plans_every_upcoming_session_and_the_program_followups(
        program, session, bob, alice):
    accept(program, bob, alice)
    end = datetime(2031, 4, 1, tzinfo=UTC)
    s, p, u = session.pk, program.pk, bob.pk
    assert rows() == {
        ("session_reminder", f"session_reminder:{s}:{u}:-1440", "pending"):
            session.starts_at - timedelta(days=1),
        ("session_reminder", f"session_reminder:{s}:{u}:-60", "pending"):
            session.starts_at - timedelta(hours=1),
        ("session_followup", f"session_followup:{s}:{u}:1440", "pending"):
            session.ends_at + timedelta(days=1),
        ("program_followup", f"program_followup:{p}:{u}:43200", "pending"):
            end + timedelta(days=30),
        ("program_followup", f"program_followup:{p}:{u}:129600", "pending"):
            end + timedelta(days=90),
    }
    assert set(Notification.objects.filter(recipient=bob).values_list("organization", flat=True)
               ) == {program.organization_id}


def test_a_due_time_already_past_when_planned_is_not_planned(program, bob, alice):
    soon = SessionFactory(program=program, starts_at=timezone.now() + timedelta(minutes=30))
    accept(program, bob, alice)
    assert sorted(k for _kind, k, _s in rows(context__session=soon.pk)) == [
        f"session_followup:{soon.pk}:{bob.pk}:1440"]


def test_planning_twice_changes_nothing(program, session, bob, alice):
    application = accept(program, bob, alice)
    before = rows()
    reminders.plan_for_participant(application=application)
    reminders.session_created(session=session)
    assert rows() == before


def test_promoted_from_the_waitlist_gets_reminders(program, session, alice):
    program.capacity = 2
    program.save()
    first, waiting = UserFactory(), UserFactory()
    north = program.sides.first()
    taken = services.application_accept(
        application=ApplicationFactory(program=program, side=north, applicant=first), actor=alice)
    services.application_waitlist(
        application=ApplicationFactory(program=program, side=north, applicant=waiting),
        actor=alice)
    assert rows(recipient=waiting) == {}
    services.application_withdraw(application=taken, actor=first)
    assert len(rows(recipient=waiting, status="pending")) == 5
    assert len(rows(recipient=first, status="cancelled")) == 5


@pytest.mark.parametrize("how", ["withdraw", "decline"])
def test_withdrawn_or_declined_cancels_pending_rows_and_keeps_sent_ones(
        program, session, bob, alice, how):
    application = accept(program, bob, alice)
    sent = Notification.objects.get(dedupe_key=f"session_reminder:{session.pk}:{bob.pk}:-1440")
    Notification.objects.filter(pk=sent.pk).update(status="sent")
    if how == "withdraw":
        services.application_withdraw(application=application, actor=bob)
    else:
        services.application_decline(application=application, actor=alice)
    statuses = sorted(Notification.objects.filter(recipient=bob, kind__in=reminders.REMINDER_KINDS)
                      .values_list("status", flat=True))
    assert statuses == ["cancelled"] * 4 + ["sent"]
    reason = f"the application was {'withdrawn' if how == 'withdraw' else 'declined'}"
    assert set(Notification.objects.filter(recipient=bob, status="cancelled")
               .values_list("last_error", flat=True)) == {reason}


def test_a_new_session_is_planned_for_everyone_accepted(program, bob, charlie, alice):
    accept(program, bob, alice)
    accept(program, charlie, alice)
    later = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=3))
    reminders.session_created(session=later)
    assert len(rows(context__session=later.pk)) == 6


def test_rescheduling_moves_pending_rows_and_misses_those_now_past(program, session, bob, alice):
    accept(program, bob, alice)
    old_day_before = session.starts_at - timedelta(days=1)
    session.starts_at = timezone.now() + timedelta(minutes=90)
    session.ends_at = session.starts_at + timedelta(hours=2)
    session.save()
    reminders.session_rescheduled(session=session)
    s, u = session.pk, bob.pk
    assert rows(context__session=s) == {
        ("session_reminder", f"session_reminder:{s}:{u}:-1440", "missed"): old_day_before,
        ("session_reminder", f"session_reminder:{s}:{u}:-60", "pending"):
            session.starts_at - timedelta(hours=1),
        ("session_followup", f"session_followup:{s}:{u}:1440", "pending"):
            session.ends_at + timedelta(days=1),
    }
    missed = Notification.objects.get(dedupe_key=f"session_reminder:{s}:{u}:-1440")
    assert missed.last_error == reminders.PAST_WHEN_PLANNED


def test_rescheduling_later_revives_a_missed_reminder(program, session, bob, alice):
    accept(program, bob, alice)
    key = f"session_reminder:{session.pk}:{bob.pk}:-1440"
    Notification.objects.filter(dedupe_key=key).update(status="missed", last_error="late")
    session.starts_at += timedelta(days=7)
    session.ends_at += timedelta(days=7)
    session.save()
    reminders.session_rescheduled(session=session)
    row = Notification.objects.get(dedupe_key=key)
    assert (row.status, row.due_at, row.last_error) == (
        "pending", session.starts_at - timedelta(days=1), "")


def test_changing_the_schedule_replans_pending_rows_and_keeps_sent_ones(
        program, session, bob, alice):
    accept(program, bob, alice)
    sent_key = f"session_reminder:{session.pk}:{bob.pk}:-60"
    Notification.objects.filter(dedupe_key=sent_key).update(status="sent")
    reminders.reminder_schedule_set(program=program, actor=alice, rules=[
        ("session_reminder", -120), ("program_followup", 43200)])
    by_key = dict(Notification.objects.filter(recipient=bob).values_list("dedupe_key", "status"))
    s, p, u = session.pk, program.pk, bob.pk
    assert by_key == {
        f"session_reminder:{s}:{u}:-1440": "cancelled",
        f"session_reminder:{s}:{u}:-60": "sent",
        f"session_reminder:{s}:{u}:-120": "pending",
        f"session_followup:{s}:{u}:1440": "cancelled",
        f"program_followup:{p}:{u}:43200": "pending",
        f"program_followup:{p}:{u}:129600": "cancelled",
        f"application_accepted:{bob.applications.get().pk}": "pending",
    }
    assert list(ReminderRule.objects.filter(program=program).values_list(
        "kind", "offset_minutes").order_by("offset_minutes")) == [
        ("session_reminder", -120), ("program_followup", 43200)]


def test_a_rule_put_back_revives_its_cancelled_rows(program, session, bob, alice):
    accept(program, bob, alice)
    default = reminders.reminder_schedule(program)
    reminders.reminder_schedule_set(program=program, actor=alice, rules=[])
    assert set(Notification.objects.filter(kind__in=reminders.REMINDER_KINDS)
               .values_list("status", flat=True)) == {"cancelled"}
    reminders.reminder_schedule_set(program=program, actor=alice, rules=default)
    assert set(Notification.objects.filter(kind__in=reminders.REMINDER_KINDS)
               .values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize(("kind", "offset"), [
    ("session_reminder", 60), ("session_reminder", 0), ("session_followup", -5),
    ("program_followup", 0), ("birthday", 10), ("program_followup", 10 ** 7),
])
def test_schedule_refuses_a_wrong_kind_or_offset_sign(program, alice, kind, offset):
    with pytest.raises(ValidationError) as caught:
        reminders.reminder_schedule_set(program=program, actor=alice, rules=[(kind, offset)])
    assert list(caught.value.message_dict) == ["rules"]
    assert len(reminders.reminder_schedule(program)) == 5


# --- Handlers, right before sending ---------------------------------------------------------


def make_due(key):
    Notification.objects.filter(dedupe_key=key).update(due_at=timezone.now())
    return key


def outcome(key):
    row = Notification.objects.get(dedupe_key=key)
    return row.status, row.last_error


def test_reminder_email_has_local_time_place_link_and_calendar_file(program, bob, alice):
    bob.timezone = "America/New_York"
    bob.save()
    session = SessionFactory(program=program, title="Storytelling circle",
                             starts_at=datetime(2031, 3, 3, 7, 0, tzinfo=UTC),
                             ends_at=datetime(2031, 3, 3, 9, 0, tzinfo=UTC),
                             timezone="Asia/Nicosia", location="Ledra Palace",
                             online_url="https://meet.example.org/circle")
    accept(program, bob, alice)
    key = make_due(f"session_reminder:{session.pk}:{bob.pk}:-60")
    dispatch.dispatch_outbox()
    assert outcome(key) == ("sent", "")
    [email] = [m for m in mail.outbox if "Reminder" in m.subject]
    day = "Mon 3 Mar" if timezone.now().year == 2031 else "Mon 3 Mar 2031"  # year if not this
    assert email.subject == f"Reminder: Storytelling circle, {day}, 02:00 (New York, UTC\u22125)"
    assert (f"When: {day}, 02:00 (New York, UTC\u22125) \u00b7 {day}, 09:00 (Nicosia, UTC+2)"
            in email.body)
    assert "Place: Ledra Palace" in email.body
    assert "Online link: https://meet.example.org/circle" in email.body
    [(filename, content, mimetype)] = email.attachments
    assert (filename, mimetype) == ("session.ics", "text/calendar")
    ics = content.decode() if isinstance(content, bytes) else content
    assert "DTSTART:20310303T070000Z" in ics
    assert "LOCATION:Ledra Palace" in ics
    html = email.alternatives[0][0]
    assert '<time class="time" datetime="2031-03-03T07:00:00Z">' in html


def test_reminder_is_cancelled_for_someone_who_answered_no(program, session, bob, alice):
    accept(program, bob, alice)
    RSVP.objects.create(session=session, participant=bob, response="no")
    key = make_due(f"session_reminder:{session.pk}:{bob.pk}:-1440")
    dispatch.dispatch_outbox()
    assert outcome(key) == ("cancelled", "the recipient answered no")


def test_reminder_respects_the_preference(program, session, bob, alice):
    accept(program, bob, alice)
    bob.notify_email = False
    bob.save()
    key = make_due(f"session_reminder:{session.pk}:{bob.pk}:-1440")
    dispatch.dispatch_outbox()
    assert outcome(key) == ("cancelled", "the recipient turned reminder and follow-up emails off")


def test_reminder_after_the_start_is_missed(program, session, bob, alice):
    accept(program, bob, alice)
    key = make_due(f"session_reminder:{session.pk}:{bob.pk}:-60")
    session.starts_at = timezone.now() - timedelta(minutes=1)
    session.save()
    dispatch.dispatch_outbox()
    assert outcome(key) == ("missed", "the session had already started")


def test_reminder_of_a_cancelled_session_is_cancelled(program, session, bob, alice):
    accept(program, bob, alice)
    key = make_due(f"session_reminder:{session.pk}:{bob.pk}:-60")
    session.status = "cancelled"
    session.save()
    dispatch.dispatch_outbox()
    assert outcome(key) == ("cancelled", "the session was cancelled")


@pytest.mark.parametrize(("response", "attended", "others_attended", "expected"), [
    ("yes", None, None, "sent"),
    ("no", None, None, "cancelled"),
    (None, None, None, "cancelled"),
    ("yes", True, None, "sent"),
    ("yes", False, True, "cancelled"),
    ("no", True, None, "sent"),
])
def test_followup_goes_to_attendees_or_else_to_those_who_said_yes(
        program, session, bob, charlie, alice, response, attended, others_attended, expected):
    accept(program, bob, alice)
    accept(program, charlie, alice)
    if response:
        RSVP.objects.create(session=session, participant=bob, response=response,
                            attended=attended)
    if others_attended is not None:
        RSVP.objects.create(session=session, participant=charlie, response="yes",
                            attended=others_attended)
    key = make_due(f"session_followup:{session.pk}:{bob.pk}:1440")
    dispatch.dispatch_outbox()
    assert outcome(key)[0] == expected


def test_program_followup_is_sent_to_the_accepted(program, bob, alice):
    accept(program, bob, alice)
    key = make_due(f"program_followup:{program.pk}:{bob.pk}:43200")
    dispatch.dispatch_outbox()
    assert outcome(key) == ("sent", "")
    [email] = [m for m in mail.outbox if "looking back" in m.subject]
    assert "It has been 30 days since" in email.body


def test_cancellation_notice_is_sent_even_with_reminders_off(program, session, bob):
    bob.notify_email = False
    bob.save()
    Notification.objects.create(recipient=bob, kind="session_cancelled",
                                dedupe_key=f"session_cancelled:{session.pk}:{bob.pk}",
                                due_at=timezone.now(), context={"session": session.pk})
    dispatch.dispatch_outbox()
    assert outcome(f"session_cancelled:{session.pk}:{bob.pk}") == ("sent", "")
    assert mail.outbox[0].subject == f"Cancelled: {session.title}"


def test_moving_the_program_end_moves_its_pending_followups(program, bob, alice):
    accept(program, bob, alice)
    services.program_update(program=program, actor=alice, ends_on=date(2031, 4, 30))
    followups = Notification.objects.filter(kind="program_followup", recipient=bob)
    assert sorted(followups.values_list("due_at", flat=True)) == [
        datetime(2031, 5, 1, tzinfo=UTC) + timedelta(days=30),
        datetime(2031, 5, 1, tzinfo=UTC) + timedelta(days=90),
    ]


def test_rescheduling_takes_the_same_queries_for_one_or_many_participants(program, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 4):
        session = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=9))
        for _ in range(n):
            accept(program, UserFactory(), alice)
        reminders.session_created(session=session)  # as the service does
        session.starts_at += timedelta(hours=2)
        session.ends_at += timedelta(hours=2)
        session.save()
        with CaptureQueriesContext(connection) as queries:
            reminders.session_rescheduled(session=session)
        counts.append(len(queries))
        reminders_of_session = Notification.objects.filter(
            context__session=session.pk, kind="session_reminder")
        assert set(reminders_of_session.values_list("due_at", flat=True)) == {
            session.starts_at - timedelta(days=1), session.starts_at - timedelta(hours=1)}
    assert counts[0] == counts[1]
