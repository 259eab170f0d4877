"""The outbox's lag and beat's last tick, for /healthz (core.health) and /metrics.

Lag: the age of the oldest due pending message; it grows when no dispatcher runs
(no worker, no beat) or the workers cannot keep up. Beat's tick: a periodic task
records the time (record_beat_tick); its age grows when beat, or every worker,
stops.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from core import health
from participants.models import Heartbeat, Notification, NotificationStatus

BEAT = "beat"


@dataclass
class Backlog:
    due: int  # pending messages whose time has come
    lag_seconds: float  # how long the oldest of them has waited (0 when none)


def backlog() -> Backlog:
    now = timezone.now()
    found = Notification.objects.filter(
        status=NotificationStatus.PENDING, due_at__lte=now
    ).aggregate(due=Count("pk"), oldest=Min("due_at"))
    oldest = found["oldest"]
    return Backlog(due=found["due"],
                   lag_seconds=(now - oldest).total_seconds() if oldest else 0.0)


def record_beat_tick() -> None:
    Heartbeat.objects.update_or_create(name=BEAT, defaults={"at": timezone.now()})


def beat_tick_age() -> float | None:
    """Seconds since beat's last tick; None before the first."""
    at = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    return None if at is None else (timezone.now() - at).total_seconds()


def outbox_health() -> dict:
    found = backlog()
    behind = found.lag_seconds > settings.HEALTH_OUTBOX_LAG_SECONDS
    return {"status": health.DEGRADED if behind else health.OK, "due": found.due,
            "lag_seconds": round(found.lag_seconds, 1)}


def beat_health() -> dict:
    age = beat_tick_age()
    if age is None:
        return {"status": health.UNKNOWN, "last_tick_seconds": None}
    behind = age > settings.HEALTH_BEAT_TICK_SECONDS
    return {"status": health.DEGRADED if behind else health.OK,
            "last_tick_seconds": round(age, 1)}


class OutboxCollector:
    """Gauges read at scrape time: queue depth, lag, beat's tick age."""

    def collect(self):
        found = backlog()
        yield GaugeMetricFamily("parley_outbox_due_messages",
                                "Pending outbox messages whose time has come",
                                value=found.due)
        yield GaugeMetricFamily("parley_outbox_lag_seconds",
                                "Age of the oldest due pending outbox message (0: none)",
                                value=found.lag_seconds)
        age = beat_tick_age()
        yield GaugeMetricFamily("parley_beat_last_tick_age_seconds",
                                "Seconds since Celery beat's last heartbeat (-1: never)",
                                value=-1 if age is None else age)


def register() -> None:
    from core import metrics

    health.register("outbox", outbox_health)
    health.register("beat", beat_health)
    metrics.register_collector(OutboxCollector())
