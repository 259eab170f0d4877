"""Change per side, instrument and wave (API.md "Result rows"), never pooled across sides.

For each respondent of a side with a score in both `pre` and a wave, change = wave
score − pre score. The figures come from numpy (mean, median, sample SD) and scipy
(the t quantile); cells under five respondents are suppressed entirely.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy
from scipy import stats as scipy_stats

from dialogues.evaluation.instruments import INSTRUMENTS, ordered
from dialogues.models import Evaluation, SurveyResponse

MIN_CELL = 5
DECIMALS = 4
FIGURES = ("n", "mean_change", "median_change", "ci95_low", "ci95_high", "effect_size",
           "attrition", "persistence")
ROW_FIELDS = ("side", "side_name", "instrument", "wave", *FIGURES, "suppressed")

# (side, instrument, wave) -> {respondent: score}
Cells = dict[tuple[object, str, str], dict[object, float]]


def change_figures(changes: Sequence[float], *, pre_count: int) -> dict | None:
    """n, mean and median change, 95 % interval, effect size and attrition; None under
    MIN_CELL respondents (the cell is suppressed)."""
    n = len(changes)
    if n < MIN_CELL:
        return None
    values = numpy.asarray(changes, dtype=float)
    mean = float(values.mean())
    sd = float(values.std(ddof=1))
    half_width = float(scipy_stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {
        "n": n,
        "mean_change": mean,
        "median_change": float(numpy.median(values)),
        "ci95_low": mean - half_width,
        "ci95_high": mean + half_width,
        "effect_size": mean / sd if sd else None,
        "attrition": 1 - n / pre_count,
    }


def _rounded(value):
    if isinstance(value, float):
        return round(value, DECIMALS)
    return value


def score_cells(rows: Iterable[tuple[object, object, str, dict]],
                instrument_keys: Sequence[str]) -> Cells:
    """Rows of (respondent, side, wave, answers) -> each respondent's instrument scores."""
    instruments = [INSTRUMENTS[key] for key in instrument_keys]
    cells: Cells = defaultdict(dict)
    for respondent, side, wave, answers in rows:
        for instrument in instruments:
            score = instrument.score(answers)
            if score is not None:
                cells[(side, instrument.key, wave)][respondent] = score
    return cells


def _changes(cells: Cells, side, instrument: str, wave: str) -> tuple[list[float], int]:
    pre = cells.get((side, instrument, "pre"), {})
    now = cells.get((side, instrument, wave), {})
    return [score - pre[who] for who, score in now.items() if who in pre], len(pre)


def result_row(*, side_id, side_name: str, instrument: str, wave: str,
               figures: dict | None, post_mean: float | None) -> dict:
    row = {"side": side_id, "side_name": side_name, "instrument": instrument, "wave": wave}
    if figures is None:
        return {**row, **dict.fromkeys(FIGURES), "suppressed": True}
    persistence = None
    if wave != "post" and post_mean:  # a suppressed post (None) or a zero post: no ratio
        persistence = figures["mean_change"] / post_mean
    return {**row, **{name: _rounded(figures.get(name)) for name in FIGURES[:-1]},
            "persistence": _rounded(persistence), "suppressed": False}


@dataclass(frozen=True)
class Group:
    """A column of results: one side of one program, or (pooled) every side of that name."""

    key: object
    side_id: int | None
    name: str


def results_rows(cells: Cells, groups: Sequence[Group], instrument_keys: Sequence[str],
                 waves: Sequence[str]) -> list[dict]:
    rows = []
    for group in groups:
        for instrument in instrument_keys:
            post_mean = None
            for wave in waves:
                if wave == "pre":
                    continue
                changes, pre_count = _changes(cells, group.key, instrument, wave)
                figures = change_figures(changes, pre_count=pre_count)
                if wave == "post":
                    post_mean = figures["mean_change"] if figures else None
                rows.append(result_row(side_id=group.side_id, side_name=group.name,
                                       instrument=instrument, wave=wave, figures=figures,
                                       post_mean=post_mean))
    return rows


def _response_rows(evaluations: Iterable[Evaluation]):
    return (SurveyResponse.objects.filter(wave__evaluation__in=list(evaluations))
            .values_list("respondent_id", "respondent__side_id", "wave__name", "answers")
            .iterator(chunk_size=2000))


def program_results(evaluation: Evaluation) -> list[dict]:
    """The API's result rows of one program: side × instrument × wave other than pre.
    Two queries (sides, responses), whatever the number of respondents."""
    sides = list(evaluation.program.sides.all())
    waves = [wave.name for wave in sorted(evaluation.waves.all(), key=lambda w: w.position)]
    cells = score_cells(_response_rows([evaluation]), evaluation.instruments)
    groups = [Group(key=side.pk, side_id=side.pk, name=side.name) for side in sides]
    return results_rows(cells, groups, evaluation.instruments, waves)


WAVE_ORDER = {"pre": -2, "post": -1}


def wave_sort_key(name: str) -> int:
    return WAVE_ORDER.get(name, int(name[1:]) if name[1:].isdigit() else 999)


def organization_results(evaluations: Sequence[Evaluation]) -> list[dict]:
    """Programs pooled by side name (case-insensitive): every "Greek Cypriot" side of the
    organization's evaluated programs counts together, per instrument and wave. Each
    respondent's change is still measured against their own program's pre."""
    names: dict[str, str] = {}
    side_group: dict[int, str] = {}
    waves: set[str] = set()
    instruments: set[str] = set()
    for evaluation in evaluations:
        for side in evaluation.program.sides.all():
            group = side.name.casefold()
            names.setdefault(group, side.name)
            side_group[side.pk] = group
        waves |= {wave.name for wave in evaluation.waves.all()}
        instruments |= set(evaluation.instruments)
    keys = ordered(instruments)
    rows = ((respondent, side_group.get(side), wave, answers)
            for respondent, side, wave, answers in _response_rows(evaluations))
    cells = score_cells(rows, keys)
    groups = [Group(key=group, side_id=None, name=name)
              for group, name in sorted(names.items(), key=lambda item: item[1].casefold())]
    rows = results_rows(cells, groups, keys, sorted(waves, key=wave_sort_key))
    for row in rows:
        del row["side"]
    return rows


# --- For the chart and the tables -----------------------------------------------------


def chart_data(rows: list[dict]) -> list[dict]:
    """Per instrument: the waves, and per side the mean change and its interval per wave
    (null where suppressed). Passed to the page with json_script."""
    charts: dict[str, dict] = {}
    for row in rows:
        chart = charts.setdefault(row["instrument"], {
            "instrument": row["instrument"], "name": str(INSTRUMENTS[row["instrument"]].name),
            "waves": [], "sides": {}})
        if row["wave"] not in chart["waves"]:
            chart["waves"].append(row["wave"])
        side = chart["sides"].setdefault(row["side_name"], {
            "name": row["side_name"], "mean": [], "low": [], "high": [], "n": []})
        side["mean"].append(row["mean_change"])
        side["low"].append(row["ci95_low"])
        side["high"].append(row["ci95_high"])
        side["n"].append(row["n"])
    return [{**chart, "sides": list(chart["sides"].values())} for chart in charts.values()]


def tables(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """The rows grouped by instrument, for one accessible table each."""
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["instrument"], []).append(row)
    return [(str(INSTRUMENTS[key].name), group) for key, group in grouped.items()]
