import logging

from celery import shared_task

from dialogues.evaluation.invitations import open_due_waves

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def open_due_waves_task() -> None:
    """Beat's tick: waves whose window has opened send their invitations. Idempotent
    (each wave records when it invited), so an overlapping run changes nothing."""
    opened = open_due_waves()
    if opened:
        logger.info("evaluation: %d survey waves opened", opened)
