"""API.md "Evaluation": paths, fields, codes, default follow-ups, bare arrays, CSV files,
and that no answer is ever linked to a person."""

import csv
import io

import pytest

from dialogues.models import Respondent, SurveyResponse
from exchanges.models import Application
from tests.api.conftest import client_for
from tests.factories import accepted_participant
from tests.surveys import answers, evaluate, move_to, respond, upcoming_program

pytestmark = pytest.mark.django_db

EVALUATION = "/api/v1/programs/{}/evaluation/"


@pytest.fixture
def program(org):
    return upcoming_program("North", "South", organization=org, capacity=60)


@pytest.fixture
def erin(program):
    return accepted_participant(program, display_name="Erin", email="erin@example.org")


def _url(program, tail=""):
    return EVALUATION.format(program.pk) + tail


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- Instruments and settings -----------------------------------------------------------


def test_instruments_are_listed_with_their_items(bob):
    response = client_for(bob).get("/api/v1/instruments/")

    body = response.json()
    assert response.status_code == 200
    assert [(i["key"], i["min"], i["max"], len(i["items"])) for i in body] == [
        ("thermometer", 0, 100, 1), ("ios", 1, 7, 1), ("social_distance", 1, 7, 1),
        ("trust", 1, 5, 3), ("anxiety", 1, 5, 3), ("heard", 1, 5, 2), ("friends", 0, 1000, 1)]
    anxiety = next(i for i in body if i["key"] == "anxiety")
    assert [(item["key"], item["reverse"]) for item in anxiety["items"]] == [
        ("anxiety.1", True), ("anxiety.2", True), ("anxiety.3", True)]
    assert all("[other side]" in item["text"] for i in body for item in i["items"])
    assert set(body[0]) == {"key", "name", "min", "max", "items"}


def test_evaluation_is_404_before_the_first_save(program, alice):
    assert client_for(alice).get(_url(program)).status_code == 404


def test_first_put_answers_200_with_default_follow_ups_and_waves(program, alice):
    response = client_for(alice).put(_url(program), {"instruments": ["trust", "ios"]},
                                     format="json")

    body = response.json()
    assert response.status_code == 200
    assert (body["instruments"], body["followups"]) == (["ios", "trust"], [1, 3, 6])
    assert [(w["wave"], w["state"]) for w in body["waves"]] == [
        ("pre", "open"), ("post", "upcoming"), ("m1", "upcoming"), ("m3", "upcoming"),
        ("m6", "upcoming")]
    assert body["waves"][1]["opens_at"].endswith("Z")
    assert client_for(alice).get(_url(program)).json() == body


@pytest.mark.parametrize(("body", "field"), [
    ({"instruments": ["courage"]}, "instruments"),
    ({"instruments": ["trust"], "followups": [0]}, "followups"),
    ({"instruments": ["trust"], "followups": [25]}, "followups"),
    ({"followups": [1]}, "instruments"),
])
def test_bad_settings_answer_400_naming_the_field(program, alice, body, field):
    response = client_for(alice).put(_url(program), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert client_for(alice).get(_url(program)).status_code == 404


def test_changing_instruments_after_an_answer_is_409(program, alice, erin):
    evaluate(program, alice, instruments=["trust"])
    respond(program, erin, "pre", answers(instruments=["trust"]))

    response = client_for(alice).put(_url(program), {"instruments": ["ios"]}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


# --- Waves ------------------------------------------------------------------------------


def test_waves_open_in_order_and_close_by_hand(program, alice):
    evaluate(program, alice, followups=[1])
    client = client_for(alice)

    early = client.post(_url(program, "waves/post/open/"))
    again = client.post(_url(program, "waves/pre/open/"))
    closed = client.post(_url(program, "waves/pre/close/"))
    opened = client.post(_url(program, "waves/post/open/"))
    not_open = client.post(_url(program, "waves/m1/close/"))

    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert (closed.status_code, closed.json()["wave"], closed.json()["state"]) == (
        200, "pre", "closed")
    assert (opened.status_code, opened.json()["state"]) == (200, "open")
    assert set(opened.json()) == {"wave", "opens_at", "closes_at", "state"}
    assert (not_open.status_code, not_open.json()["code"]) == (409, "invalid_transition")


def test_an_unknown_wave_is_404(program, alice):
    evaluate(program, alice, followups=[1])

    assert client_for(alice).post(_url(program, "waves/m6/open/")).status_code == 404


# --- Answering --------------------------------------------------------------------------


def test_an_accepted_participant_answers_once(program, alice, erin):
    evaluate(program, alice)
    client = client_for(erin)
    body = {"consent": True, "answers": {"thermometer.1": 61}}

    first = client.post(_url(program, "waves/pre/responses/"), body, format="json")
    second = client.post(_url(program, "waves/pre/responses/"), body, format="json")

    assert first.status_code == 201
    assert set(first.json()) == {"wave", "submitted_at"}
    assert first.json()["wave"] == "pre"
    assert (second.status_code, second.json()["code"]) == (409, "already_answered")
    assert list(SurveyResponse.objects.values_list("answers", flat=True)) == [
        {"thermometer.1": 61}]


@pytest.mark.parametrize(("body", "errors"), [
    ({"consent": False, "answers": {"thermometer.1": 50}}, ["consent"]),
    ({"answers": {"thermometer.1": 50}}, ["consent"]),
    ({"consent": True, "answers": {}}, ["answers"]),
    ({"consent": True, "answers": {"thermometer.1": "50"}}, ["answers"]),
    ({"consent": True, "answers": [50]}, ["answers"]),
])
def test_a_refused_answer_stores_nothing(program, alice, erin, body, errors):
    evaluate(program, alice)

    response = client_for(erin).post(_url(program, "waves/pre/responses/"), body,
                                     format="json")

    assert response.status_code == 400
    assert sorted(response.json()) == errors
    assert SurveyResponse.objects.count() == Respondent.objects.count() == 0


def test_each_missing_unknown_or_out_of_range_item_is_named(program, alice, erin):
    evaluate(program, alice, instruments=["trust", "friends"])

    response = client_for(erin).post(_url(program, "waves/pre/responses/"), {
        "consent": True, "answers": {"trust.1": 6, "trust.2": 3, "friends.1": 1001,
                                     "trust.9": 2}}, format="json")

    assert response.status_code == 400
    assert sorted(response.json()["answers"]) == ["friends.1", "trust.1", "trust.3", "trust.9"]
    assert SurveyResponse.objects.count() == 0


def test_answers_outside_the_window_or_from_others_are_409(program, alice, erin, bob):
    evaluate(program, alice, followups=[1])
    body = {"consent": True, "answers": {"thermometer.1": 50}}

    upcoming = client_for(erin).post(_url(program, "waves/m1/responses/"), body, format="json")
    outsider = client_for(bob).post(_url(program, "waves/pre/responses/"), body, format="json")

    assert (upcoming.status_code, upcoming.json()["code"]) == (409, "not_open")
    assert (outsider.status_code, outsider.json()["code"]) == (409, "not_accepted")
    assert SurveyResponse.objects.count() == Respondent.objects.count() == 0


def test_my_surveys_is_a_bare_array_of_open_unanswered_waves(program, alice, erin):
    evaluate(program, alice, instruments=["trust"])

    response = client_for(erin).get("/api/v1/me/surveys/")

    [survey] = response.json()
    assert (survey["program"], survey["wave"]) == (program.pk, "pre")
    assert survey["closes_at"].endswith("Z")
    assert survey["items"][0] == {"key": "trust.1", "min": 1, "max": 5,
                                  "text": "Most people from South can be trusted."}
    respond(program, erin, "pre", answers(instruments=["trust"]))
    assert client_for(erin).get("/api/v1/me/surveys/").json() == []


def test_declining_answers_200_and_empties_my_surveys(program, alice, erin):
    evaluate(program, alice)

    response = client_for(erin).post(_url(program, "decline/"))

    assert response.status_code == 200
    assert client_for(erin).get("/api/v1/me/surveys/").json() == []
    assert erin.applications.get().status == "accepted"


# --- Results and the CSV files ----------------------------------------------------------


def _run(program, alice, people, instruments=("thermometer",)):
    for n, person in enumerate(people):
        respond(program, person, "pre", answers({"thermometer.1": 40 + n}, instruments))
    move_to(program, alice, "post")
    for n, person in enumerate(people):
        respond(program, person, "post", answers({"thermometer.1": 50 + 2 * n}, instruments))


def test_results_rows_and_csv_carry_the_same_numbers(program, alice):
    north = program.sides.first()
    evaluate(program, alice, followups=[])
    _run(program, alice, [accepted_participant(program, side=north) for _ in range(5)])

    rows = client_for(alice).get(_url(program, "results/")).json()["rows"]
    table = _csv(client_for(alice).get(_url(program, "results.csv")))

    assert rows[0] == {"side": north.pk, "side_name": "North", "instrument": "thermometer",
                       "wave": "post", "n": 5, "mean_change": 12.0, "median_change": 12.0,
                       "ci95_low": 10.0368, "ci95_high": 13.9632, "effect_size": 7.5895,
                       "attrition": 0.0, "persistence": None, "suppressed": False}
    assert table[0] == list(rows[0])
    assert table[1] == [str(north.pk), "North", "thermometer", "post", "5", "12.0", "12.0",
                        "10.0368", "13.9632", "7.5895", "0.0", "", "false"]
    assert len(table) == 1 + len(rows) == 3


def test_responses_csv_is_for_owners_and_pseudonymous(program, org, alice, carol):
    north = program.sides.first()
    people = [accepted_participant(program, side=north) for _ in range(5)]
    evaluate(program, alice, followups=[])
    _run(program, alice, people)

    refused = client_for(carol).get(_url(program, "responses.csv"))
    table = _csv(client_for(alice).get(_url(program, "responses.csv")))

    assert refused.status_code == 403
    assert table[0] == ["respondent", "side", "wave", "thermometer.1"]
    assert len(table) == 11
    keys = {row[0] for row in table[1:]}
    assert len(keys) == 5 and all(len(key) >= 8 for key in keys)
    per_person = {}
    for key, side, wave, value in table[1:]:
        per_person.setdefault(key, {})[wave] = int(value)
        assert side == "North"
    assert sorted(v["post"] - v["pre"] for v in per_person.values()) == [10, 11, 12, 13, 14]


# --- No answer is linked to a person ----------------------------------------------------


def test_no_result_or_export_names_a_respondent(org, alice):
    program = upcoming_program("North", "South", organization=org, capacity=60)
    north = program.sides.first()
    # Ids far from any other number in the output, so finding one would mean a link.
    people = [accepted_participant(program, side=north, id=970_001 + n,
                                   display_name=f"Zephyrine{n}", legal_name=f"Quorra{n}",
                                   email=f"zeph{n}@example.org") for n in range(5)]
    evaluate(program, alice, followups=[])
    _run(program, alice, people)
    client = client_for(alice)
    client.force_login(alice)  # the pages too

    urls = [_url(program, tail) for tail in ("", "results/", "results.csv", "responses.csv")]
    urls += [f"/programs/{program.pk}/evaluation/{page}" for page in
             ("", "results/", "results.csv", "responses.csv")]
    urls.append(f"/orgs/{org.slug}/evaluation/")
    responses = [client.get(url) for url in urls]
    bodies = [response.content.decode() for response in responses]

    assert [r.status_code for r in responses] == [200] * len(urls)
    for person in people:
        for secret in (str(person.pk), person.display_name, person.email, person.legal_name):
            assert [url for url, body in zip(urls, bodies, strict=True) if secret in body] == [
            ], secret


# --- Constant queries -------------------------------------------------------------------


def test_results_query_count_does_not_grow_with_respondents(org, alice,
                                                            django_assert_max_num_queries):
    program = upcoming_program("North", "South", organization=org, capacity=80)
    north, south = program.sides.all()
    evaluate(program, alice, instruments=["thermometer", "trust"], followups=[1, 3])
    people = [accepted_participant(program, side=side) for side in (north, south)
              for _ in range(15)]
    both = ("thermometer", "trust")
    _run(program, alice, people[:5], both)
    client = client_for(alice)
    with django_assert_max_num_queries(12):
        small = client.get(_url(program, "results/"))
    for n, person in enumerate(people[5:]):
        respond(program, person, "post", answers({"thermometer.1": n}, both))

    with django_assert_max_num_queries(12):
        large = client.get(_url(program, "results/"))

    assert small.status_code == large.status_code == 200


def test_my_surveys_query_count_does_not_grow_with_programs(org, alice, erin, program,
                                                            django_assert_max_num_queries):
    evaluate(program, alice)
    with django_assert_max_num_queries(12):
        one = client_for(erin).get("/api/v1/me/surveys/")
    for _ in range(3):
        other = upcoming_program("East", "West", organization=org)
        Application.objects.create(program=other, side=other.sides.first(), applicant=erin,
                                   status="accepted")
        evaluate(other, alice, instruments=["trust", "ios"])

    with django_assert_max_num_queries(12):
        four = client_for(erin).get("/api/v1/me/surveys/")

    assert (len(one.json()), len(four.json())) == (1, 4)
