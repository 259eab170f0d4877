"""Celery finds each app's `tasks` module; the app's capabilities keep their own."""

from participants.outbox.tasks import beat_heartbeat_task, dispatch_outbox_task

__all__ = ["beat_heartbeat_task", "dispatch_outbox_task"]
