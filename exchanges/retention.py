"""Retention: erase participants' personal data N days after their programs end."""

import logging
from datetime import date, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.errors import Conflict
from exchanges.models import Application, Membership, Program
from participants.models import User
from participants.privacy import erase_personal_data

logger = logging.getLogger(__name__)


def erasure_date(program: Program) -> date | None:
    """The day the program's participants' data is erased (if nothing else keeps it);
    date.max when that day lies beyond the calendar."""
    if program.retention_days is None:
        return None
    return _days_after(program.ends_on, program.retention_days)


def _days_after(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max


def _expired_program_ids(today: date) -> list[int]:
    expired = []
    rows = Program.objects.filter(retention_days__isnull=False).values_list(
        "pk", "ends_on", "retention_days")
    for pk, ends_on, retention_days in rows.iterator():
        if _days_after(ends_on, retention_days) <= today:
            expired.append(pk)
    return expired


def people_due_for_erasure(today: date) -> list[User]:
    """Applicants all of whose programs are past their retention date, who are on no
    organization's staff. A program without a retention period keeps its people."""
    expired = _expired_program_ids(today)
    still_kept = Application.objects.filter(applicant=OuterRef("pk")).exclude(
        program_id__in=expired)
    return list(
        User.objects.filter(erased_at__isnull=True, applications__program_id__in=expired)
        .exclude(Exists(still_kept))
        .exclude(Exists(Membership.objects.filter(user=OuterRef("pk"))))
        .distinct()
    )


def erase_expired_participants(*, today: date | None = None) -> int:
    """The daily job. One person who cannot be erased never stops the others."""
    today = today or timezone.localdate()
    erased = 0
    for person in people_due_for_erasure(today):
        try:
            erase_personal_data(user=person)
        except Conflict:  # became an owner in the meantime: keep, try again tomorrow
            logger.warning("retention: user %s not erased (sole owner)", person.pk)
            continue
        except Exception:  # logged with its traceback; tomorrow's run tries again
            logger.exception("retention: user %s not erased", person.pk)
            continue
        erased += 1
    logger.info("retention: erased %d people", erased)
    return erased
