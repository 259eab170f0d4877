"""Helpers for evaluation tests: a program with an evaluation, waves moved on by hand,
and complete answers built from a few chosen values."""

from datetime import timedelta

from django.utils import timezone

from dialogues.evaluation import services
from dialogues.evaluation.instruments import INSTRUMENTS
from dialogues.evaluation.selectors import evaluation_of, wave_windows
from dialogues.models import Wave
from tests.factories import program_with_sides


def upcoming_program(*sides: str, **kwargs):
    """A program that starts in a month and runs for a month, so its pre wave (open
    until the program's first day) is still open."""
    today = timezone.localdate()
    kwargs.setdefault("starts_on", today + timedelta(days=30))
    kwargs.setdefault("ends_on", today + timedelta(days=60))
    return program_with_sides(*sides, **kwargs)


def answers(given: dict | None = None, instruments=("thermometer",)) -> dict:
    """Every item of `instruments` answered: the scale's minimum unless `given`."""
    given = given or {}
    return {item.key: given.get(item.key, INSTRUMENTS[key].min)
            for key in instruments for item in INSTRUMENTS[key].items}


def evaluate(program, actor, *, instruments=("thermometer",), followups=(1,)):
    return services.evaluation_save(program=program, actor=actor,
                                    instruments=list(instruments), followups=list(followups))


def wave(program, name) -> Wave:
    return Wave.objects.get(evaluation__program=program, name=name)


def move_to(program, actor, name):
    """Close whatever wave is open and open `name` by hand."""
    evaluation = evaluation_of(program)
    for window in wave_windows(evaluation):
        if window.state() == "open":
            services.wave_close(evaluation=evaluation, wave=window.wave, actor=actor)
    return services.wave_open(evaluation=evaluation_of(program), wave=wave(program, name),
                              actor=actor)


def respond(program, user, wave_name, values, *, consent=True):
    return services.survey_respond(program=program, wave_name=wave_name, user=user,
                                   consent=consent, answers=values)
