"""Survey invitations and reminders: the relevance check right before sending, and the email.

Registered from DialoguesConfig.ready(). Both kinds are optional: the dispatcher drops
them for anyone who turned reminder and follow-up emails off.
"""

from __future__ import annotations

from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from core.templatetags.parley_time import format_time
from dialogues.evaluation.invitations import SURVEY_INVITATION, SURVEY_REMINDER
from dialogues.evaluation.selectors import WaveState, wave_windows
from dialogues.models import Respondent, SurveyResponse, Wave
from exchanges.selectors import is_accepted_to
from participants.models import Notification, NotificationStatus
from participants.outbox import kinds


def _checked_context(notification: Notification) -> dict:
    wave = (Wave.objects.select_related("evaluation__program__organization")
            .filter(pk=notification.context.get("wave")).first())
    if wave is None:
        raise kinds.NotRelevant("the survey wave no longer exists")
    evaluation = wave.evaluation
    program = evaluation.program
    window = next(w for w in wave_windows(evaluation) if w.wave.pk == wave.pk)
    if window.state() != WaveState.OPEN:
        raise kinds.NotRelevant("the survey is not open", status=NotificationStatus.MISSED)
    if not is_accepted_to(notification.recipient, program.pk):
        raise kinds.NotRelevant("the recipient is no longer accepted to the program")
    respondent = Respondent.objects.filter(program=program,
                                           user_id=notification.recipient_id).first()
    if respondent is not None and respondent.declined_at is not None:
        raise kinds.NotRelevant("the recipient declined the surveys")
    if respondent is not None and SurveyResponse.objects.filter(
            wave=wave, respondent=respondent).exists():
        raise kinds.NotRelevant("the recipient has already answered")
    closes = format_time(window.closes_at)
    return {
        "recipient": notification.recipient, "program": program,
        "organization": program.organization, "wave": wave.name,
        "closes_html": closes, "closes_text": strip_tags(closes),
        "survey_path": f"/programs/{program.pk}/evaluation/{wave.name}/",
    }


def build_survey_invitation(notification: Notification) -> kinds.Email:
    return kinds.render_email("survey_invitation", _checked_context(notification))


def build_survey_reminder(notification: Notification) -> kinds.Email:
    return kinds.render_email("survey_reminder", _checked_context(notification))


def register() -> None:
    kinds.register(SURVEY_INVITATION, label=_("Survey invitation"),
                   build=build_survey_invitation, optional=True)
    kinds.register(SURVEY_REMINDER, label=_("Survey reminder"),
                   build=build_survey_reminder, optional=True)
