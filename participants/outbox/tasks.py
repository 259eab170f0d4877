import logging

from celery import shared_task

from participants.outbox.dispatch import dispatch_outbox
from participants.outbox.health import record_beat_tick

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def dispatch_outbox_task() -> None:
    """Beat's tick: send what is due. Idempotent (rows are claimed in the database),
    so a re-delivered or overlapping task is harmless."""
    result = dispatch_outbox()
    if result.claimed or result.swept:
        logger.info("outbox: %s", result)


@shared_task(ignore_result=True)
def beat_heartbeat_task() -> None:
    """Records that beat ticked (and a worker ran it), for /healthz and /metrics."""
    record_beat_tick()
