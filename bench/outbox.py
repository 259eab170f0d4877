"""Outbox dispatch next to a plain loop of Django's send_mail, to the same local SMTP server.

What makes the comparison fair (the report says it too):
- the same messages: each round of the loop sends, to the same recipients, the very
  subject, plain text and HTML the outbox round sent (checked on what the server
  received, Message-IDs aside);
- rendering in both: the loop renders each message from the same templates with the same
  renderer (kinds.render_email, in the recipient's language and time zone), one message
  at a time as a plain loop would, after loading what they are about in one query;
- the same connection policy: the loop opens one connection per OUTBOX_BATCH_SIZE
  messages and sends over it with send_mail(connection=...), as the outbox does per batch;
- the same SMTP server, in a process of its own (aiosmtpd on loopback), so neither side's
  timing includes the server's work under this process's GIL.
The outbox also claims, re-checks, records each outcome and counts it: that is the cost
measured. Rounds are interleaved (outbox, loop, outbox, loop...) and each side's median
is kept, so a busy machine slows both alike. A second figure, "sending only", compares
with a loop that sends the already rendered messages (no rendering, no database): the
outbox's whole cost over bare SMTP. Needs Django set up on a database (bench/__main__.py).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import statistics
import time
from collections import Counter

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.utils import timezone, translation

from exchanges import notices
from exchanges.models import MAX_PROGRAM_CAPACITY, Application, Organization, Program, Side
from participants.models import Notification, User
from participants.outbox import dispatch, kinds

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "500"))
ROUNDS = int(os.environ.get("BENCH_OUTBOX_ROUNDS", "3"))
GOAL = 0.8


def due_notices(count: int, prefix: str) -> list[Notification]:
    """`count` application notices due now, to `count` people."""
    organization = Organization.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
    program = Program.objects.create(
        organization=organization, title="Bench program", kind="dialogue",
        starts_on=timezone.localdate(), ends_on=timezone.localdate(),
        capacity=MAX_PROGRAM_CAPACITY, status="published")
    side = Side.objects.create(program=program, name="North")
    users = User.objects.bulk_create(
        User(email=f"{prefix}{n}@example.org", display_name=f"B {n}", password="!")
        for n in range(count))
    applications = Application.objects.bulk_create(
        Application(program=program, side=side, applicant=user) for user in users)
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(recipient_id=a.applicant_id, kind="application_received",
                     dedupe_key=f"{prefix}:{a.pk}", due_at=now,
                     organization_id=program.organization_id,
                     context={"application": a.pk, "program": program.pk})
        for a in applications)


# --- The SMTP server, in a process of its own ------------------------------------------


def _content(message) -> tuple[str, str, str]:
    """(recipient, subject, digest of the text and HTML parts) of a received message."""
    digest = hashlib.sha256()
    for part in message.walk():
        if not part.is_multipart():
            digest.update(part.get_payload(decode=True) or b"")
    return message["To"], message["Subject"], digest.hexdigest()


def _serve(pipe) -> None:
    import logging

    from tests.reliability.smtp import SmtpSink

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd chatter
    sink = SmtpSink().start()
    pipe.send(sink.port)
    while (command := pipe.recv()) != "stop":
        with sink.lock:
            received, sink.messages = sink.messages, []
        if command == "take":  # what arrived since the last take: ids and contents
            pipe.send([(m["Message-ID"], _content(m)) for m in received])
    sink.stop()


class ServerProcess:
    def __init__(self):
        self._pipe, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(child,), daemon=True)

    def start(self) -> int:
        self._process.start()
        return self._pipe.recv()

    def take(self) -> list[tuple[str, tuple[str, str, str]]]:
        self._pipe.send("take")
        return self._pipe.recv()

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(10)


# --- The two sides --------------------------------------------------------------------


def _outbox_round(number: int) -> tuple[float, float]:
    """Messages per second, and CPU seconds of this process per message."""
    due_notices(MESSAGES, f"outbox{number}-")
    started, cpu = time.perf_counter(), time.process_time()
    result = dispatch.dispatch_outbox()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.sent == MESSAGES, result
    return MESSAGES / seconds, cpu / MESSAGES


def _batches(items: list) -> list[list]:
    size = settings.OUTBOX_BATCH_SIZE
    return [items[start:start + size] for start in range(0, len(items), size)]


def _render(application: Application) -> kinds.Email:
    recipient = application.applicant
    with translation.override(recipient.language), timezone.override(recipient.tzinfo):
        return kinds.render_email("application_received",
                                  notices.application_context(application, recipient))


def _loop_round(number: int) -> tuple[float, float]:
    """The plain loop: load, render each message, send_mail over one connection a batch."""
    started, cpu = time.perf_counter(), time.process_time()
    applications = list(
        Application.objects.filter(applicant__email__startswith=f"outbox{number}-")
        .select_related("applicant", "program__organization", "side").order_by("pk"))
    for batch in _batches(applications):
        with get_connection() as connection:
            for application in batch:
                email = _render(application)
                send_mail(email.subject, email.text, None, [application.applicant.email],
                          html_message=email.html, connection=connection)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(applications) / seconds, cpu / len(applications)


def _bare_round(emails: list[tuple[str, kinds.Email]]) -> tuple[float, float]:
    """Sending only: the messages rendered beforehand, no database."""
    started, cpu = time.perf_counter(), time.process_time()
    for batch in _batches(emails):
        with get_connection() as connection:
            for to, email in batch:
                send_mail(email.subject, email.text, None, [to], html_message=email.html,
                          connection=connection)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(emails) / seconds, cpu / len(emails)


def _rendered(number: int) -> list[tuple[str, kinds.Email]]:
    applications = (Application.objects.filter(applicant__email__startswith=f"outbox{number}-")
                    .select_related("applicant", "program__organization", "side").order_by("pk"))
    return [(application.applicant.email, _render(application)) for application in applications]


def _same_messages(outbox: list, other: list) -> None:
    """Each side sent every message once, and the same subjects and bodies to the same
    recipients."""
    for received in (outbox, other):
        assert len(received) == MESSAGES, len(received)
        assert len({message_id for message_id, _content in received}) == MESSAGES
    assert Counter(c for _id, c in outbox) == Counter(c for _id, c in other)


def throughput() -> dict:
    """Rates (messages per second) of the outbox and the plain loops, and their ratios."""
    server = ServerProcess()
    port = server.start()
    saved = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    outbox, loop, bare, loads = [], [], [], []
    try:
        for number in range(ROUNDS):
            loads.append(os.getloadavg()[0])
            outbox.append(_outbox_round(number))
            sent_by_outbox = server.take()
            loop.append(_loop_round(number))
            _same_messages(sent_by_outbox, server.take())
            emails = _rendered(number)
            bare.append(_bare_round(emails))
            _same_messages(sent_by_outbox, server.take())
    finally:
        server.stop()
        settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = saved
    rate, cpu = _medians(outbox)
    loop_rate, loop_cpu = _medians(loop)
    bare_rate, bare_cpu = _medians(bare)
    return {
        "messages_per_round": MESSAGES, "rounds": ROUNDS, "batch_size": settings.OUTBOX_BATCH_SIZE,
        "outbox_rate": round(rate, 1), "send_mail_loop_rate": round(loop_rate, 1),
        "ratio": round(rate / loop_rate, 2), "goal": GOAL,
        "sending_only_rate": round(bare_rate, 1), "sending_only_ratio": round(rate / bare_rate, 2),
        # CPU per message of this process (the server runs in another): what the work
        # costs, whatever else the machine runs at the time.
        "outbox_cpu_ms": round(cpu * 1000, 2), "send_mail_loop_cpu_ms": round(loop_cpu * 1000, 2),
        "sending_only_cpu_ms": round(bare_cpu * 1000, 2),
        "cpu_ratio": round(loop_cpu / cpu, 2),
        "load_average": round(statistics.median(loads + [os.getloadavg()[0]]), 2),
    }


def _medians(rounds: list[tuple[float, float]]) -> tuple[float, float]:
    return (statistics.median(rate for rate, _cpu in rounds),
            statistics.median(cpu for _rate, cpu in rounds))


def report(figures: dict) -> str:
    return (
        f"outbox dispatch ÷ plain send_mail loop: {figures['outbox_rate']:.0f} vs "
        f"{figures['send_mail_loop_rate']:.0f} msg/s -> ratio {figures['ratio']:.2f} "
        f"(goal ≥ {figures['goal']}); CPU per message {figures['outbox_cpu_ms']:.2f} vs "
        f"{figures['send_mail_loop_cpu_ms']:.2f} ms -> ratio {figures['cpu_ratio']:.2f}\n"
        f"  both send the same {figures['messages_per_round']} messages (same subject, text and "
        f"HTML to the same recipients, checked at the server) to one SMTP server in its own "
        f"process, one connection per {figures['batch_size']} messages; the loop loads them in "
        f"one query and renders each with the same templates, the outbox also claims, "
        f"re-checks and records each; median of {figures['rounds']} interleaved rounds, load "
        f"average {figures['load_average']:.1f}\n"
        f"  sending only (the loop sends messages rendered beforehand, no database): "
        f"{figures['sending_only_rate']:.0f} msg/s, CPU {figures['sending_only_cpu_ms']:.2f} ms "
        f"-> outbox ÷ sending only {figures['sending_only_ratio']:.2f}")
