"""Outbox dispatch next to a plain loop of Django's send_mail, to the same local SMTP server.

Both send the same number of messages to an aiosmtpd server on loopback: the outbox
claims, checks, renders (text and HTML), sends and records each; the loop sends a
one-line body per message on a connection of its own, as send_mail does. Rounds are
interleaved (outbox, loop, outbox, loop...) and each side's median rate is kept, so a
busy machine slows both alike. Needs Django set up on a database (bench/__main__.py).
"""

from __future__ import annotations

import logging
import os
import statistics
import time

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from exchanges.models import MAX_PROGRAM_CAPACITY, Application, Organization, Program, Side
from participants.models import Notification, User
from participants.outbox import dispatch
from tests.reliability.smtp import SmtpSink

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


def _outbox_round(number: int) -> tuple[float, float]:
    """Messages per second, and CPU seconds of this process per message."""
    due_notices(MESSAGES, f"outbox{number}-")
    started, cpu = time.perf_counter(), time.process_time()
    result = dispatch.dispatch_outbox()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.sent == MESSAGES, result
    return MESSAGES / seconds, cpu / MESSAGES


def _loop_round(subjects: list[tuple[str, str]]) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for subject, to in subjects:
        send_mail(subject, "A plain body.", None, [to])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(subjects) / seconds, cpu / len(subjects)


def throughput() -> dict:
    """Rates (messages per second) of the outbox and the plain loop, and their ratio."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd chatter
    sink = SmtpSink().start()
    saved = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    outbox, loop = [], []
    try:
        for number in range(ROUNDS):
            outbox.append(_outbox_round(number))
            sent = Notification.objects.filter(
                status="sent", dedupe_key__startswith=f"outbox{number}-"
            ).values_list("subject", "recipient__email")
            loop.append(_loop_round(list(sent)))
        assert sink.wait_for(MESSAGES * ROUNDS, 30)
        assert sink.duplicates() == {}
    finally:
        sink.stop()
        settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = saved
    outbox_rate = statistics.median(rate for rate, _cpu in outbox)
    loop_rate = statistics.median(rate for rate, _cpu in loop)
    # CPU per message (this process, the SMTP server's thread included): what the work
    # costs, whatever else the machine runs at the time.
    outbox_cpu = statistics.median(cpu for _rate, cpu in outbox)
    loop_cpu = statistics.median(cpu for _rate, cpu in loop)
    return {
        "messages_per_round": MESSAGES, "rounds": ROUNDS,
        "outbox_rate": round(outbox_rate, 1), "send_mail_loop_rate": round(loop_rate, 1),
        "ratio": round(outbox_rate / loop_rate, 2), "goal": GOAL,
        "outbox_cpu_ms": round(outbox_cpu * 1000, 2),
        "send_mail_loop_cpu_ms": round(loop_cpu * 1000, 2),
        "cpu_ratio": round(loop_cpu / outbox_cpu, 2),
        "load_average": os.getloadavg()[0],
    }


def report(figures: dict) -> str:
    return (f"outbox dispatch ÷ plain send_mail loop: {figures['outbox_rate']:.0f} vs "
            f"{figures['send_mail_loop_rate']:.0f} msg/s -> ratio {figures['ratio']:.2f} "
            f"(goal ≥ {figures['goal']}; median of {figures['rounds']} interleaved rounds of "
            f"{figures['messages_per_round']}; load average {figures['load_average']:.1f}); "
            f"CPU per message {figures['outbox_cpu_ms']:.1f} vs "
            f"{figures['send_mail_loop_cpu_ms']:.1f} ms -> ratio {figures['cpu_ratio']:.2f}")
