"""Every state change of evaluation: settings, waves, declining, answering, and what
erasure leaves. (Invitations and reminders are planned by invitations.py.)

Each function takes keyword arguments and runs in one transaction. Field errors raise
Django's ValidationError; state conflicts raise core.errors.Conflict with the API's
code; a change only staff may make raises PermissionDenied for anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from dialogues.evaluation.instruments import INSTRUMENTS, ordered
from dialogues.evaluation.invitations import invite_open_waves, survey_messages
from dialogues.evaluation.selectors import (
    WaveState,
    WaveWindow,
    evaluation_of,
    has_responses,
    opening_problem,
    wave_windows,
)
from dialogues.models import (
    MAX_FOLLOWUP_MONTHS,
    Evaluation,
    Respondent,
    SurveyResponse,
    Wave,
)
from exchanges.activity import log_activity
from exchanges.models import Application, ApplicationStatus, Program, ProgramStatus
from exchanges.selectors import require_owner, require_staff
from participants.models import User
from participants.outbox.services import cancel_pending

DEFAULT_FOLLOWUPS = (1, 3, 6)
MAX_ANSWER_KEYS = 200


class AnswerErrors(ValidationError):
    """A response was refused: `errors` is `{"consent": [...], "answers": {item: [...]}}`."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__(_("The answers could not be saved; nothing was stored."))
        self.errors = errors


# --- Settings ---------------------------------------------------------------------------


def wave_names(followups: Iterable[int]) -> list[str]:
    return ["pre", "post", *(f"m{months}" for months in sorted(set(followups)))]


def settings_problems(instruments: list[str], followups: list[int]) -> dict[str, list[str]]:
    """Why these settings cannot be saved (field -> messages), or {}. The one place."""
    problems: dict[str, list[str]] = {}
    unknown = [key for key in instruments if key not in INSTRUMENTS]
    if unknown:
        problems["instruments"] = [_("Unknown instrument: %(keys)s. Choose from %(known)s.") % {
            "keys": ", ".join(map(str, unknown)), "known": ", ".join(INSTRUMENTS)}]
    elif not instruments:
        problems["instruments"] = [_("Choose at least one instrument.")]
    if any(isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= MAX_FOLLOWUP_MONTHS
           for m in followups):
        problems["followups"] = [_("Each follow-up is a whole number of months from 1 to "
                                   "%(max)d.") % {"max": MAX_FOLLOWUP_MONTHS}]
    return problems


def evaluation_save(*, program: Program, actor: User, instruments: list[str],
                    followups: list[int] | None = None) -> Evaluation:
    """Create or change a program's evaluation. The first save opens `pre`."""
    require_staff(actor, program.organization_id)
    followups = list(DEFAULT_FOLLOWUPS if followups is None else followups)
    problems = settings_problems(list(instruments), followups)
    if problems:
        raise ValidationError(problems)
    instruments = ordered(instruments)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if program.status == ProgramStatus.ARCHIVED:
            raise Conflict("invalid_transition", _("An archived program is read-only."))
        evaluation = evaluation_of(program)
        created = evaluation is None
        if created:
            evaluation = Evaluation.objects.create(program=program, instruments=instruments,
                                                   followups=sorted(set(followups)))
        else:
            if evaluation.instruments != instruments and has_responses(evaluation):
                raise Conflict("invalid_transition", _(
                    "The instruments cannot change once someone has answered."))
            evaluation.instruments = instruments
            evaluation.followups = sorted(set(followups))
            evaluation.save(update_fields=["instruments", "followups", "updated_at"])
        _set_waves(evaluation, wave_names(followups))
        evaluation = evaluation_of(program)
        invite_open_waves(evaluation)
        log_activity(actor=actor, verb="evaluation.created" if created else "evaluation.changed",
                     target=program, organization_id=program.organization_id,
                     data={"instruments": instruments, "followups": evaluation.followups})
    return evaluation


def _set_waves(evaluation: Evaluation, names: list[str]) -> None:
    existing = {wave.name: wave for wave in evaluation.waves.all()}
    removed = [wave for name, wave in existing.items() if name not in names]
    if removed and SurveyResponse.objects.filter(wave__in=removed).exists():
        raise Conflict("invalid_transition", _(
            "A follow-up that has answers cannot be removed."))
    Wave.objects.filter(pk__in=[wave.pk for wave in removed]).delete()
    for position, name in enumerate(names):
        wave = existing.get(name)
        if wave is None:
            Wave.objects.create(evaluation=evaluation, name=name, position=position)
        elif wave.position != position:
            Wave.objects.filter(pk=wave.pk).update(position=position)


# --- Waves by hand ----------------------------------------------------------------------


def _locked_windows(evaluation: Evaluation) -> list[WaveWindow]:
    Evaluation.objects.select_for_update().filter(pk=evaluation.pk).first()
    evaluation = evaluation_of(evaluation.program)
    if evaluation.program.status == ProgramStatus.ARCHIVED:
        raise Conflict("invalid_transition", _("An archived program is read-only."))
    return wave_windows(evaluation)


def _window(windows: list[WaveWindow], wave: Wave) -> WaveWindow:
    return next(window for window in windows if window.wave.pk == wave.pk)


def wave_open(*, evaluation: Evaluation, wave: Wave, actor: User) -> WaveWindow:
    """Open an upcoming wave now, for 14 days; every earlier wave must be closed."""
    program = evaluation.program
    require_staff(actor, program.organization_id)
    with transaction.atomic():
        windows = _locked_windows(evaluation)
        problem = opening_problem(windows, _window(windows, wave))
        if problem == "already":
            raise Conflict("invalid_transition", _("This wave is already open or closed."))
        if problem == "order":
            raise Conflict("invalid_transition", _(
                "Close the earlier waves first: waves open in order."))
        Wave.objects.filter(pk=wave.pk).update(opened_at=timezone.now(), closed_at=None)
        evaluation = evaluation_of(program)
        invite_open_waves(evaluation)
        log_activity(actor=actor, verb="evaluation.wave_opened", target=program,
                     organization_id=program.organization_id, data={"wave": wave.name})
        return _window(wave_windows(evaluation), wave)


def wave_close(*, evaluation: Evaluation, wave: Wave, actor: User) -> WaveWindow:
    """Close an open wave now; its unsent invitations and reminders are cancelled."""
    program = evaluation.program
    require_staff(actor, program.organization_id)
    with transaction.atomic():
        window = _window(_locked_windows(evaluation), wave)
        if window.state() != WaveState.OPEN:
            raise Conflict("invalid_transition", _("Only an open wave can be closed."))
        Wave.objects.filter(pk=wave.pk).update(closed_at=timezone.now())
        cancel_pending(survey_messages(wave_id=wave.pk), "the wave was closed")
        log_activity(actor=actor, verb="evaluation.wave_closed", target=program,
                     organization_id=program.organization_id, data={"wave": wave.name})
        return _window(wave_windows(evaluation_of(program)), wave)


# --- Participants -----------------------------------------------------------------------


def _accepted_application(program: Program, user: User) -> Application:
    application = (Application.objects.filter(program=program, applicant=user,
                                              status=ApplicationStatus.ACCEPTED)
                   .select_related("side").first())
    if application is None:
        raise Conflict("not_accepted", _("Only accepted participants take part in the surveys."))
    return application


def _respondent(program: Program, application: Application) -> Respondent:
    respondent, _created = Respondent.objects.get_or_create(
        program=program, user_id=application.applicant_id,
        defaults={"side_id": application.side_id})
    return respondent


def survey_decline(*, program: Program, user: User) -> Respondent:
    """No more invitations or reminders for this program's surveys; participation stays."""
    with transaction.atomic():
        respondent = _respondent(program, _accepted_application(program, user))
        if respondent.declined_at is None:
            respondent.declined_at = timezone.now()
            respondent.save(update_fields=["declined_at"])
        cancel_pending(survey_messages(program_id=program.pk).filter(recipient=user),
                       "the participant declined the surveys")
    return respondent


def answer_problems(instrument_keys: list[str], answers: Any
                    ) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Per item key, why its answer cannot be stored; and the answers as whole numbers."""
    if not isinstance(answers, Mapping):
        return {"": [_("Send the answers as an object of item keys and numbers.")]}, {}
    if len(answers) > MAX_ANSWER_KEYS:
        return {"": [_("Too many answers.")]}, {}
    expected = {item.key: instrument for key in instrument_keys
                for instrument in [INSTRUMENTS[key]] for item in instrument.items}
    problems: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for key in answers:
        if key not in expected:
            problems[str(key)[:40]] = [_("This program's survey has no such item.")]
    for key, instrument in expected.items():
        if key not in answers or answers[key] is None:
            problems[key] = [_("This item needs an answer.")]
            continue
        value = _whole_number(answers[key])
        if value is None or not instrument.min <= value <= instrument.max:
            problems[key] = [_("Give a whole number from %(min)d to %(max)d.") % {
                "min": instrument.min, "max": instrument.max}]
        else:
            clean[key] = value
    return problems, clean


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def survey_respond(*, program: Program, wave_name: str, user: User, consent: bool,
                   answers: Any) -> SurveyResponse:
    """Store one participant's answers to an open wave, once, with research consent."""
    with transaction.atomic():
        application = _accepted_application(program, user)
        evaluation = evaluation_of(program)
        window = next((w for w in wave_windows(evaluation) if w.name == wave_name), None)
        if window is None or window.state() != WaveState.OPEN:
            raise Conflict("not_open", _("This survey is not open."))
        respondent = _respondent(program, application)
        if SurveyResponse.objects.filter(wave=window.wave, respondent=respondent).exists():
            raise Conflict("already_answered", _("You have already answered this survey."))
        problems, clean = answer_problems(evaluation.instruments, answers)
        errors: dict[str, Any] = {}
        if consent is not True:
            errors["consent"] = [_("Tick the research consent to send your answers.")]
        if problems:
            errors["answers"] = problems
        if errors:
            raise AnswerErrors(errors)
        now = timezone.now()
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    wave=window.wave, respondent=respondent, answers=clean, consented_at=now,
                    submitted_at=now)
        except IntegrityError:
            raise Conflict("already_answered",
                           _("You have already answered this survey.")) from None
        if respondent.declined_at is not None:  # answering with consent is consenting again
            Respondent.objects.filter(pk=respondent.pk).update(declined_at=None)
        cancel_pending(survey_messages(wave_id=window.wave.pk).filter(recipient=user),
                       "the participant answered")
    return response


# --- Researchers' export ----------------------------------------------------------------


def responses_export_logged(*, program: Program, actor: User) -> None:
    """Owners only; the export of pseudonymous answers is written to the activity log."""
    require_owner(actor, program.organization_id)
    log_activity(actor=actor, verb="evaluation.responses_exported", target=program,
                 organization_id=program.organization_id)


# --- Privacy ----------------------------------------------------------------------------


def unlink_person(user: User) -> int:
    """Erasure: the person's respondents lose their link to the account; the opaque key,
    side and answers stay, so the program's statistics stay true."""
    return Respondent.objects.filter(user=user).update(user=None)
