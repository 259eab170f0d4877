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
    """The day the program's participants' data is erased (if nothing else keeps it)."""
    if program.retention_days is None:
        return None
    return program.ends_on + timedelta(days=program.retention_days)


def people_due_for_erasure(today: date) -> list[User]:
    """Applicants all of whose programs are past their retention date, who are on no
    organization's staff. A program without a retention period keeps its people."""
    expired = [
        program.pk for program in Program.objects.filter(retention_days__isnull=False)
        if erasure_date(program) <= today
    ]
    still_kept = Application.objects.filter(applicant=OuterRef("pk")).exclude(
        program_id__in=expired)
    return list(
        User.objects.filter(erased_at__isnull=True, applications__program_id__in=expired)
        .exclude(Exists(still_kept))
        .exclude(Exists(Membership.objects.filter(user=OuterRef("pk"))))
        .distinct()
    )


def erase_expired_participants(*, today: date | None = None) -> int:
    today = today or timezone.localdate()
    erased = 0
    for person in people_due_for_erasure(today):
        try:
            erase_personal_data(user=person)
        except Conflict:  # became an owner in the meantime: keep, try again tomorrow
            logger.warning("retention: user %s not erased (sole owner)", person.pk)
            continue
        erased += 1
    logger.info("retention: erased %d people", erased)
    return erased
