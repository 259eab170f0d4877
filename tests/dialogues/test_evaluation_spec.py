"""The evaluation services' rules at their own level: each refusal's code and message (a
participant or staff member reads it), the boundaries of the answers, what declining and
answering cancel, and the log rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Conflict
from dialogues.evaluation import services
from dialogues.evaluation.selectors import evaluation_of
from dialogues.models import Respondent, SurveyResponse
from exchanges.models import ActivityLog
from participants.models import Notification
from tests.factories import ApplicationFactory, SessionFactory, UserFactory, accepted_participant
from tests.surveys import answers, evaluate, move_to, respond, upcoming_program, wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return upcoming_program("Greek Cypriot", "Turkish Cypriot", organization=org, capacity=40)


@pytest.fixture
def petros(program):
    return accepted_participant(program, display_name="Petros", email="petros@example.org")


def refusal(call) -> tuple[str, str]:
    with pytest.raises(Conflict) as err:
        call()
    return err.value.code, err.value.message


# --- Settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(("instruments", "followups", "problems"), [
    (["courage", "trust", 7], [1], {"instruments": [
        "Unknown instrument: courage, 7. Choose from thermometer, ios, social_distance, "
        "trust, anxiety, heard, friends."]}),
    ([], [1], {"instruments": ["Choose at least one instrument."]}),
    (["trust"], [0], {"followups": ["Each follow-up is a whole number of months from 1 to 24."]}),
    (["trust"], [25], {"followups": [
        "Each follow-up is a whole number of months from 1 to 24."]}),
    (["trust"], [True], {"followups": [
        "Each follow-up is a whole number of months from 1 to 24."]}),
    (["trust"], ["3"], {"followups": [
        "Each follow-up is a whole number of months from 1 to 24."]}),
    ([], [0], {"instruments": ["Choose at least one instrument."],
               "followups": ["Each follow-up is a whole number of months from 1 to 24."]}),
])
def test_each_settings_problem_is_named(instruments, followups, problems):
    assert services.settings_problems(instruments, followups) == problems


def test_the_follow_up_limits_themselves_are_allowed():
    assert services.settings_problems(["trust"], [1, 24]) == {}


def test_waves_are_pre_post_then_each_follow_up_once_in_order():
    assert services.wave_names([6, 1, 6, 3]) == ["pre", "post", "m1", "m3", "m6"]


def test_settings_are_saved_in_catalogue_order_and_logged(program, alice):
    evaluation = services.evaluation_save(program=program, actor=alice,
                                          instruments=["trust", "thermometer"],
                                          followups=[3, 1, 3])
    assert (evaluation.instruments, evaluation.followups) == (["thermometer", "trust"], [1, 3])
    log = ActivityLog.objects.get(verb="evaluation.created")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(program.pk), program.organization_id,
        {"instruments": ["thermometer", "trust"], "followups": [1, 3]})


def test_follow_ups_default_to_one_three_and_six(program, alice):
    evaluation = services.evaluation_save(program=program, actor=alice, instruments=["trust"])
    assert evaluation.followups == [1, 3, 6]


def test_a_change_is_stored_and_logged_as_a_change(program, alice):
    evaluate(program, alice, instruments=["thermometer"], followups=[1])
    services.evaluation_save(program=program, actor=alice, instruments=["trust"],
                             followups=[12, 12])
    evaluation = evaluation_of(program)
    assert (evaluation.instruments, evaluation.followups) == (["trust"], [12])
    assert [w.name for w in evaluation.waves.order_by("position")] == ["pre", "post", "m12"]
    assert [w.position for w in evaluation.waves.order_by("position")] == [0, 1, 2]
    log = ActivityLog.objects.get(verb="evaluation.changed")
    assert log.data == {"instruments": ["trust"], "followups": [12]}


def test_a_follow_up_added_before_another_moves_the_later_one(program, alice):
    evaluate(program, alice, followups=[6])
    evaluate(program, alice, followups=[1, 6])
    assert [(w.name, w.position) for w in evaluation_of(program).waves.order_by("position")] == [
        ("pre", 0), ("post", 1), ("m1", 2), ("m6", 3)]


def test_an_archived_program_is_read_only(program, alice):
    evaluation = evaluate(program, alice)
    program.status = "archived"
    program.save()
    expected = ("invalid_transition", "An archived program is read-only.")
    assert refusal(lambda: evaluate(program, alice)) == expected
    assert refusal(lambda: services.wave_close(evaluation=evaluation,
                                               wave=wave(program, "pre"), actor=alice)) == expected


def test_fixed_instruments_and_answered_follow_ups_say_why(program, alice, petros):
    evaluate(program, alice, followups=[1])
    move_to(program, alice, "post")
    move_to(program, alice, "m1")
    respond(program, petros, "m1", answers())
    assert refusal(lambda: evaluate(program, alice, instruments=["trust"], followups=[1])) == (
        "invalid_transition", "The instruments cannot change once someone has answered.")
    assert refusal(lambda: evaluate(program, alice, followups=[3])) == (
        "invalid_transition", "A follow-up that has answers cannot be removed.")


def test_a_follow_up_without_answers_can_be_removed_after_others_were_answered(
        program, alice, petros):
    evaluate(program, alice, followups=[1, 3])
    respond(program, petros, "pre", answers())
    evaluate(program, alice, followups=[1])
    assert [w.name for w in evaluation_of(program).waves.all()] == ["pre", "post", "m1"]


# --- Waves by hand ----------------------------------------------------------------------


def test_wave_refusals_say_why(program, alice):
    evaluation = evaluate(program, alice, followups=[1])
    assert refusal(lambda: services.wave_open(evaluation=evaluation,
                                              wave=wave(program, "pre"), actor=alice)) == (
        "invalid_transition", "This wave is already open or closed.")
    assert refusal(lambda: services.wave_open(evaluation=evaluation,
                                              wave=wave(program, "post"), actor=alice)) == (
        "invalid_transition", "Close the earlier waves first: waves open in order.")
    assert refusal(lambda: services.wave_close(evaluation=evaluation,
                                               wave=wave(program, "m1"), actor=alice)) == (
        "invalid_transition", "Only an open wave can be closed.")


def test_opening_and_closing_are_logged_and_closing_cancels_the_waves_messages(
        program, alice, petros):
    evaluation = evaluate(program, alice, followups=[1])
    pending = Notification.objects.filter(recipient=petros, context__wave=wave(program, "pre").pk)
    assert pending.exists()
    services.wave_close(evaluation=evaluation, wave=wave(program, "pre"), actor=alice)
    assert set(pending.values_list("status", "last_error")) == {
        ("cancelled", "the wave was closed")}
    window = services.wave_open(evaluation=evaluation_of(program), wave=wave(program, "post"),
                                actor=alice)
    assert (window.name, window.state()) == ("post", "open")
    logs = ActivityLog.objects.filter(verb__startswith="evaluation.wave_").order_by("pk")
    assert [(log.verb, log.actor, log.target_id, log.organization_id, log.data)
            for log in logs] == [
        ("evaluation.wave_closed", alice, str(program.pk), program.organization_id,
         {"wave": "pre"}),
        ("evaluation.wave_opened", alice, str(program.pk), program.organization_id,
         {"wave": "post"})]


def test_closing_a_wave_cancels_no_other_waves_messages(org, program, alice, petros):
    other = upcoming_program("A", "B", organization=org)
    accepted_participant(other)
    evaluate(other, alice)
    evaluation = evaluate(program, alice)
    services.wave_close(evaluation=evaluation, wave=wave(program, "pre"), actor=alice)
    assert set(Notification.objects.filter(context__program=other.pk)
               .values_list("status", flat=True)) == {"pending"}


def test_opening_by_hand_undoes_an_earlier_closing(program, alice, petros):
    now = timezone.now()
    SessionFactory(program=program, starts_at=now - timedelta(hours=3),
                   ends_at=now - timedelta(hours=1))
    evaluation = evaluate(program, alice)  # pre ended with that session; post is open
    services.wave_close(evaluation=evaluation, wave=wave(program, "post"), actor=alice)
    SessionFactory(program=program, starts_at=now + timedelta(days=7),
                   ends_at=now + timedelta(days=7, hours=2))  # post's default window moves on
    window = services.wave_open(evaluation=evaluation_of(program), wave=wave(program, "post"),
                                actor=alice)
    assert window.state() == "open"
    assert wave(program, "post").closed_at is None


# --- Participants -----------------------------------------------------------------------


def test_someone_not_accepted_is_told_who_takes_part(program, alice):
    evaluate(program, alice)
    expected = ("not_accepted", "Only accepted participants take part in the surveys.")
    assert refusal(lambda: services.survey_decline(program=program, user=UserFactory())) == (
        expected)
    assert refusal(lambda: respond(program, UserFactory(), "pre", answers())) == expected


def test_a_place_in_another_program_does_not_admit_to_this_ones_surveys(org, program, alice):
    other = upcoming_program("A", "B", organization=org)
    elsewhere = accepted_participant(other)
    evaluate(program, alice)
    expected = ("not_accepted", "Only accepted participants take part in the surveys.")
    assert refusal(lambda: services.survey_decline(program=program, user=elsewhere)) == expected
    assert refusal(lambda: respond(program, elsewhere, "pre", answers())) == expected


def test_declining_keeps_its_first_time_and_cancels_only_the_persons_messages(
        program, alice, petros):
    other = accepted_participant(program)
    evaluate(program, alice)
    first = services.survey_decline(program=program, user=petros).declined_at
    assert services.survey_decline(program=program, user=petros).declined_at == first
    assert Respondent.objects.get(user=petros).declined_at == first
    mine = Notification.objects.filter(recipient=petros, kind__startswith="survey_")
    assert set(mine.values_list("status", "last_error")) == {
        ("cancelled", "the participant declined the surveys")}
    assert set(Notification.objects.filter(recipient=other, kind__startswith="survey_")
               .values_list("status", flat=True)) == {"pending"}


def test_declining_writes_only_its_time_so_an_erasure_meanwhile_stays(
        program, alice, petros, monkeypatch):
    evaluate(program, alice)
    find = services._respondent

    def meanwhile(*args):  # the person's erasure unlinks the row read a moment ago
        respondent = find(*args)
        services.unlink_person(petros)
        return respondent

    monkeypatch.setattr(services, "_respondent", meanwhile)
    services.survey_decline(program=program, user=petros)
    respondent = Respondent.objects.get()
    assert (respondent.user, respondent.declined_at is not None) == (None, True)


def evaluated_with_another(org, program, staff, person):
    """`program` and another of the organization, both evaluated, `person` accepted to
    both; the other program."""
    other = upcoming_program("A", "B", organization=org)
    ApplicationFactory(program=other, side=other.sides.first(), applicant=person,
                       status="accepted")
    evaluate(program, staff)
    evaluate(other, staff)
    return other


def other_programs_messages(person, other) -> set[str]:
    return set(Notification.objects.filter(recipient=person, context__program=other.pk)
               .values_list("status", flat=True))


def test_declining_one_programs_surveys_leaves_the_others(org, program, alice, petros):
    other = evaluated_with_another(org, program, alice, petros)
    services.survey_decline(program=program, user=petros)
    assert other_programs_messages(petros, other) == {"pending"}


def test_answering_after_declining_consents_again_and_cancels_the_reminders(
        program, alice, petros):
    evaluate(program, alice)
    services.survey_decline(program=program, user=petros)
    Notification.objects.filter(recipient=petros).update(status="pending", last_error="")
    respond(program, petros, "pre", answers())
    assert Respondent.objects.get(user=petros).declined_at is None
    assert set(Notification.objects.filter(recipient=petros, kind__startswith="survey_")
               .values_list("status", "last_error")) == {("cancelled", "the participant answered")}


def test_answer_refusals_say_why(program, alice, petros):
    evaluate(program, alice, followups=[1])
    assert refusal(lambda: respond(program, petros, "post", answers())) == (
        "not_open", "This survey is not open.")
    assert refusal(lambda: respond(program, petros, "m9", answers())) == (
        "not_open", "This survey is not open.")
    respond(program, petros, "pre", answers())
    assert refusal(lambda: respond(program, petros, "pre", answers())) == (
        "already_answered", "You have already answered this survey.")


def test_refused_answers_name_every_problem(program, alice, petros):
    evaluate(program, alice, instruments=["thermometer", "trust"])
    with pytest.raises(services.AnswerErrors) as err:
        respond(program, petros, "pre", {"thermometer.1": 100.5, "trust.1": None, "trust.2": 0,
                                         "trust.3": 6, "x" * 50: 1},
                consent="yes")
    assert err.value.messages == ["The answers could not be saved; nothing was stored."]
    assert err.value.errors == {
        "consent": ["Tick the research consent to send your answers."],
        "answers": {"x" * 40: ["This program's survey has no such item."],
                    "thermometer.1": ["Give a whole number from 0 to 100."],
                    "trust.1": ["This item needs an answer."],
                    "trust.2": ["Give a whole number from 1 to 5."],
                    "trust.3": ["Give a whole number from 1 to 5."]}}
    assert not SurveyResponse.objects.exists()


def test_a_second_answer_is_refused_as_answered_before_its_answers_are_read(
        program, alice, petros):
    evaluate(program, alice)
    respond(program, petros, "pre", answers())
    assert refusal(lambda: respond(program, petros, "pre", {}, consent=False)) == (
        "already_answered", "You have already answered this survey.")


def test_an_answer_that_loses_a_race_with_another_is_refused_as_answered(
        program, alice, petros, monkeypatch):
    evaluate(program, alice)
    read_answers = services.answer_problems

    def meanwhile(*args):  # the person's other request stores its answers first
        SurveyResponse.objects.create(wave=wave(program, "pre"),
                                      respondent=Respondent.objects.get(user=petros),
                                      answers={}, consented_at=timezone.now())
        return read_answers(*args)

    monkeypatch.setattr(services, "answer_problems", meanwhile)
    assert refusal(lambda: respond(program, petros, "pre", answers())) == (
        "already_answered", "You have already answered this survey.")


def test_answering_cancels_only_that_waves_messages(org, program, alice, petros):
    other = evaluated_with_another(org, program, alice, petros)
    respond(program, petros, "pre", answers())
    assert other_programs_messages(petros, other) == {"pending"}


@pytest.mark.parametrize(("given", "problem"), [
    ([1, 2], "Send the answers as an object of item keys and numbers."),
    ({f"k{n}": 1 for n in range(201)}, "Too many answers."),
])
def test_answers_that_are_no_object_or_too_many_are_refused_whole(given, problem):
    assert services.answer_problems(["thermometer"], given) == ({"": [problem]}, {})


def test_two_hundred_answers_are_read_item_by_item():
    given = {f"k{n}": 1 for n in range(199)} | {"thermometer.1": 0}
    problems, clean = services.answer_problems(["thermometer"], given)
    assert clean == {"thermometer.1": 0}
    assert len(problems) == 199


@pytest.mark.parametrize(("value", "whole"), [
    (3, 3), (3.0, 3), (0, 0), (3.5, None), (True, None), ("3", None), (None, None),
])
def test_whole_numbers(value, whole):
    assert services._whole_number(value) == whole


def test_the_scale_ends_are_answers(program, alice, petros):
    evaluate(program, alice, instruments=["trust"])
    response = respond(program, petros, "pre", {"trust.1": 1, "trust.2": 5, "trust.3": 1.0})
    assert response.answers == {"trust.1": 1, "trust.2": 5, "trust.3": 1}


# --- Export and erasure -----------------------------------------------------------------


def test_an_export_is_logged(program, alice):
    services.responses_export_logged(program=program, actor=alice)
    log = ActivityLog.objects.get(verb="evaluation.responses_exported")
    assert (log.actor, log.target_id, log.organization_id) == (
        alice, str(program.pk), program.organization_id)


def test_erasure_unlinks_only_the_persons_respondents(program, alice, petros):
    other = accepted_participant(program)
    evaluate(program, alice)
    respond(program, petros, "pre", answers())
    respond(program, other, "pre", answers())
    assert services.unlink_person(petros) == 1
    assert Respondent.objects.filter(user__isnull=True).count() == 1
    assert Respondent.objects.filter(user=other).count() == 1
