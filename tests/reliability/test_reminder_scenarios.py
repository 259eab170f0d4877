"""Reschedule, cancel, withdraw, preference off, a reminder past its session's start:
with a real worker, the right messages arrive and no others."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dialogues import services as sessions
from dialogues.models import RSVP, Session
from dialogues.reminders import services as reminders
from exchanges import services
from participants.models import Notification
from participants.outbox.kinds import message_id
from tests.factories import (
    ApplicationFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)
from tests.reliability.conftest import wait_until

pytestmark = [
    pytest.mark.reliability, pytest.mark.postgres, pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def nothing_due_left() -> bool:
    return not Notification.objects.filter(
        status__in=["pending", "sending"], due_at__lte=timezone.now()).exists()


def row(kind, session, user, offset=-60) -> Notification:
    return Notification.objects.get(dedupe_key=f"{kind}:{session.pk}:{user.pk}:{offset}")


def test_reminders_go_only_where_they_still_belong(stack, sink, org, alice):
    program = program_with_sides(organization=org)
    reminders.default_schedule(sender=None, program=program)
    hour_ahead = timezone.now() + timedelta(minutes=60, seconds=8)  # -60 reminder due in 8 s
    kept, moved, cancelled, started = (
        SessionFactory(program=program, starts_at=hour_ahead, title=title)
        for title in ("Kept", "Moved", "Cancelled", "Started"))
    normal, quiet, leaving, declining = (UserFactory() for _ in range(4))
    applications = {}
    for user in (normal, quiet, leaving, declining):
        application = ApplicationFactory(program=program, side=program.sides.first(),
                                         applicant=user)
        applications[user] = services.application_accept(application=application, actor=alice)

    quiet.notify_email = False
    quiet.save()
    services.application_withdraw(application=applications[leaving], actor=leaving)
    RSVP.objects.create(session=kept, participant=declining, response="no")
    moved.starts_at += timedelta(days=3)
    moved.ends_at += timedelta(days=3)
    moved.save()
    reminders.session_rescheduled(session=moved)
    RSVP.objects.create(session=cancelled, participant=normal, response="yes")
    sessions.session_cancel(session=cancelled, actor=alice, reason="Venue closed")
    # The worker was down until after this session started: its reminder is late.
    Session.objects.filter(pk=started.pk).update(
        starts_at=timezone.now() - timedelta(minutes=1))

    stack.worker()
    stack.beat()
    expected = {
        message_id(f"application_accepted:{applications[user].pk}")
        for user in (normal, quiet, declining)
    } | {
        # API v1.1: a cancellation tells every accepted participant who had not said no.
        message_id(f"session_cancelled:{cancelled.pk}:{user.pk}")
        for user in (normal, quiet, declining)
    } | {
        message_id(f"session_reminder:{kept.pk}:{normal.pk}:-60"),
    }
    assert sink.wait_for(len(expected), 60), stack.logs()
    assert wait_until(nothing_due_left, 30)
    assert sink.duplicates() == {}
    assert set(sink.message_ids()) == expected

    outcomes = {
        name: (r.status, r.last_error) for name, r in {
            "quiet": row("session_reminder", kept, quiet),
            "leaving": row("session_reminder", kept, leaving),
            "declining": row("session_reminder", kept, declining),
            "started": row("session_reminder", started, normal),
        }.items()
    }
    assert row("session_reminder", cancelled, normal).status == "cancelled"
    assert outcomes == {
        "quiet": ("cancelled", "the recipient turned reminder and follow-up emails off"),
        "leaving": ("cancelled", "the application was withdrawn"),
        "declining": ("cancelled", "the recipient answered no"),
        "started": ("missed", "the session had already started"),
    }
    still_planned = row("session_reminder", moved, normal)
    assert (still_planned.status, still_planned.due_at) == (
        "pending", moved.starts_at - timedelta(minutes=60))
