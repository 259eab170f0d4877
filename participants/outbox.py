"""Writing to the outbox. Called inside the transaction of the change that causes it."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from participants.models import Notification, NotificationStatus


def enqueue(
    *,
    recipient_id: int,
    kind: str,
    dedupe_key: str,
    due_at: datetime | None = None,
    organization_id: int | None = None,
    context: dict | None = None,
) -> Notification:
    """Plan one message; a second call with the same key changes nothing.

    A pending row with the same key is moved to the new due time (re-planning).
    """
    now = timezone.now()
    due_at = due_at or now
    existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        if existing.status == NotificationStatus.PENDING and existing.due_at != due_at:
            existing.due_at = due_at
            existing.save(update_fields=["due_at", "updated_at"])
        return existing
    return Notification.objects.create(
        recipient_id=recipient_id,
        kind=kind,
        dedupe_key=dedupe_key,
        due_at=due_at,
        organization_id=organization_id,
        context=context or {},
    )


def cancel_pending(notifications: QuerySet[Notification], reason: str) -> int:
    return notifications.filter(status=NotificationStatus.PENDING).update(
        status=NotificationStatus.CANCELLED, last_error=reason, updated_at=timezone.now()
    )


def pending_keys(keys: Iterable[str]) -> set[str]:
    return set(
        Notification.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True)
    )
