"""Writing to the outbox. Called inside the transaction of the change that causes it."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from participants.models import Notification, NotificationStatus


def enqueue(
    *,
    recipient_id: int | None = None,
    recipient_email: str = "",
    kind: str,
    dedupe_key: str,
    organization_id: int | None = None,
    context: dict | None = None,
    due_at: datetime | None = None,
) -> Notification:
    """Write a notice due at `due_at` (now by default), to a person or (`recipient_email`
    alone) to an address whether or not it has an account; a second call with the same
    key changes nothing.

    (Reminders and follow-ups, which move with their sessions, are planned by
    dialogues.reminders.)
    """
    if (recipient_id is None) == (not recipient_email):
        raise ValueError("give either recipient_id or recipient_email")
    notification, _ = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={"recipient_id": recipient_id, "recipient_email": recipient_email,
                  "kind": kind, "due_at": due_at or timezone.now(),
                  "organization_id": organization_id, "context": context or {}},
    )
    return notification


def cancel_pending(notifications: QuerySet[Notification], reason: str) -> int:
    return notifications.filter(status=NotificationStatus.PENDING).update(
        status=NotificationStatus.CANCELLED, last_error=reason, updated_at=timezone.now()
    )
