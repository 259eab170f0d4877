"""Celery finds each app's `tasks` module; the app's capabilities keep their own."""

from participants.outbox.tasks import dispatch_outbox_task

__all__ = ["dispatch_outbox_task"]
