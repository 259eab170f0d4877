"""Evaluation: a program's surveys (instruments and waves), respondents and responses.

A respondent is one participant of one program under an opaque random key. Responses
hang on the respondent, not on the person: erasing the account unlinks the respondent
(user becomes null) while the key, the side and the answers stay, so the program's
paired statistics stay true and nothing in them points back to a person.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# pre, post, then follow-ups m1 … m24 (months after the program ends).
MAX_FOLLOWUP_MONTHS = 24
WAVE_NAMES = ("pre", "post", *(f"m{months}" for months in range(1, MAX_FOLLOWUP_MONTHS + 1)))


class Evaluation(models.Model):
    """What a program measures: instrument keys and follow-up months, set by its staff."""

    program = models.OneToOneField(
        "exchanges.Program", on_delete=models.CASCADE, related_name="evaluation"
    )
    instruments = models.JSONField(_("instruments"), default=list)
    followups = models.JSONField(_("follow-ups (months after the program ends)"), default=list)
    # The `pre` wave opens at the first save.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self):
        return f"evaluation of {self.program_id}"


class Wave(models.Model):
    """One round of the survey. Its window follows the program's dates and sessions
    unless staff opened or closed it by hand (`opened_at`, `closed_at`)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(_("wave"), max_length=4)
    position = models.PositiveSmallIntegerField(_("position"))
    opened_at = models.DateTimeField(_("opened by hand at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed by hand at"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invitations written at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")
        ordering = ["evaluation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "name"], name="wave_unique_name"),
            models.CheckConstraint(condition=models.Q(name__in=WAVE_NAMES),
                                   name="wave_name_valid"),
        ]

    def __str__(self):
        return self.name


def new_respondent_key() -> str:
    return secrets.token_hex(8)


class Respondent(models.Model):
    """A participant of one program's evaluation, known to statistics by `key` only."""

    program = models.ForeignKey(
        "exchanges.Program", on_delete=models.CASCADE, related_name="respondents"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    side = models.ForeignKey("exchanges.Side", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(_("respondent key"), max_length=32, unique=True,
                           default=new_respondent_key)
    declined_at = models.DateTimeField(_("declined the surveys at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("respondent")
        verbose_name_plural = _("respondents")
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="respondent_one_per_program"),
        ]

    def __str__(self):
        return self.key


class SurveyResponse(models.Model):
    """One respondent's answers to one wave: `{item_key: number}`."""

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, related_name="responses"
    )
    answers = models.JSONField(_("answers"))
    consented_at = models.DateTimeField(_("research consent given at"))
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["wave", "id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "respondent"],
                                    name="survey_response_one_per_wave"),
        ]

    def __str__(self):
        return f"{self.respondent_id} · {self.wave_id}"
