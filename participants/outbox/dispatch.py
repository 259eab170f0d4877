"""The outbox dispatcher: claim due rows, send each once, retry or give up.

A run sweeps expired claims back to pending, then claims due pending rows in
batches and sends them. Claiming commits before any email leaves: rows are marked
`sending` with a claim time in a short transaction, so another worker skips them,
and the slow SMTP work happens outside any transaction. The only window for a
duplicate is a crash after the mail server accepted a message and before the row
was marked sent; the stable Message-ID lets receivers drop it.

A batch: what it is about is loaded in one query per kind, emails that share all
but the recipient's name render once, every message goes over one connection, each
sent row is marked right after the server accepted it (without waiting for the
disk: see _commits_without_waiting_for_disk), and the other outcomes are written
at the end with one UPDATE per outcome. A crash before that end leaves those rows
`sending`: the sweep returns them to pending after the lease, and they are checked
again.
"""

from __future__ import annotations

import logging
import smtplib
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation

from participants.models import Notification, NotificationStatus
from participants.outbox import kinds, metrics

logger = logging.getLogger(__name__)

PENDING, SENDING = NotificationStatus.PENDING, NotificationStatus.SENDING


@dataclass
class DispatchResult:
    swept: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


def dispatch_outbox(*, batch_size: int | None = None, run_seconds: float | None = None
                    ) -> DispatchResult:
    """One dispatcher run: sweep, then claim and send batches until none is due.

    Stops claiming new batches after `run_seconds` so a run ends well inside the
    Celery time limit; the next beat tick carries on.
    """
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    run_seconds = run_seconds or settings.OUTBOX_RUN_SECONDS
    result = DispatchResult(swept=sweep_expired_claims())
    started = time.monotonic()
    while time.monotonic() - started < run_seconds:
        batch = claim_due(limit=batch_size)
        if not batch:
            break
        result.claimed += len(batch)
        if not _deliver_batch(batch, result):
            break  # the mail server is unreachable: the next tick tries again
    return result


# --- Claiming ---------------------------------------------------------------------------


def claim_due(*, limit: int, now: datetime | None = None) -> list[Notification]:
    """Mark up to `limit` due pending rows as sending and return them (committed)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Notification.objects.filter(status=PENDING, due_at__lte=now).order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        # Conditional on status: on SQLite (no row locks; IMMEDIATE transactions queue
        # writers) a row another claimer took in between is simply not updated.
        Notification.objects.filter(pk__in=ids, status=PENDING).update(
            status=SENDING, claimed_at=now, updated_at=now
        )
    return list(
        Notification.objects.filter(pk__in=ids, status=SENDING, claimed_at=now)
        .select_related("recipient")
        .order_by("due_at", "pk")
    )


def sweep_expired_claims(*, now: datetime | None = None) -> int:
    """Rows claimed longer ago than the lease (their worker died) go back to pending.

    The sweep counts as an attempt, so a message that kills its worker every time
    ends as failed instead of looping forever.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    max_attempts = settings.OUTBOX_MAX_ATTEMPTS
    stale = Notification.objects.filter(status=SENDING, claimed_at__lt=now - lease)
    reason = "claim expired: the worker stopped before recording the outcome"
    failed = stale.filter(attempts__gte=max_attempts - 1).update(
        status=NotificationStatus.FAILED, attempts=F("attempts") + 1, claimed_at=None,
        last_error=reason, updated_at=now)
    swept = stale.update(status=PENDING, attempts=F("attempts") + 1, claimed_at=None,
                         last_error=reason, updated_at=now)
    if swept or failed:
        logger.warning("outbox: swept %d expired claims back to pending, %d failed", swept,
                       failed)
    return swept


# --- Sending ----------------------------------------------------------------------------


def _deliver_batch(batch: list[Notification], result: DispatchResult) -> bool:
    """Send a claimed batch; False when the mail server could not be reached.

    What the batch is about is loaded at once (one query per kind), emails that differ
    only in the recipient's name are rendered once, all go over one connection (opened
    by the first message sent, so a batch with nothing to send opens none), and what
    is not sent is recorded in bulk at the end. Each sent row is recorded right after
    the server accepted it, so a crash repeats at most the one message in flight.
    """
    with _commits_without_waiting_for_disk():
        return _deliver_claimed(batch, result)


def _deliver_claimed(batch: list[Notification], result: DispatchResult) -> bool:
    outcomes = Outcomes()
    kinds.prefetch(batch)
    smtp = get_connection()
    try:
        with kinds.render_cache():
            for index, notification in enumerate(batch):
                prepared = _prepare(notification, outcomes)
                outcome = prepared if isinstance(prepared, str) else _send_and_record(
                    notification, prepared, smtp, outcomes)
                _count(result, outcome)
                if outcome == "unreachable":
                    # The server is down: give the rest of the batch back untouched rather
                    # than waiting out a timeout per message while holding their claims.
                    outcomes.record()
                    release(batch[index + 1:])
                    return False
    finally:
        _close_quietly(smtp)
        outcomes.record()
    return True


def _count(result: DispatchResult, outcome: str) -> None:
    counted = "retried" if outcome == "unreachable" else outcome
    setattr(result, counted, getattr(result, counted) + 1)
    metrics.count_outcome(counted)


def _close_quietly(smtp) -> None:
    try:
        smtp.close()
    except Exception:  # the server may already be gone; the next open() starts afresh
        logger.info("outbox: closing the mail connection failed", exc_info=True)


def _server_unreachable(exc: Exception) -> bool:
    """No conversation with the server at all (as opposed to a refused message)."""
    if isinstance(exc, smtplib.SMTPConnectError):
        return True
    return isinstance(exc, OSError) and not isinstance(
        exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)


def deliver(notification: Notification, *, smtp=None) -> str:
    """Send one claimed row: "sent", "skipped", "retried", "unreachable" or "failed"."""
    outcomes = Outcomes()
    prepared = _prepare(notification, outcomes)
    if isinstance(prepared, str):
        outcomes.record()
        return prepared
    outcome = _send_and_record(notification, prepared, smtp, outcomes)
    outcomes.record()
    return outcome


def _prepare(notification: Notification, outcomes: Outcomes
             ) -> EmailMultiAlternatives | str:
    """The email to send, or the outcome ("skipped", "retried", "failed") when there is
    none; that outcome is added to `outcomes`."""
    registered = kinds.kind(notification.kind)
    if registered is None:
        outcomes.add(notification, status=NotificationStatus.FAILED,
                     last_error=f"unknown message kind {notification.kind!r}")
        return "failed"
    recipient = notification.recipient  # None: a message to an address (an invitation)
    if recipient is not None and (recipient.erased_at is not None or not recipient.email):
        outcomes.add(notification, status=NotificationStatus.CANCELLED,
                     last_error="the recipient's account was erased")
        return "skipped"
    if registered.optional and recipient is not None and not recipient.notify_email:
        outcomes.add(notification, status=NotificationStatus.CANCELLED,
                     last_error="the recipient turned reminder and follow-up emails off")
        return "skipped"
    language, zone = _language_and_zone(recipient)
    try:
        with translation.override(language), timezone.override(zone):
            email = registered.build(notification)
    except kinds.NotRelevant as verdict:
        outcomes.add(notification, status=verdict.status, last_error=verdict.reason)
        return "skipped"
    except Exception as exc:
        logger.exception("outbox: building message %s failed", notification.pk)
        return _failed_attempt(notification, exc, outcomes, permanent=False)
    return _message(notification, email)


def _send_and_record(notification: Notification, message: EmailMultiAlternatives, smtp,
                     outcomes: Outcomes) -> str:
    try:
        _send(message, smtp)
    except Exception as exc:
        if smtp is not None:
            _close_quietly(smtp)  # a broken connection is reopened by the next message
        # A server that cannot be reached or refuses service took no message: whatever
        # its reply code, nothing says this message is undeliverable.
        unreachable = _server_unreachable(exc)
        outcome = _failed_attempt(notification, exc, outcomes,
                                  permanent=_is_permanent(exc) and not unreachable)
        return "unreachable" if outcome == "retried" and unreachable else outcome
    _record_sent(notification, subject=message.subject)
    return "sent"


def _language_and_zone(recipient) -> tuple[str, tzinfo]:
    """The recipient's; the site's language in UTC for an address without an account."""
    if recipient is None:
        return settings.LANGUAGE_CODE, UTC
    return recipient.language, recipient.tzinfo


def _message(notification: Notification, email: kinds.Email) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        to=[email.to or notification.address],
        headers={"Message-ID": kinds.message_id(notification.dedupe_key)},
    )
    message.attach_alternative(email.html, "text/html")
    for filename, content, mimetype in email.attachments:
        message.attach(filename, content, mimetype)
    return message


def _send(message: EmailMultiAlternatives, smtp) -> None:
    if smtp is not None:
        smtp.open()  # opened once per batch: open() on an open connection is a no-op
    message.connection = smtp  # None: the message opens and closes its own
    message.send()  # raises: the caller tells the failures apart


def _is_permanent(exc: Exception) -> bool:
    """5xx answers are permanent; 4xx, timeouts and lost connections are worth a retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _failed_attempt(notification: Notification, exc: Exception, outcomes: Outcomes, *,
                    permanent: bool) -> str:
    attempts = notification.attempts + 1
    if permanent or attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        outcomes.add(notification, status=NotificationStatus.FAILED, attempts=attempts,
                     last_error=_describe(exc))
        return "failed"
    outcomes.add(notification, status=PENDING, attempts=attempts, last_error=_describe(exc),
                 due_at=timezone.now() + backoff(attempts))
    return "retried"


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base... capped."""
    base = settings.OUTBOX_BACKOFF_SECONDS
    cap = settings.OUTBOX_BACKOFF_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** (attempts - 1)))


# --- Recording outcomes -----------------------------------------------------------------


class Outcomes:
    """Outcomes not yet written. `record()` writes them with one UPDATE per group of
    rows claimed together that take the same values (e.g. all the cancelled ones)."""

    def __init__(self):
        self._waiting: list[tuple[Notification, dict]] = []

    def add(self, notification: Notification, **fields) -> None:
        self._waiting.append((notification, {**fields, "claimed_at": None}))

    def record(self) -> int:
        groups: dict[tuple, list[Notification]] = {}
        for notification, fields in self._waiting:
            key = (notification.claimed_at, tuple(sorted(fields.items())))
            groups.setdefault(key, []).append(notification)
        self._waiting = []
        return sum(_record(rows, dict(fields)) for (_claimed, fields), rows in groups.items())


def _record(rows: list[Notification], fields: dict) -> int:
    """Write `fields` to the rows whose claim is still ours (not swept and re-claimed)."""
    now = timezone.now()
    ids = [row.pk for row in rows]
    updated = Notification.objects.filter(
        pk__in=ids, status=SENDING, claimed_at=rows[0].claimed_at
    ).update(updated_at=now, **fields)
    if updated < len(rows):
        _log_lost_claims(ids, now, fields)
    for row in rows:
        for name, value in fields.items():
            setattr(row, name, value)
    return updated


@contextmanager
def _commits_without_waiting_for_disk():
    """While a batch is sent, PostgreSQL acknowledges each outcome without flushing it.

    A commit is still visible to every process at once and survives any crash of this
    worker; only a crash of PostgreSQL itself within its WAL writer delay (a fraction
    of a second) could undo the last outcomes, and those rows are then swept back and
    sent again with the same Message-ID. Waiting for the disk costs a flush per message.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _log_lost_claims(ids: list[int], now: datetime, fields: dict) -> None:
    recorded = set(Notification.objects.filter(pk__in=ids, updated_at=now)
                   .values_list("pk", flat=True))
    for pk in ids:
        if pk not in recorded:
            logger.warning("outbox: claim on message %s was lost before recording %s",
                           pk, fields.get("status"))


# Conditional like _record's: only while the claim is still ours.
_SENT_SQL = (
    "UPDATE participants_notification SET status = %s, sent_at = %s, subject = %s,"
    " last_error = %s, attempts = %s, updated_at = %s, claimed_at = NULL"
    " WHERE id = %s AND status = %s AND claimed_at = %s"
)


def _record_sent(notification: Notification, *, subject: str) -> None:
    """The same write as _record, in SQL of its own: it runs once per message sent, and
    building the ORM's UPDATE cost more CPU than the rest of the message's own work."""
    now = timezone.now()
    fields = {"status": NotificationStatus.SENT, "sent_at": now, "subject": subject,
              "last_error": "", "attempts": notification.attempts + 1, "updated_at": now}
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_SENT_SQL, [
            *(adapt(value) if isinstance(value, datetime) else value
              for value in fields.values()),
            notification.pk, SENDING, adapt(notification.claimed_at)])
        if not cursor.rowcount:
            logger.warning("outbox: claim on message %s was lost before recording %s",
                           notification.pk, NotificationStatus.SENT)
    for name, value in {**fields, "claimed_at": None}.items():
        setattr(notification, name, value)


def release(batch: list[Notification]) -> int:
    """Give claimed rows back to pending without counting an attempt."""
    outcomes = Outcomes()
    for notification in batch:
        outcomes.add(notification, status=PENDING)
    return outcomes.record()


# --- Admin ------------------------------------------------------------------------------


def retry_failed(*, notifications: QuerySet[Notification]) -> int:
    """Failed rows become pending again, due now, with a fresh count of attempts."""
    now = timezone.now()
    return notifications.filter(status=NotificationStatus.FAILED).update(
        status=PENDING, attempts=0, due_at=now, claimed_at=None, last_error="", updated_at=now
    )
