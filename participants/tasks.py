import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def dispatch_outbox_task() -> None:
    """Beat's tick: the outbox dispatcher (replaced by the real one with the reminders work)."""
    logger.info("outbox dispatcher tick")
