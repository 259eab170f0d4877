"""Survey invitations and reminders, planned into the outbox.

Written in the transaction that opens a wave (by hand, at the first save, or by the
scheduled tick when a default window opens) or accepts a participant while a wave is
open. Who gets them is settled broadly here and again by the kinds' handlers right
before sending (dialogues/evaluation/notices.py), because a person may answer,
decline, withdraw or turn follow-ups off in between. Dedupe keys (per wave and
person) make planning idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from dialogues.evaluation.selectors import (
    MONTH_DAYS,
    WAVE_DAYS,
    WaveState,
    WaveWindow,
    evaluation_of,
    wave_windows,
)
from dialogues.models import (
    MAX_FOLLOWUP_MONTHS,
    Evaluation,
    Respondent,
    SurveyResponse,
    Wave,
)
from exchanges.models import Application, ApplicationStatus, Program, ProgramStatus
from exchanges.signals import application_status_changed
from participants.models import Notification, NotificationStatus
from participants.outbox.services import enqueue

SURVEY_INVITATION = "survey_invitation"
SURVEY_REMINDER = "survey_reminder"
SURVEY_KINDS = (SURVEY_INVITATION, SURVEY_REMINDER)


def survey_messages(*, wave_id: int | None = None, program_id: int | None = None):
    rows = Notification.objects.filter(kind__in=SURVEY_KINDS)
    if wave_id is not None:
        rows = rows.filter(context__wave=wave_id)
    if program_id is not None:
        rows = rows.filter(context__program=program_id)
    return rows


def reminder_times(window: WaveWindow, now: datetime | None = None) -> list[tuple[str, datetime]]:
    """Halfway through the window and one day before it closes, when still ahead."""
    now = now or timezone.now()
    half = window.opens_at + (window.closes_at - window.opens_at) / 2
    last = window.closes_at - timedelta(days=1)
    times = []
    if now < half < last:
        times.append(("half", half))
    if now < last and window.opens_at < last:
        times.append(("last", last))
    return times


def _invitees(program_id: int, wave: Wave, user_ids: Iterable[int] | None = None) -> list[int]:
    """Accepted participants who have neither declined nor answered this wave."""
    accepted = Application.objects.filter(program_id=program_id,
                                          status=ApplicationStatus.ACCEPTED)
    if user_ids is not None:
        accepted = accepted.filter(applicant_id__in=list(user_ids))
    left_out = set(Respondent.objects.filter(program_id=program_id, declined_at__isnull=False)
                   .values_list("user_id", flat=True))
    left_out |= set(SurveyResponse.objects.filter(wave=wave)
                    .values_list("respondent__user_id", flat=True))
    return [pk for pk in accepted.order_by("applicant_id").values_list("applicant_id", flat=True)
            if pk not in left_out]


def _invite(window: WaveWindow, program: Program, user_ids: list[int]) -> None:
    wave = window.wave
    context = {"program": program.pk, "wave": wave.pk}
    times = reminder_times(window)
    for user_id in user_ids:
        enqueue(recipient_id=user_id, kind=SURVEY_INVITATION,
                dedupe_key=f"{SURVEY_INVITATION}:{wave.pk}:{user_id}",
                organization_id=program.organization_id, context=context)
        for tag, due_at in times:
            enqueue(recipient_id=user_id, kind=SURVEY_REMINDER,
                    dedupe_key=f"{SURVEY_REMINDER}:{wave.pk}:{user_id}:{tag}",
                    organization_id=program.organization_id, context={**context, "at": tag},
                    due_at=due_at)


def invite_open_waves(evaluation: Evaluation) -> int:
    """Invite everyone to each open wave not yet invited to; the number of waves."""
    program = evaluation.program
    opened = 0
    for window in wave_windows(evaluation):
        if window.wave.invited_at is None and window.state() == WaveState.OPEN:
            _invite(window, program, _invitees(program.pk, window.wave))
            Wave.objects.filter(pk=window.wave.pk).update(invited_at=timezone.now())
            opened += 1
    return opened


def _move_reminders(window: WaveWindow) -> None:
    """A wave's window moved (its first or last session did): pending reminders follow."""
    for tag, due_at in reminder_times(window):
        (survey_messages(wave_id=window.wave.pk)
         .filter(kind=SURVEY_REMINDER, status=NotificationStatus.PENDING, context__at=tag)
         .exclude(due_at=due_at).update(due_at=due_at, updated_at=timezone.now()))


def open_due_waves() -> int:
    """The scheduled tick: waves whose window has opened get their invitations; open
    waves' reminders follow their window. Returns the number of waves opened."""
    opened = 0
    # Default windows end at the latest 24 × 30 + 14 days after the program ends; windows
    # opened by hand invite when they open and never move, so older programs are done.
    done_before = timezone.now().date() - timedelta(days=MAX_FOLLOWUP_MONTHS * MONTH_DAYS
                                                    + WAVE_DAYS)
    evaluations = (Evaluation.objects.exclude(program__status=ProgramStatus.ARCHIVED)
                   .filter(program__ends_on__gte=done_before, waves__closed_at__isnull=True)
                   .distinct().values_list("pk", flat=True))
    for evaluation_id in evaluations:
        with transaction.atomic():
            evaluation = Evaluation.objects.select_for_update().filter(pk=evaluation_id).first()
            if evaluation is None:
                continue
            evaluation = evaluation_of(evaluation.program)
            opened += invite_open_waves(evaluation)
            for window in wave_windows(evaluation):
                if window.wave.invited_at is not None and window.state() == WaveState.OPEN:
                    _move_reminders(window)
    return opened


@receiver(application_status_changed, dispatch_uid="dialogues.evaluation.application_changed")
def application_changed(sender, *, application: Application, previous_status: str,
                        **kwargs) -> None:
    """Someone accepted while a wave is open is invited to it like everyone else."""
    if application.status != ApplicationStatus.ACCEPTED:
        return
    evaluation = evaluation_of(application.program)
    if evaluation is None:
        return
    for window in wave_windows(evaluation):
        if window.wave.invited_at is not None and window.state() == WaveState.OPEN:
            _invite(window, application.program,
                    _invitees(application.program_id, window.wave, [application.applicant_id]))
