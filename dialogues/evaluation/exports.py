"""The two CSV files: results (staff) and pseudonymous responses (owners, for researchers).

Neither names a person: a response carries its respondent's random key, never a user
id, name or email, and rows are ordered by that key, not by when people joined.
"""

from __future__ import annotations

from dialogues.evaluation.instruments import INSTRUMENTS
from dialogues.evaluation.stats import ROW_FIELDS
from dialogues.models import Evaluation, SurveyResponse


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    # A leading = + - @ would make a spreadsheet evaluate a text cell as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def results_table(rows: list[dict]) -> list[list[str]]:
    return [list(ROW_FIELDS), *([_cell(row[name]) for name in ROW_FIELDS] for row in rows)]


def responses_table(evaluation: Evaluation) -> list[list[str]]:
    items = [item.key for key in evaluation.instruments for item in INSTRUMENTS[key].items]
    responses = (SurveyResponse.objects.filter(wave__evaluation=evaluation)
                 .values_list("respondent__key", "respondent__side__name", "wave__name",
                              "answers")
                 .order_by("respondent__key", "wave__position"))
    return [["respondent", "side", "wave", *items],
            *([_cell(key), _cell(side), wave, *(_cell(answers.get(item)) for item in items)]
              for key, side, wave, answers in responses)]

