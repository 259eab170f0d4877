"""The evaluation selectors' rules at their own level: whose surveys a person is shown, in
which order and in how many queries; the response counts and the organization's
evaluations as the staff's pages read them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dialogues.evaluation.instruments import INSTRUMENTS
from dialogues.evaluation.selectors import (
    WaveWindow,
    evaluation_of,
    evaluations_of_organization,
    has_answered,
    response_counts,
    session_bounds,
    survey_items,
    surveys_of,
    wave_windows,
)
from dialogues.evaluation.services import survey_decline
from tests.factories import ApplicationFactory, SessionFactory, UserFactory, accepted_participant
from tests.surveys import answers, evaluate, respond, upcoming_program, wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return upcoming_program("Greek Cypriot", "Turkish Cypriot", organization=org)


@pytest.fixture
def petros(program):
    return accepted_participant(program, display_name="Petros")


def _starting_in(org, days: int):
    today = timezone.localdate()
    return upcoming_program("A", "B", organization=org, starts_on=today + timedelta(days=days),
                            ends_on=today + timedelta(days=days + 30))


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


# --- Wave windows -----------------------------------------------------------------------


def test_an_evaluation_is_read_with_its_program_and_its_waves_in_order(
        program, alice, django_assert_num_queries):
    evaluate(program, alice, followups=[6])
    evaluate(program, alice, followups=[1, 6])  # m1 is newer than m6 but comes first
    with django_assert_num_queries(2):
        evaluation = evaluation_of(program)
        assert evaluation.program.title == program.title
        assert [w.name for w in evaluation.waves.all()] == ["pre", "post", "m1", "m6"]
        assert [w.position for w in evaluation.waves.all()] == [0, 1, 2, 3]  # read again


def test_session_bounds_are_read_for_the_programs_asked_only(org, program):
    other = upcoming_program("A", "B", organization=org)
    first = SessionFactory(program=program)
    last = SessionFactory(program=program, starts_at=first.starts_at + timedelta(days=3),
                          ends_at=first.ends_at + timedelta(days=3))
    SessionFactory(program=other)
    [(program_id, bounds)] = session_bounds([program.pk]).items()
    assert (program_id, bounds.first_start, bounds.last_end) == (
        program.pk, first.starts_at, last.ends_at)


def test_a_window_is_open_from_its_first_instant_and_closed_at_its_last(program, alice):
    evaluate(program, alice)
    pre = wave_windows(evaluation_of(program))[0].wave
    opens = timezone.now() + timedelta(days=1)
    window = WaveWindow(wave=pre, opens_at=opens, closes_at=opens + timedelta(days=14))
    instant = timedelta(microseconds=1)
    assert [window.state(now) for now in (opens - instant, opens, window.closes_at - instant,
                                          window.closes_at)] == [
        "upcoming", "open", "open", "closed"]


# --- A person's surveys -----------------------------------------------------------------


def test_only_accepted_places_in_evaluated_programs_bring_surveys(org, program, alice, petros):
    pending = upcoming_program("A", "B", organization=org)
    ApplicationFactory(program=pending, side=pending.sides.first(), applicant=petros)
    unevaluated = upcoming_program("C", "D", organization=org)
    ApplicationFactory(program=unevaluated, side=unevaluated.sides.first(), applicant=petros,
                       status="accepted")
    evaluate(program, alice)
    evaluate(pending, alice)
    assert [(s.program, s.wave) for s in surveys_of(petros)] == [(program, "pre")]


def test_surveys_come_in_the_order_programs_start_then_were_created(org, alice):
    later, first, second = _starting_in(org, 40), _starting_in(org, 30), _starting_in(org, 30)
    person = UserFactory()
    for program in (second, later, first):  # applied in another order than either
        ApplicationFactory(program=program, side=program.sides.first(), applicant=person,
                           status="accepted")
        evaluate(program, alice)
    assert [s.program for s in surveys_of(person)] == [first, second, later]


def test_declining_one_programs_surveys_hides_only_that_programs(org, alice):
    first, later = _starting_in(org, 30), _starting_in(org, 40)
    person = UserFactory()
    for program in (first, later):
        ApplicationFactory(program=program, side=program.sides.first(), applicant=person,
                           status="accepted")
        evaluate(program, alice)
    survey_decline(program=first, user=person)
    assert [s.program for s in surveys_of(person)] == [later]


def test_what_others_declined_or_answered_does_not_hide_a_persons_survey(program, alice,
                                                                         petros):
    evaluate(program, alice)
    respond(program, accepted_participant(program), "pre", answers())
    survey_decline(program=program, user=accepted_participant(program))
    assert [s.wave for s in surveys_of(petros)] == ["pre"]


def test_a_persons_surveys_follow_the_programs_sessions(program, alice, petros):
    now = timezone.now()
    SessionFactory(program=program, starts_at=now - timedelta(hours=3),
                   ends_at=now - timedelta(hours=1))
    evaluate(program, alice)
    # By the program's dates pre would still be open; its only session has ended.
    assert [s.wave for s in surveys_of(petros)] == ["post"]


def test_a_persons_surveys_take_the_same_queries_however_many_programs(org, alice):
    person = UserFactory()

    def read():
        return [(s.program.title, s.side.name, s.wave, s.closes_at, [i.text for i in s.items])
                for s in surveys_of(person)]

    def join():
        program = upcoming_program("A", "B", "C", organization=org)
        ApplicationFactory(program=program, side=program.sides.first(), applicant=person,
                           status="accepted")
        evaluate(program, alice, followups=[1, 3])

    join()
    one = _queries(read)
    join()
    join()
    assert len(read()) == 3
    # Applications, sides, waves, respondents, sessions (no respondent: no answers read).
    assert _queries(read) == one == 5


def test_each_survey_item_keeps_its_scale_and_whether_it_is_reversed():
    items = survey_items(["trust", "anxiety"], "the others")
    assert [(i.key, i.min, i.max, i.reverse, i.instrument.key) for i in items] == [
        (item.key, 1, 5, key == "anxiety", key)
        for key in ("trust", "anxiety") for item in INSTRUMENTS[key].items]
    assert any(i.reverse for i in items)


# --- Staff pages ------------------------------------------------------------------------


def test_response_counts_are_this_evaluations_per_wave(org, program, alice, petros):
    other = upcoming_program("A", "B", organization=org)
    evaluate(other, alice)
    for person in (accepted_participant(other), accepted_participant(other)):
        respond(other, person, "pre", answers())
    evaluate(program, alice, followups=[1])
    respond(program, petros, "pre", answers())
    respond(program, accepted_participant(program), "pre", answers())
    respond(program, accepted_participant(program), "pre", answers())
    assert response_counts(evaluation_of(program)) == {"pre": 3, "post": 0, "m1": 0}


def test_having_answered_is_of_this_person_and_this_wave(program, alice, petros):
    other = accepted_participant(program)
    evaluate(program, alice, followups=[1])
    respond(program, petros, "pre", answers())
    assert has_answered(petros, wave(program, "pre"))
    assert not has_answered(petros, wave(program, "post"))
    assert not has_answered(other, wave(program, "pre"))


def test_an_organizations_evaluations_come_in_the_order_programs_start(org, other_org, alice,
                                                                      charlie):
    later, first, second = _starting_in(org, 40), _starting_in(org, 30), _starting_in(org, 30)
    for program in (second, later, first):
        evaluate(program, alice)
    evaluate(_starting_in(other_org, 10), charlie)
    assert [e.program for e in evaluations_of_organization(org.pk)] == [first, second, later]


def test_an_organizations_evaluations_take_the_same_queries_however_many(org, alice):
    def read():
        return [(e.program.title, [s.name for s in e.program.sides.all()],
                 [w.name for w in e.waves.all()]) for e in evaluations_of_organization(org.pk)]

    evaluate(upcoming_program("A", "B", organization=org), alice)
    one = _queries(read)
    for _ in range(2):
        evaluate(upcoming_program("A", "B", organization=org), alice)
    assert len(read()) == 3
    assert _queries(read) == one == 3  # evaluations with programs, sides, waves
