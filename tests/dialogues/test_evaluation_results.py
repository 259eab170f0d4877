"""The numbers of API.md "Result rows", against fixtures computed by hand.

North (5 paired respondents), thermometer pre → post: 50→60, 40→45, 60→70, 55→58,
45→57, so the changes are 10, 5, 10, 3, 12:
  mean 8, median 10, deviations 2 −3 2 −5 4, squares sum 58, sd = √(58/4) = 3.80789;
  t(0.975, 4) = 2.77645 (tables), half width = 2.77645 × 3.80789 / √5 = 4.72812,
  interval 3.27188 … 12.72812; effect size 8 / 3.80789 = 2.10090.
At m1 every North change is +4: sd 0, so no effect size, interval 4 … 4, persistence
4 / 8 = 0.5. A sixth North participant answers pre only (attrition 1 − 5/6 at post),
a seventh post only (not counted). South has 4 paired respondents: suppressed.
"""

import pytest

from dialogues.evaluation.instruments import INSTRUMENTS
from dialogues.evaluation.selectors import evaluation_of
from dialogues.evaluation.stats import (
    ROW_FIELDS,
    change_figures,
    program_results,
    result_row,
)
from tests.factories import accepted_participant
from tests.surveys import answers, evaluate, move_to, respond, upcoming_program

pytestmark = pytest.mark.django_db

NORTH_PRE = [50, 40, 60, 55, 45]
NORTH_POST = [60, 45, 70, 58, 57]


def thermometer(value):
    return answers({"thermometer.1": value})


@pytest.fixture
def world(org, alice):
    program = upcoming_program("North", "South", organization=org, capacity=40)
    north, south = program.sides.all()
    evaluate(program, alice, followups=[1])
    paired = [accepted_participant(program, side=north) for _ in NORTH_PRE]
    pre_only = accepted_participant(program, side=north)
    post_only = accepted_participant(program, side=north)
    south_people = [accepted_participant(program, side=south) for _ in range(4)]
    for person, value in zip(paired, NORTH_PRE, strict=True):
        respond(program, person, "pre", thermometer(value))
    respond(program, pre_only, "pre", thermometer(30))
    for person in south_people:
        respond(program, person, "pre", thermometer(20))
    move_to(program, alice, "post")
    for person, value in zip(paired, NORTH_POST, strict=True):
        respond(program, person, "post", thermometer(value))
    respond(program, post_only, "post", thermometer(100))
    for person in south_people:
        respond(program, person, "post", thermometer(90))
    move_to(program, alice, "m1")
    for person, value in zip(paired, NORTH_PRE, strict=True):
        respond(program, person, "m1", thermometer(value + 4))
    return program, north, south


def _row(rows, side, wave):
    [row] = [r for r in rows if r["side"] == side.pk and r["wave"] == wave]
    return row


def test_paired_changes_give_the_hand_computed_figures(world):
    program, north, _south = world

    rows = program_results(evaluation_of(program))

    assert _row(rows, north, "post") == {
        "side": north.pk, "side_name": "North", "instrument": "thermometer", "wave": "post",
        "n": 5, "mean_change": 8.0, "median_change": 10.0, "ci95_low": 3.2719,
        "ci95_high": 12.7281, "effect_size": 2.1009, "attrition": 0.1667,
        "persistence": None, "suppressed": False}


def test_a_follow_up_with_no_spread_has_no_effect_size_and_keeps_half_the_change(world):
    program, north, _south = world

    row = _row(program_results(evaluation_of(program)), north, "m1")

    assert (row["n"], row["mean_change"], row["ci95_low"], row["ci95_high"],
            row["effect_size"], row["persistence"]) == (5, 4.0, 4.0, 4.0, None, 0.5)


def test_a_side_with_four_respondents_is_hidden_entirely(world):
    program, _north, south = world

    rows = program_results(evaluation_of(program))

    for wave in ("post", "m1"):
        assert _row(rows, south, wave) == {
            "side": south.pk, "side_name": "South", "instrument": "thermometer",
            "wave": wave, **dict.fromkeys(ROW_FIELDS[4:-1]), "suppressed": True}


def test_rows_are_one_per_side_instrument_and_wave_after_pre(world):
    program, north, south = world

    rows = program_results(evaluation_of(program))

    assert [(r["side"], r["instrument"], r["wave"]) for r in rows] == [
        (north.pk, "thermometer", "post"), (north.pk, "thermometer", "m1"),
        (south.pk, "thermometer", "post"), (south.pk, "thermometer", "m1")]
    assert all(list(r) == list(ROW_FIELDS) for r in rows)


def test_figures_need_five_respondents():
    figures = change_figures([1.0, 2.0, 3.0, 4.0, 5.0], pre_count=5)

    assert (figures["n"], figures["attrition"]) == (5, 0)
    assert change_figures([1.0, 2.0, 3.0, 4.0], pre_count=4) is None


@pytest.mark.parametrize("post_mean", [None, 0.0])
def test_persistence_is_null_without_a_usable_post_change(post_mean):
    figures = change_figures([1.0, 2.0, 3.0, 4.0, 5.0], pre_count=5)

    row = result_row(side_id=1, side_name="North", instrument="trust", wave="m3",
                     figures=figures, post_mean=post_mean)

    assert (row["mean_change"], row["persistence"]) == (3.0, None)


def test_reverse_scored_items_are_flipped_before_the_mean():
    anxiety = INSTRUMENTS["anxiety"]

    assert anxiety.score({"anxiety.1": 1, "anxiety.2": 1, "anxiety.3": 2}) == pytest.approx(
        (5 + 5 + 4) / 3)
    assert INSTRUMENTS["trust"].score({"trust.1": 1, "trust.2": 1, "trust.3": 2}) == (
        pytest.approx(4 / 3))
    assert [item.reverse for item in anxiety.items] == [True, True, True]


def test_anxiety_falling_shows_as_a_positive_change(org, alice):
    program = upcoming_program("North", "South", organization=org, capacity=40)
    north = program.sides.first()
    evaluate(program, alice, instruments=["anxiety"], followups=[])
    people = [accepted_participant(program, side=north) for _ in range(5)]
    nervous = {"anxiety.1": 5, "anxiety.2": 5, "anxiety.3": 5}
    calm = {"anxiety.1": 2, "anxiety.2": 2, "anxiety.3": 2}
    for person in people:
        respond(program, person, "pre", answers(nervous, ["anxiety"]))
    move_to(program, alice, "post")
    for person in people:
        respond(program, person, "post", answers(calm, ["anxiety"]))

    row = _row(program_results(evaluation_of(program)), north, "post")

    assert (row["n"], row["mean_change"]) == (5, 3.0)
