"""The dispatcher's rules, written so that a dispatcher that breaks one fails here.

Rows are of a test kind whose rendering each test controls. The mail server is a real
one on loopback (aiosmtpd) that counts connections, or a scripted backend that answers
each recipient as the test says and can go away part-way through a batch.
"""

import smtplib
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from participants.models import Notification
from participants.outbox import dispatch
from participants.outbox import kinds as messages
from tests.factories import NotificationFactory
from tests.reliability.smtp import SmtpSink, free_port

pytestmark = pytest.mark.django_db

KIND = "spec_note"


class Renderer:
    """Builds every message of the test kind, except those the test breaks."""

    def __init__(self):
        self.broken: set[int] = set()
        self.attachments: list[tuple[str, bytes, str]] = []

    def __call__(self, notification):
        if notification.pk in self.broken:
            raise KeyError("a template variable is missing")
        self.rendered_in = (translation.get_language(), timezone.get_current_timezone_name())
        return messages.Email(subject=f"Note {notification.pk}", text="Hello",
                              html="<p>Hello</p>", attachments=self.attachments)


@pytest.fixture(autouse=True)
def renderer(monkeypatch):
    build = Renderer()
    monkeypatch.setitem(messages._KINDS, KIND, messages.MessageKind(
        name=KIND, label="Spec note", build=build, optional=False))
    return build


def due_rows(count: int, **fields) -> list[Notification]:
    """`count` due rows, oldest first (the order the dispatcher claims them in)."""
    start = timezone.now() - timedelta(hours=1)
    return [NotificationFactory(kind=KIND, due_at=start + timedelta(seconds=i), **fields)
            for i in range(count)]


def statuses(rows) -> list[str]:
    return [Notification.objects.get(pk=row.pk).status for row in rows]


# --- A real SMTP server on loopback ------------------------------------------------------


@pytest.fixture
def smtp(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    yield sink
    sink.stop()


def test_a_run_sends_every_due_row_in_batches_of_the_batch_size(smtp):
    rows = due_rows(5)
    result = dispatch.dispatch_outbox(batch_size=2)
    assert (result.claimed, result.sent) == (5, 5)
    assert statuses(rows) == ["sent"] * 5
    assert sorted(smtp.message_ids()) == sorted(
        messages.message_id(row.dedupe_key) for row in rows)
    # Three batches (2 + 2 + 1): one connection each, each closed with QUIT.
    assert (smtp.connections, smtp.quits) == (3, 3)


def test_the_batch_size_setting_is_the_default(smtp, settings):
    settings.OUTBOX_BATCH_SIZE = 2
    due_rows(3)
    assert dispatch.dispatch_outbox().sent == 3
    assert (smtp.connections, smtp.quits) == (2, 2)


def test_one_batch_uses_one_connection_and_closes_it(smtp):
    due_rows(3)
    assert dispatch.dispatch_outbox(batch_size=10).sent == 3
    assert (smtp.connections, smtp.quits) == (1, 1)


def test_a_refused_recipient_does_not_leave_the_connection_open(smtp):
    refused, fine = due_rows(2)
    smtp.refuse.add(refused.recipient.email)
    result = dispatch.dispatch_outbox(batch_size=10)
    assert (result.failed, result.sent) == (1, 1)
    # The refusal closes the connection; the next message opens a fresh one.
    assert (smtp.connections, smtp.quits) == (2, 2)


def test_the_message_carries_subject_text_html_and_attachments(smtp, renderer):
    # No extension to guess from: the type must be the one the message gives.
    renderer.attachments = [("invite", b"BEGIN:VCALENDAR", "text/calendar")]
    row, = due_rows(1)
    dispatch.dispatch_outbox()
    [received] = smtp.messages
    assert received["Subject"] == f"Note {row.pk}"
    assert received["To"] == row.recipient.email
    parts = {part.get_content_type(): part for part in received.walk()}
    assert parts["text/plain"].get_payload(decode=True).strip() == b"Hello"
    assert parts["text/html"].get_payload(decode=True).strip() == b"<p>Hello</p>"
    assert parts["text/calendar"].get_filename() == "invite"
    assert parts["text/calendar"].get_payload(decode=True) == b"BEGIN:VCALENDAR"


def test_a_run_with_nothing_to_send_opens_no_connection(smtp):
    assert dispatch.dispatch_outbox().claimed == 0
    assert smtp.connections == 0


# --- A scripted server: each reply class -------------------------------------------------


@dataclass
class ScriptedServer:
    connect_error: Exception | None = None
    replies: dict[str, Exception] = field(default_factory=dict)  # recipient -> error
    goes_away_after: int | None = None  # messages accepted before the server vanishes
    gone: bool = False
    opened: int = 0
    closed: int = 0
    delivered: list[str] = field(default_factory=list)


SERVER = ScriptedServer()


class ScriptedBackend(BaseEmailBackend):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.is_open = False

    def open(self):
        if self.is_open:
            return False
        if SERVER.gone:
            raise ConnectionRefusedError(111, "Connection refused")
        if SERVER.connect_error is not None:
            raise SERVER.connect_error
        self.is_open = True
        SERVER.opened += 1
        return True

    def close(self):
        if self.is_open:
            self.is_open = False
            SERVER.closed += 1

    def send_messages(self, email_messages):
        opened_here = self.open()
        for message in email_messages:
            [to] = message.to
            if SERVER.gone:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            if to in SERVER.replies:
                raise SERVER.replies[to]
            SERVER.delivered.append(to)
            if SERVER.goes_away_after == len(SERVER.delivered):
                SERVER.gone = True
        if opened_here:
            self.close()
        return len(email_messages)


@pytest.fixture
def server(settings):
    global SERVER
    SERVER = ScriptedServer()
    settings.EMAIL_BACKEND = f"{__name__}.ScriptedBackend"
    settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_MAX_ATTEMPTS = 60, 6
    return SERVER


def refused(code: int, to: str) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({to: (code, b"reply text")})


def assert_retried_later(row, *, attempts=1, error=""):
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_at) == ("pending", attempts, None)
    assert error in row.last_error
    wait = row.due_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60 * 2 ** (attempts - 1))


def assert_untouched(row):
    before_due = row.due_at
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.claimed_at) == ("pending", 0, "", None)
    assert row.due_at == before_due


def test_when_the_server_goes_away_mid_batch_the_sent_stay_sent_and_the_rest_go_back(server):
    rows = due_rows(5)
    server.goes_away_after = 2
    result = dispatch.dispatch_outbox(batch_size=10)
    assert statuses(rows[:2]) == ["sent", "sent"]
    # The message that met the dead server counts an attempt and waits its backoff...
    assert_retried_later(rows[2], error="SMTPServerDisconnected")
    # ...and the rest of the batch is given back untouched, not tried one by one.
    for row in rows[3:]:
        assert_untouched(row)
    assert (result.claimed, result.sent, result.retried) == (5, 2, 1)
    assert server.delivered == [row.recipient.email for row in rows[:2]]


def test_an_unreachable_server_ends_the_run_without_claiming_more_batches(server):
    rows = due_rows(4)
    server.connect_error = ConnectionRefusedError(111, "Connection refused")
    result = dispatch.dispatch_outbox(batch_size=2)
    assert result.claimed == 2
    assert_retried_later(rows[0], error="ConnectionRefusedError")
    for row in rows[1:]:
        assert_untouched(row)


def test_421_on_connect_means_the_server_is_unreachable(server):
    rows = due_rows(3)
    server.connect_error = smtplib.SMTPConnectError(421, b"Too busy, try later")
    result = dispatch.dispatch_outbox(batch_size=10)
    assert (result.retried, result.sent, result.failed) == (1, 0, 0)
    assert_retried_later(rows[0], error="421")
    assert_untouched(rows[1])
    assert_untouched(rows[2])


def test_a_5xx_greeting_refuses_the_server_not_the_message(server):
    # A server that answers 554 on connect took no message: nothing says the message
    # is undeliverable, so it is retried like any unreachable server's, not failed.
    rows = due_rows(3)
    server.connect_error = smtplib.SMTPConnectError(554, b"No SMTP service here")
    result = dispatch.dispatch_outbox(batch_size=10)
    assert (result.retried, result.failed) == (1, 0)
    assert_retried_later(rows[0], error="554")
    assert_untouched(rows[1])
    assert_untouched(rows[2])


def test_a_temporary_refusal_retries_that_row_and_the_batch_goes_on(server):
    busy, *others = due_rows(3)
    server.replies[busy.recipient.email] = refused(450, busy.recipient.email)
    result = dispatch.dispatch_outbox(batch_size=10)
    assert_retried_later(busy, error="450")
    assert statuses(others) == ["sent", "sent"]
    assert (result.retried, result.sent) == (1, 2)


def test_a_temporary_data_error_retries_that_row_and_the_batch_goes_on(server):
    busy, other = due_rows(2)
    server.replies[busy.recipient.email] = smtplib.SMTPDataError(451, b"Local error")
    dispatch.dispatch_outbox(batch_size=10)
    assert_retried_later(busy, error="451")
    assert statuses([other]) == ["sent"]


@pytest.mark.parametrize(("code", "outcome"), [
    (421, "pending"), (450, "pending"), (499, "pending"),
    (500, "failed"), (550, "failed"), (599, "failed"),
    (600, "pending"),
])
def test_only_5xx_replies_are_permanent(server, code, outcome):
    row, other = due_rows(2)
    server.replies[row.recipient.email] = refused(code, row.recipient.email)
    dispatch.dispatch_outbox(batch_size=10)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (outcome, 1)
    assert str(code) in row.last_error
    assert statuses([other]) == ["sent"]


@pytest.mark.parametrize(("code", "outcome"), [
    (452, "pending"), (499, "pending"), (500, "failed"), (552, "failed"), (599, "failed"),
    (600, "pending"),
])
def test_the_same_boundary_holds_for_a_refused_message(server, code, outcome):
    row, = due_rows(1)
    server.replies[row.recipient.email] = smtplib.SMTPDataError(code, b"reply text")
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert row.status == outcome


def test_a_refusal_is_permanent_only_when_every_recipient_is_refused_for_good(server):
    row, = due_rows(1)
    email = row.recipient.email
    server.replies[email] = smtplib.SMTPRecipientsRefused(
        {email: (550, b"No such user"), "copy@example.org": (451, b"Try later")})
    dispatch.dispatch_outbox()
    assert_retried_later(row, error="SMTPRecipientsRefused")


def test_a_refusal_naming_no_recipient_is_retried(server):
    row, = due_rows(1)
    server.replies[row.recipient.email] = smtplib.SMTPRecipientsRefused({})
    dispatch.dispatch_outbox()
    assert_retried_later(row)


def test_a_temporary_refusal_on_the_last_attempt_fails_the_row(server, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    last, earlier = due_rows(2)
    Notification.objects.filter(pk=last.pk).update(attempts=2)
    Notification.objects.filter(pk=earlier.pk).update(attempts=1)
    for row in (last, earlier):
        server.replies[row.recipient.email] = refused(450, row.recipient.email)
    dispatch.dispatch_outbox()
    last.refresh_from_db()
    assert (last.status, last.attempts) == ("failed", 3)
    assert_retried_later(earlier, attempts=2, error="450")


def test_a_long_error_is_kept_to_its_first_2000_characters(server):
    row, = due_rows(1)
    server.replies[row.recipient.email] = smtplib.SMTPDataError(451, "x" * 3000)
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert len(row.last_error) == 2000
    assert row.last_error.startswith("SMTPDataError: (451, 'xxx")


def test_backoff_grows_with_the_attempts_made(server):
    row, = due_rows(1)
    Notification.objects.filter(pk=row.pk).update(attempts=2)
    server.replies[row.recipient.email] = refused(450, row.recipient.email)
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    wait = row.due_at - timezone.now()
    assert timedelta(seconds=230) < wait <= timedelta(seconds=240)  # 60 s × 2²


def test_a_message_sent_on_its_own_connection_still_reports_failure(settings):
    # deliver() without a batch's connection opens its own: an error must still count.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    row, = due_rows(1)
    [claimed] = dispatch.claim_due(limit=1)
    assert dispatch.deliver(claimed) == "unreachable"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)


def test_the_connection_is_closed_after_each_batch(server):
    due_rows(5)
    dispatch.dispatch_outbox(batch_size=2)
    assert (server.opened, server.closed) == (3, 3)


def test_a_failed_send_closes_the_connection_and_the_next_message_reopens_it(server):
    busy, other = due_rows(2)
    server.replies[busy.recipient.email] = refused(450, busy.recipient.email)
    dispatch.dispatch_outbox()
    assert (server.opened, server.closed) == (2, 2)


def test_a_close_that_fails_does_not_lose_the_outcome(server, monkeypatch):
    rows = due_rows(2)

    def broken_close(self):
        raise smtplib.SMTPServerDisconnected("gone while saying goodbye")

    monkeypatch.setattr(ScriptedBackend, "close", broken_close)
    result = dispatch.dispatch_outbox()
    assert result.sent == 2
    assert statuses(rows) == ["sent", "sent"]


# --- Rendering --------------------------------------------------------------------------


def test_a_message_that_fails_to_render_is_retried_and_the_batch_goes_on(server, renderer):
    broken, fine = due_rows(2)
    renderer.broken.add(broken.pk)
    result = dispatch.dispatch_outbox()
    assert_retried_later(broken, error="KeyError")
    assert statuses([fine]) == ["sent"]
    assert server.delivered == [fine.recipient.email]
    assert (result.retried, result.sent) == (1, 1)


def test_a_message_that_never_renders_fails_after_the_last_attempt(server, renderer,
                                                                    settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    broken, = due_rows(1, attempts=1)
    renderer.broken.add(broken.pk)
    assert dispatch.dispatch_outbox().failed == 1
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == ("failed", 2)
    assert server.opened == 0


def test_a_message_is_rendered_in_the_recipients_language_and_time_zone(server, renderer):
    due_rows(1, recipient__language="fr", recipient__timezone="Asia/Nicosia")
    dispatch.dispatch_outbox()
    assert renderer.rendered_in == ("fr", "Asia/Nicosia")
    assert translation.get_language() != "fr"  # only while rendering


def test_a_sent_row_records_its_subject_time_and_attempt(server):
    row, = due_rows(1, attempts=2, last_error="450 earlier")
    before = timezone.now()
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.claimed_at) == ("sent", 3, "", None)
    assert row.subject == f"Note {row.pk}"
    assert before <= row.sent_at <= timezone.now()


# --- Run length and claims ----------------------------------------------------------------


def test_a_run_stops_claiming_once_its_time_is_up(server, monkeypatch):
    rows = due_rows(3)
    clock = iter([0.0, 0.0, 11.0, 11.0])  # start, before batch 1, before batch 2
    monkeypatch.setattr(dispatch.time, "monotonic", lambda: next(clock))
    result = dispatch.dispatch_outbox(batch_size=1, run_seconds=10)
    assert (result.claimed, result.sent) == (1, 1)
    assert statuses(rows) == ["sent", "pending", "pending"]


def test_the_run_time_setting_is_the_default(server, monkeypatch, settings):
    settings.OUTBOX_RUN_SECONDS = 10
    due_rows(3)
    clock = iter([0.0, 9.0, 10.0, 10.0])
    monkeypatch.setattr(dispatch.time, "monotonic", lambda: next(clock))
    assert dispatch.dispatch_outbox(batch_size=1).claimed == 1


def test_a_run_sweeps_expired_claims_first_and_sends_them(server, settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    row, = due_rows(1)
    Notification.objects.filter(pk=row.pk).update(
        status="sending", claimed_at=timezone.now() - timedelta(seconds=61))
    result = dispatch.dispatch_outbox()
    assert (result.swept, result.sent) == (1, 1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_swept_claim_is_released_with_the_reason_and_the_time(settings):
    settings.OUTBOX_LEASE_SECONDS, settings.OUTBOX_MAX_ATTEMPTS = 60, 3
    now = timezone.now()
    retry, last = due_rows(2)
    Notification.objects.filter(pk=retry.pk).update(
        status="sending", attempts=1, claimed_at=now - timedelta(hours=1))
    Notification.objects.filter(pk=last.pk).update(
        status="sending", attempts=2, claimed_at=now - timedelta(hours=1))
    assert dispatch.sweep_expired_claims(now=now) == 1
    retry.refresh_from_db()
    last.refresh_from_db()
    assert (retry.status, retry.attempts, retry.claimed_at, retry.updated_at) == (
        "pending", 2, None, now)
    assert (last.status, last.attempts, last.claimed_at, last.updated_at) == (
        "failed", 3, None, now)
    for row in (retry, last):
        assert row.last_error == (
            "claim expired: the worker stopped before recording the outcome")


def test_a_claim_younger_than_the_lease_is_not_swept(settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    row, = due_rows(1)
    claimed_at = timezone.now() - timedelta(seconds=59)
    Notification.objects.filter(pk=row.pk).update(status="sending", claimed_at=claimed_at)
    assert dispatch.sweep_expired_claims(now=claimed_at + timedelta(seconds=60)) == 0
    assert statuses([row]) == ["sending"]


def test_claims_take_the_oldest_due_rows_first():
    rows = due_rows(3)
    Notification.objects.filter(pk=rows[0].pk).update(due_at=timezone.now() - timedelta(days=1))
    Notification.objects.filter(pk=rows[2].pk).update(due_at=timezone.now() - timedelta(days=2))
    claimed = dispatch.claim_due(limit=2)
    assert [row.pk for row in claimed] == [rows[2].pk, rows[0].pk]


def test_a_claim_records_since_when_it_is_held():
    row, = due_rows(1)
    now = timezone.now()
    [claimed] = dispatch.claim_due(limit=1, now=now)
    row.refresh_from_db()
    assert (row.status, row.claimed_at, row.updated_at) == ("sending", now, now)
    assert claimed.claimed_at == now


def test_claimed_rows_come_with_their_recipients(django_assert_num_queries):
    due_rows(3)
    claimed = dispatch.claim_due(limit=3)
    with django_assert_num_queries(0):
        assert all(row.recipient.email for row in claimed)


def test_only_pending_rows_take_the_places_of_a_claim():
    NotificationFactory(kind=KIND, status="sent", due_at=timezone.now() - timedelta(days=9))
    NotificationFactory(kind=KIND, status="failed", due_at=timezone.now() - timedelta(days=9))
    pending, = due_rows(1)
    assert [row.pk for row in dispatch.claim_due(limit=2)] == [pending.pk]


def test_a_claim_returns_only_its_own_rows_even_claimed_at_the_same_instant():
    now = timezone.now()
    other, mine = due_rows(2)
    Notification.objects.filter(pk=other.pk).update(status="sending", claimed_at=now)
    assert [row.pk for row in dispatch.claim_due(limit=5, now=now)] == [mine.pk]


def test_releasing_a_row_already_sent_leaves_it_sent(server):
    row, = due_rows(1)
    [claimed] = dispatch.claim_due(limit=1)
    assert dispatch.deliver(claimed) == "sent"
    assert (claimed.status, claimed.attempts, claimed.claimed_at) == ("sent", 1, None)
    assert dispatch.release([claimed]) == 0
    assert statuses([row]) == ["sent"]


def test_an_outcome_for_a_lost_claim_is_not_recorded_and_is_logged(server, caplog):
    row, = due_rows(1)
    [claimed] = dispatch.claim_due(limit=1)
    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() + timedelta(1))
    with caplog.at_level("WARNING", logger="participants.outbox.dispatch"):
        dispatch.deliver(claimed)
    assert statuses([row]) == ["sending"]
    assert f"claim on message {row.pk} was lost" in caplog.text


def test_a_sent_message_is_recorded_in_one_query_without_a_warning(server, caplog,
                                                                   django_assert_num_queries):
    row, = due_rows(1)
    [claimed] = dispatch.claim_due(limit=1)
    with (caplog.at_level("WARNING", logger="participants.outbox.dispatch"),
          django_assert_num_queries(1)):
        assert dispatch.deliver(claimed) == "sent"
    assert statuses([row]) == ["sent"]
    assert caplog.text == ""


RECORDED = ("status", "sent_at", "subject", "last_error", "attempts", "claimed_at")


def test_deliver_leaves_the_row_it_was_given_as_it_recorded_it(server):
    due_rows(2)
    sent, unknown = dispatch.claim_due(limit=2)
    unknown.kind = "no_such_kind"
    assert [dispatch.deliver(sent), dispatch.deliver(unknown)] == ["sent", "failed"]
    for row in (sent, unknown):
        stored = Notification.objects.get(pk=row.pk)
        assert [getattr(row, name) for name in RECORDED] == [
            getattr(stored, name) for name in RECORDED]
    assert sent.updated_at == Notification.objects.get(pk=sent.pk).updated_at


def test_a_row_sent_after_an_error_forgets_the_error_in_memory_too(server):
    due_rows(1, attempts=1, last_error="SMTPServerDisconnected: earlier")
    [claimed] = dispatch.claim_due(limit=1)
    dispatch.deliver(claimed)
    assert claimed.last_error == Notification.objects.get(pk=claimed.pk).last_error == ""


def test_a_sent_rows_times_are_stored_as_lookups_find_them(server):
    due_rows(1)
    [claimed] = dispatch.claim_due(limit=1)
    dispatch.deliver(claimed)
    assert Notification.objects.filter(
        pk=claimed.pk, sent_at=claimed.sent_at, updated_at=claimed.updated_at,
        sent_at__lte=timezone.now()).exists()


def test_a_sweep_that_only_fails_rows_is_logged(settings, caplog):
    settings.OUTBOX_LEASE_SECONDS, settings.OUTBOX_MAX_ATTEMPTS = 60, 1
    row, = due_rows(1)
    Notification.objects.filter(pk=row.pk).update(
        status="sending", claimed_at=timezone.now() - timedelta(hours=1))
    with caplog.at_level("WARNING", logger="participants.outbox.dispatch"):
        assert dispatch.sweep_expired_claims() == 0
    assert "0 expired claims back to pending, 1 failed" in caplog.text


def test_a_recorded_outcome_updates_the_rows_time(server):
    row, = due_rows(1)
    [claimed] = dispatch.claim_due(limit=1, now=timezone.now() - timedelta(minutes=5))
    before = timezone.now()
    assert dispatch.deliver(claimed) == "sent"
    row.refresh_from_db()
    assert row.updated_at >= before


def test_release_gives_rows_back_without_an_attempt_and_counts_them():
    rows = due_rows(3)
    claimed = dispatch.claim_due(limit=3)
    Notification.objects.filter(pk=rows[2].pk).update(claimed_at=timezone.now() + timedelta(1))
    assert dispatch.release(claimed) == 2  # the third was re-claimed by someone else
    assert statuses(rows) == ["pending", "pending", "sending"]


def test_retrying_failed_rows_makes_them_due_now_unclaimed_and_fresh():
    long_ago = timezone.now() - timedelta(days=3)
    row, = due_rows(1)
    Notification.objects.filter(pk=row.pk).update(
        status="failed", attempts=6, due_at=long_ago, claimed_at=long_ago,
        last_error="550 no such user", updated_at=long_ago)
    before = timezone.now()
    assert dispatch.retry_failed(notifications=Notification.objects.all()) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.claimed_at) == ("pending", 0, "", None)
    assert before <= row.due_at <= timezone.now()
    assert row.updated_at == row.due_at


# --- Who gets nothing ---------------------------------------------------------------------


def test_an_optional_message_is_cancelled_for_someone_who_turned_emails_off(server,
                                                                             monkeypatch):
    monkeypatch.setitem(messages._KINDS, KIND, messages.MessageKind(
        name=KIND, label="Spec note", build=Renderer(), optional=True))
    quiet, = due_rows(1, recipient__notify_email=False)
    keen, = due_rows(1)
    result = dispatch.dispatch_outbox()
    quiet.refresh_from_db()
    assert (quiet.status, quiet.last_error) == (
        "cancelled", "the recipient turned reminder and follow-up emails off")
    assert statuses([keen]) == ["sent"]
    assert (result.skipped, result.sent) == (1, 1)


def test_a_recipient_without_an_address_gets_nothing(server):
    row, = due_rows(1, recipient__email="")
    assert dispatch.dispatch_outbox().skipped == 1
    row.refresh_from_db()
    assert row.status == "cancelled"
    assert server.delivered == []


def test_a_message_no_longer_relevant_takes_the_status_its_handler_gives(server, monkeypatch):
    def missed(notification):
        raise messages.NotRelevant("the session already ended", status="missed")

    monkeypatch.setitem(messages._KINDS, KIND, messages.MessageKind(
        name=KIND, label="Spec note", build=missed, optional=False))
    row, = due_rows(1)
    assert dispatch.dispatch_outbox().skipped == 1
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("missed", "the session already ended")


# --- A batch with nothing to send, deliver() on its own, lost claims in bulk ---------------


def test_a_batch_with_nothing_to_send_does_not_end_the_run(server, renderer, monkeypatch):
    def gone(notification):
        raise messages.NotRelevant("no longer true")

    quiet, loud = due_rows(2), due_rows(2)
    Notification.objects.filter(pk__in=[row.pk for row in quiet]).update(kind="spec_quiet")
    Notification.objects.filter(pk__in=[row.pk for row in loud]).update(
        due_at=timezone.now())  # after the quiet ones: the second batch
    monkeypatch.setitem(messages._KINDS, "spec_quiet", messages.MessageKind(
        name="spec_quiet", label="Quiet", build=gone, optional=False))
    result = dispatch.dispatch_outbox(batch_size=2)
    assert (result.claimed, result.skipped, result.sent) == (4, 2, 2)
    assert statuses(quiet) == ["cancelled", "cancelled"]
    assert statuses(loud) == ["sent", "sent"]
    assert server.opened == 1  # the batch of skipped rows opened no connection


def test_deliver_records_a_message_it_does_not_send(server):
    row, = due_rows(1)
    Notification.objects.filter(pk=row.pk).update(kind="no_such_kind")
    [claimed] = dispatch.claim_due(limit=1)
    assert dispatch.deliver(claimed) == "failed"
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("failed", "unknown message kind 'no_such_kind'")
    assert server.opened == 0


def test_deliver_sends_on_the_connection_it_is_given(server):
    due_rows(1)
    [claimed] = dispatch.claim_due(limit=1)
    connection = ScriptedBackend()
    connection.open()
    assert dispatch.deliver(claimed, smtp=connection) == "sent"
    assert (server.opened, connection.is_open) == (1, True)  # no connection of its own


def test_the_html_body_is_an_html_alternative(server, monkeypatch):
    sent = []
    monkeypatch.setattr(ScriptedBackend, "send_messages",
                        lambda self, messages_: sent.extend(messages_) or len(messages_))
    due_rows(1)
    dispatch.dispatch_outbox()
    [message] = sent
    assert [(content, mimetype) for content, mimetype in message.alternatives] == [
        ("<p>Hello</p>", "text/html")]


def test_rows_released_in_bulk_log_only_the_lost_claims(caplog):
    rows = due_rows(3)
    claimed = dispatch.claim_due(limit=3)
    Notification.objects.filter(pk=rows[1].pk).update(claimed_at=timezone.now() + timedelta(1))
    with caplog.at_level("WARNING", logger="participants.outbox.dispatch"):
        assert dispatch.release(claimed) == 2
    lost = [record.getMessage() for record in caplog.records]
    assert lost == [f"outbox: claim on message {rows[1].pk} was lost before recording pending"]
    assert statuses(rows) == ["pending", "sending", "pending"]
    assert all(row.claimed_at is None for row in claimed)


def test_outcomes_of_one_kind_are_written_in_one_update(server, renderer):
    rows = due_rows(4)
    renderer.broken.update(row.pk for row in rows)
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(attempts=5)
    with CaptureQueriesContext(connection) as queries:
        assert dispatch.dispatch_outbox(batch_size=10).failed == 4
    assert statuses(rows) == ["failed"] * 4
    recorded = [q["sql"] for q in queries.captured_queries
                if q["sql"].startswith('UPDATE "participants_notification"')
                and "'failed'" in q["sql"]]
    # The sweep's (none to fail) and one for the four rows that failed the same way.
    assert len(recorded) == 2


def test_the_sweep_takes_back_only_rows_still_sending(settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    sent, = due_rows(1)
    Notification.objects.filter(pk=sent.pk).update(
        status="sent", claimed_at=timezone.now() - timedelta(hours=1))
    assert dispatch.sweep_expired_claims() == 0
    assert statuses([sent]) == ["sent"]


def test_each_outcome_is_counted_for_prometheus(server, renderer):
    from prometheus_client import REGISTRY

    def count(outcome):
        return REGISTRY.get_sample_value("parley_outbox_messages_total",
                                         {"outcome": outcome}) or 0.0

    before = {outcome: count(outcome) for outcome in ("sent", "retried", "None")}
    fine, broken = due_rows(2)
    renderer.broken.add(broken.pk)
    dispatch.dispatch_outbox()
    assert count("sent") == before["sent"] + 1
    assert count("retried") == before["retried"] + 1
    assert count("None") == before["None"]
