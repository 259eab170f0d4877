"""The activity log: one call, inside the service's transaction."""

from django.db import models

from exchanges.models import ActivityLog


def log_activity(
    *,
    actor,
    verb: str,
    target: models.Model | None = None,
    organization_id: int | None = None,
    data: dict | None = None,
    ip_address: str | None = None,
) -> ActivityLog:
    return ActivityLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        organization_id=organization_id,
        data=data or {},
        ip_address=ip_address,
    )
