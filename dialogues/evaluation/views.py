"""Evaluation pages: the participant's surveys, the staff's settings and results, and the
organization's results pooled across programs. Thin: services decide, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.csv_export import csv_response
from core.errors import Conflict
from dialogues.evaluation import exports, services, stats
from dialogues.evaluation.forms import EvaluationSettingsForm, SurveyForm, uses_points
from dialogues.evaluation.instruments import INSTRUMENTS
from dialogues.evaluation.selectors import (
    evaluation_of,
    evaluations_of_organization,
    has_answered,
    opening_problem,
    response_counts,
    surveys_of,
    wave_windows,
)
from exchanges.models import Role
from exchanges.selectors import (
    is_accepted_to,
    membership_of,
    programs_staffed_by,
    programs_visible_to,
    role_in,
)
from participants.forms import add_service_errors

# --- The participant's pages ------------------------------------------------------------

# How far apart the two circles of the closeness item are, per answer (SVG units, r = 24).
IOS_DISTANCES = {1: 58, 2: 48, 3: 40, 4: 32, 5: 24, 6: 15, 7: 6}
IOS_WORDS = {
    1: gettext_lazy("the circles are apart"),
    2: gettext_lazy("the circles touch"),
    3: gettext_lazy("they overlap a little"),
    4: gettext_lazy("they overlap by about a third"),
    5: gettext_lazy("they overlap by about half"),
    6: gettext_lazy("they overlap a lot"),
    7: gettext_lazy("they are almost one circle"),
}


def ios_pictures() -> list[dict]:
    return [{"value": value, "left": 60 - distance / 2, "right": 60 + distance / 2,
             "words": IOS_WORDS[value]} for value, distance in IOS_DISTANCES.items()]


def _questions(form: SurveyForm) -> list[dict]:
    """The form's fields grouped by instrument, with what each template branch needs."""
    groups = []
    for instrument, items in form.survey.instruments():
        groups.append({
            "instrument": instrument,
            "kind": "ios" if instrument.key == "ios" else
                    "points" if uses_points(instrument) else "number",
            "fields": [form[item.key] for item in items],
        })
    return groups


@login_required
def my_surveys(request):
    return render(request, "dialogues/evaluation/my_surveys.html",
                  {"surveys": surveys_of(request.user)})


@login_required
def survey_answer(request, program_id, wave):
    program = get_object_or_404(programs_visible_to(request.user), pk=program_id)
    survey = next((s for s in surveys_of(request.user, program_id=program.pk,
                                         include_answered=True) if s.wave == wave), None)
    if survey is None:
        return render(request, "dialogues/evaluation/survey_closed.html", {
            "program": program, "accepted": is_accepted_to(request.user, program.pk)},
            status=404)
    form = SurveyForm(request.POST if request.method == "POST" else None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_respond(program=program, wave_name=wave, user=request.user,
                                    consent=form.cleaned_data["consent"],
                                    answers=form.answers())
        except services.AnswerErrors as exc:
            form.add_service_errors(exc.errors)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("my-surveys")
        else:
            messages.success(request, _("Thank you: your answers were saved."))
            return redirect("my-surveys")
    answered = has_answered(request.user, survey.window.wave)
    return render(request, "dialogues/evaluation/survey.html", {
        "program": program, "survey": survey, "form": form, "questions": _questions(form),
        "ios": ios_pictures(), "answered": answered,
    }, status=200 if not form.errors else 400)


@login_required
@require_POST
def survey_decline(request, program_id):
    program = get_object_or_404(programs_visible_to(request.user), pk=program_id)
    try:
        services.survey_decline(program=program, user=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _(
            "You will get no more surveys for %(title)s. Your place in the program is "
            "unchanged.") % {"title": program.title})
    return redirect("my-surveys")


# --- The staff's pages ------------------------------------------------------------------


def _staffed_program(request, program_id):
    return get_object_or_404(programs_staffed_by(request.user), pk=program_id)


def _initial(evaluation) -> dict:
    if evaluation is None:
        return {"instruments": ["thermometer", "ios", "trust", "anxiety"],
                "followups": ", ".join(map(str, services.DEFAULT_FOLLOWUPS))}
    return {"instruments": evaluation.instruments,
            "followups": ", ".join(map(str, evaluation.followups))}


@login_required
def evaluation_settings(request, program_id):
    program = _staffed_program(request, program_id)
    evaluation = evaluation_of(program)
    form = EvaluationSettingsForm(request.POST if request.method == "POST" else None,
                                  initial=_initial(evaluation))
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_save(program=program, actor=request.user,
                                     instruments=form.cleaned_data["instruments"],
                                     followups=form.cleaned_data["followups"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The evaluation was saved."))
            return redirect("evaluation-settings", program_id=program.pk)
    waves = []
    if evaluation is not None:
        counts = response_counts(evaluation)
        windows = wave_windows(evaluation)
        waves = [{"window": w, "state": w.state(), "responses": counts.get(w.name, 0),
                  "can_open": opening_problem(windows, w) is None} for w in windows]
    return render(request, "dialogues/evaluation/settings.html", {
        "program": program, "evaluation": evaluation, "form": form, "waves": waves,
        "instruments": INSTRUMENTS.values(),
        "is_owner": role_in(request.user, program.organization_id) == Role.OWNER,
    }, status=400 if form.errors else 200)


WAVE_ACTIONS = {"open": services.wave_open, "close": services.wave_close}


@login_required
@require_POST
def evaluation_wave(request, program_id, wave, action):
    program = _staffed_program(request, program_id)
    evaluation = evaluation_of(program)
    target = next((w for w in evaluation.waves.all() if w.name == wave), None) \
        if evaluation else None
    if target is None:
        raise Http404
    try:
        WAVE_ACTIONS[action](evaluation=evaluation, wave=target, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The wave %(wave)s is now %(state)s.") % {
            "wave": wave, "state": _("open") if action == "open" else _("closed")})
    return redirect("evaluation-settings", program_id=program.pk)


def _evaluation_or_404(program):
    evaluation = evaluation_of(program)
    if evaluation is None:
        raise Http404
    return evaluation


@login_required
def evaluation_results(request, program_id):
    program = _staffed_program(request, program_id)
    evaluation = evaluation_of(program)
    rows = stats.program_results(evaluation) if evaluation else []
    return render(request, "dialogues/evaluation/results.html", {
        "program": program, "evaluation": evaluation, "charts": stats.chart_data(rows),
        "tables": stats.tables(rows), "min_cell": stats.MIN_CELL,
        "is_owner": role_in(request.user, program.organization_id) == Role.OWNER,
    })


@login_required
def evaluation_results_csv(request, program_id):
    program = _staffed_program(request, program_id)
    rows = stats.program_results(_evaluation_or_404(program))
    return csv_response(exports.results_table(rows),
                                f"program-{program.pk}-results.csv")


@login_required
def evaluation_responses_csv(request, program_id):
    program = _staffed_program(request, program_id)
    evaluation = _evaluation_or_404(program)
    services.responses_export_logged(program=program, actor=request.user)
    return csv_response(exports.responses_table(evaluation),
                                f"program-{program.pk}-responses.csv")


@login_required
def organization_results(request, slug):
    membership = membership_of(request.user, slug)
    if membership is None or not membership.is_staff_role:
        raise Http404
    evaluations = list(evaluations_of_organization(membership.organization_id))
    rows = stats.organization_results(evaluations)
    return render(request, "dialogues/evaluation/organization_results.html", {
        "organization": membership.organization, "programs": [e.program for e in evaluations],
        "charts": stats.chart_data(rows), "tables": stats.tables(rows),
        "min_cell": stats.MIN_CELL,
    })
