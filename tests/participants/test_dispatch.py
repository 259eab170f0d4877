"""The outbox dispatcher: claiming, sending, retrying, sweeping, the admin's retry."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from exchanges.models import ApplicationStatus
from participants.models import Notification
from participants.outbox import dispatch
from participants.outbox import kinds as messages
from tests.factories import ApplicationFactory, NotificationFactory
from tests.reliability.smtp import SmtpSink, free_port

pytestmark = pytest.mark.django_db


def notice(status=ApplicationStatus.ACCEPTED, kind="application_accepted", **kwargs):
    application = ApplicationFactory(status=status, **kwargs)
    return NotificationFactory(
        recipient=application.applicant, kind=kind,
        dedupe_key=f"{kind}:{application.pk}",
        organization=application.program.organization,
        context={"application": application.pk, "program": application.program_id},
    )


@pytest.fixture
def smtp(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    yield sink
    sink.stop()


def test_dispatch_sends_a_due_notice_once_with_its_message_id():
    row = notice()
    result = dispatch.dispatch_outbox()
    second = dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert (result.sent, second.claimed) == (1, 0)
    assert row.status == "sent"
    assert row.attempts == 1
    assert row.sent_at is not None
    program = row.recipient.applications.get().program
    assert row.subject == f"You are accepted to {program.title}"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [row.recipient.email]
    assert mail.outbox[0].extra_headers["Message-ID"] == messages.message_id(row.dedupe_key)


def test_message_id_is_stable_and_uses_the_site_domain(settings):
    settings.SITE_URL = "https://parley.example.org"
    first = messages.message_id("session_reminder:1:2:-60")
    assert first == messages.message_id("session_reminder:1:2:-60")
    assert first != messages.message_id("session_reminder:1:2:-1440")
    assert first.startswith("<") and first.endswith("@parley.example.org>")
    assert len(first) == len("<@parley.example.org>") + 32


def test_dispatch_leaves_rows_not_yet_due():
    row = notice()
    Notification.objects.filter(pk=row.pk).update(due_at=timezone.now() + timedelta(minutes=5))
    assert dispatch.dispatch_outbox().claimed == 0
    row.refresh_from_db()
    assert row.status == "pending"
    assert mail.outbox == []


def test_claim_due_marks_rows_sending_and_a_second_claim_gets_none():
    rows = [notice() for _ in range(3)]
    claimed = dispatch.claim_due(limit=2)
    again = dispatch.claim_due(limit=5)
    assert [r.pk for r in claimed] == [rows[0].pk, rows[1].pk]
    assert [r.pk for r in again] == [rows[2].pk]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sending"}
    assert dispatch.claim_due(limit=5) == []


def test_sweep_returns_expired_claims_to_pending_and_counts_an_attempt(settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    stale, fresh = notice(), notice()
    old = timezone.now() - timedelta(seconds=61)
    Notification.objects.filter(pk=stale.pk).update(status="sending", claimed_at=old)
    Notification.objects.filter(pk=fresh.pk).update(status="sending", claimed_at=timezone.now())
    assert dispatch.sweep_expired_claims() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.attempts, stale.claimed_at) == ("pending", 1, None)
    assert fresh.status == "sending"


def test_sweep_fails_a_row_that_ran_out_of_attempts(settings):
    settings.OUTBOX_LEASE_SECONDS, settings.OUTBOX_MAX_ATTEMPTS = 60, 3
    row = notice()
    Notification.objects.filter(pk=row.pk).update(
        status="sending", attempts=2, claimed_at=timezone.now() - timedelta(hours=1))
    dispatch.sweep_expired_claims()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("claim expired")


def test_a_lost_claim_does_not_overwrite_the_new_owner():
    row = notice()
    [claimed] = dispatch.claim_due(limit=1)
    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() + timedelta(1))
    dispatch.deliver(claimed)
    row.refresh_from_db()
    assert row.status == "sending"


def test_smtp_delivery_carries_message_id_text_and_html(smtp):
    row = notice()
    dispatch.dispatch_outbox()
    [received] = smtp.messages
    assert received["Message-ID"] == messages.message_id(row.dedupe_key)
    assert received["To"] == row.recipient.email
    types = [part.get_content_type() for part in received.walk()]
    assert types == ["multipart/alternative", "text/plain", "text/html"]


def test_unreachable_server_retries_with_backoff_on_the_row(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.OUTBOX_BACKOFF_SECONDS = 30
    first, second = notice(), notice()
    before = timezone.now()
    result = dispatch.dispatch_outbox()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (result.retried, result.sent) == (1, 0)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error.startswith("ConnectionRefusedError")
    assert before + timedelta(seconds=30) <= first.due_at <= timezone.now() + timedelta(seconds=30)
    # The rest of the batch is given back untouched rather than tried against a dead server.
    assert (second.status, second.attempts, second.last_error) == ("pending", 0, "")


def test_backoff_doubles_and_is_capped(settings):
    settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS = 60, 200
    assert [dispatch.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 200, 200]


def test_last_attempt_marks_the_row_failed_with_the_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.OUTBOX_MAX_ATTEMPTS = 3
    row = notice()
    Notification.objects.filter(pk=row.pk).update(attempts=2)
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("ConnectionRefusedError")


def test_permanent_refusal_fails_at_once_and_the_batch_goes_on(smtp):
    refused, fine = notice(), notice()
    smtp.refuse.add(refused.recipient.email)
    result = dispatch.dispatch_outbox()
    refused.refresh_from_db()
    fine.refresh_from_db()
    assert (result.failed, result.sent) == (1, 1)
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert "550" in refused.last_error
    assert fine.status == "sent"
    assert smtp.message_ids() == [messages.message_id(fine.dedupe_key)]


def test_unknown_kind_fails_with_the_reason():
    row = NotificationFactory(kind="no_such_kind")
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("failed", "unknown message kind 'no_such_kind'")


def test_notice_no_longer_true_is_cancelled_with_the_reason():
    row = notice(status=ApplicationStatus.DECLINED, kind="application_accepted")
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("cancelled", "the application is now declined")
    assert mail.outbox == []


def test_notice_is_sent_even_with_reminders_turned_off():
    row = notice()
    row.recipient.notify_email = False
    row.recipient.save()
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert row.status == "sent"


def test_erased_recipient_gets_nothing():
    row = notice()
    row.recipient.erased_at = timezone.now()
    row.recipient.save()
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("cancelled", "the recipient's account was erased")


def test_retry_failed_makes_failed_rows_pending_and_due_now():
    failed = NotificationFactory(status="failed", attempts=6, last_error="boom")
    sent = NotificationFactory(status="sent")
    assert dispatch.retry_failed(notifications=Notification.objects.all()) == 1
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 0, "")
    assert failed.due_at <= timezone.now()
    assert sent.status == "sent"


def test_admin_shows_the_error_of_failed_rows_and_retries_them(admin_client):
    failed = NotificationFactory(status="failed", attempts=6,
                                 last_error="SMTPRecipientsRefused: 550 No such mailbox")
    NotificationFactory(status="sent", last_error="not an error to show")
    url = reverse("admin:participants_notification_changelist")
    page = admin_client.get(url, {"status__exact": "failed"}).content.decode()
    assert "SMTPRecipientsRefused: 550 No such mailbox" in page
    response = admin_client.post(url, {"action": "retry", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "pending"

