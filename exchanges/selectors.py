"""Read queries shared by pages and the API."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from exchanges.models import Program, ProgramStatus


def programs_open_for_applications() -> QuerySet[Program]:
    return (
        Program.objects.filter(status=ProgramStatus.PUBLISHED)
        .filter(Q(applications_close_at__isnull=True) | Q(applications_close_at__gt=timezone.now()))
        .select_related("organization")
        .prefetch_related("sides")
        .order_by("starts_on", "id")
    )
