from celery import shared_task

from exchanges.retention import erase_expired_participants


@shared_task(ignore_result=True)
def erase_expired_participants_task() -> None:
    erase_expired_participants()
