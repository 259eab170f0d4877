"""Evaluation rules: settings, wave windows and order, invitations and reminders through
the outbox, answering once with consent, declining, and what erasure leaves."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict
from dialogues.evaluation import invitations, services
from dialogues.evaluation.selectors import evaluation_of, surveys_of, wave_windows
from dialogues.evaluation.stats import program_results
from dialogues.models import Evaluation, Respondent, SurveyResponse
from exchanges import services as exchange_services
from exchanges.models import ApplicationStatus
from participants.models import Notification
from participants.outbox import dispatch
from participants.privacy import erase_personal_data, export_personal_data
from tests.factories import (
    ApplicationFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
)
from tests.surveys import answers, evaluate, move_to, respond, upcoming_program, wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return upcoming_program("Greek Cypriot", "Turkish Cypriot", organization=org,
                              capacity=40)


@pytest.fixture
def petros(program):
    return accepted_participant(program, display_name="Petros", email="petros@example.org")


def _windows(program):
    return {w.name: (w.opens_at, w.closes_at, w.state()) for w in
            wave_windows(evaluation_of(program))}


def _midnight(day):
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _invitations(**filters):
    return sorted(Notification.objects.filter(kind="survey_invitation", **filters)
                  .values_list("dedupe_key", flat=True))


# --- Settings and windows ---------------------------------------------------------------


def test_first_save_opens_pre_until_the_first_session_and_times_the_rest(program, alice):
    first = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=10))
    last = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=20))
    SessionFactory(program=program, status="cancelled",
                   starts_at=timezone.now() + timedelta(days=2))

    evaluation = evaluate(program, alice, instruments=["trust", "thermometer"],
                          followups=[3, 1])

    windows = _windows(program)
    assert evaluation.instruments == ["thermometer", "trust"]  # the catalogue's order
    assert list(windows) == ["pre", "post", "m1", "m3"]
    assert windows["pre"] == (evaluation.created_at, first.starts_at, "open")
    assert windows["post"] == (last.ends_at, last.ends_at + timedelta(days=14), "upcoming")
    m3 = _midnight(program.ends_on) + timedelta(days=90)
    assert windows["m3"] == (m3, m3 + timedelta(days=14), "upcoming")


def test_without_sessions_the_program_dates_time_pre_and_post(program, alice):
    evaluate(program, alice)

    windows = _windows(program)

    assert windows["pre"][1] == _midnight(program.starts_on)
    assert windows["post"][:2] == (_midnight(program.ends_on + timedelta(days=1)),
                                   _midnight(program.ends_on + timedelta(days=15)))


def test_follow_ups_default_to_one_three_and_six_months(program, alice):
    services.evaluation_save(program=program, actor=alice, instruments=["ios"])

    assert list(_windows(program)) == ["pre", "post", "m1", "m3", "m6"]


@pytest.mark.parametrize(("instruments", "followups", "field"), [
    (["courage"], [1], "instruments"),
    ([], [1], "instruments"),
    (["trust"], [0], "followups"),
    (["trust"], [25], "followups"),
])
def test_bad_settings_are_refused_naming_the_field(program, alice, instruments, followups,
                                                   field):
    with pytest.raises(ValidationError) as refused:
        services.evaluation_save(program=program, actor=alice, instruments=instruments,
                                 followups=followups)

    assert list(refused.value.message_dict) == [field]
    assert not Evaluation.objects.exists()


def test_only_staff_set_up_an_evaluation(program, petros):
    with pytest.raises(PermissionDenied):
        evaluate(program, petros)

    assert not Evaluation.objects.exists()


def test_instruments_are_fixed_once_someone_answered(program, alice, petros):
    evaluate(program, alice, instruments=["thermometer"])
    respond(program, petros, "pre", answers())

    with pytest.raises(Conflict) as refused:
        evaluate(program, alice, instruments=["thermometer", "trust"])

    assert refused.value.code == "invalid_transition"
    assert evaluation_of(program).instruments == ["thermometer"]
    evaluate(program, alice, instruments=["thermometer"], followups=[1, 12])  # months may
    assert list(_windows(program)) == ["pre", "post", "m1", "m12"]


def test_a_follow_up_with_answers_cannot_be_removed(program, alice, petros):
    evaluate(program, alice, followups=[1])
    move_to(program, alice, "post")
    move_to(program, alice, "m1")
    respond(program, petros, "m1", answers())

    with pytest.raises(Conflict):
        evaluate(program, alice, followups=[3])

    assert list(_windows(program)) == ["pre", "post", "m1"]


# --- Waves by hand ----------------------------------------------------------------------


def test_a_wave_opens_only_after_every_earlier_one_closed(program, alice):
    evaluation = evaluate(program, alice, followups=[1])

    with pytest.raises(Conflict) as refused:
        services.wave_open(evaluation=evaluation, wave=wave(program, "post"), actor=alice)

    assert refused.value.code == "invalid_transition"
    assert wave(program, "post").opened_at is None


def test_an_open_or_closed_wave_cannot_be_opened_again(program, alice):
    evaluation = evaluate(program, alice, followups=[1])
    with pytest.raises(Conflict):
        services.wave_open(evaluation=evaluation, wave=wave(program, "pre"), actor=alice)
    move_to(program, alice, "post")

    with pytest.raises(Conflict):
        services.wave_open(evaluation=evaluation_of(program), wave=wave(program, "pre"),
                           actor=alice)


def test_opening_by_hand_runs_fourteen_days_and_closing_ends_it_now(program, alice):
    evaluation = evaluate(program, alice, followups=[1])
    services.wave_close(evaluation=evaluation, wave=wave(program, "pre"), actor=alice)

    window = services.wave_open(evaluation=evaluation_of(program), wave=wave(program, "post"),
                                actor=alice)

    assert window.closes_at - window.opens_at == timedelta(days=14)
    assert timezone.now() - window.opens_at < timedelta(seconds=5)
    assert _windows(program)["pre"][2] == "closed"
    with pytest.raises(Conflict):  # only an open wave closes
        services.wave_close(evaluation=evaluation_of(program), wave=wave(program, "m1"),
                            actor=alice)


# --- Invitations and reminders ----------------------------------------------------------


def test_opening_invites_accepted_participants_with_two_reminders(program, alice, petros):
    ApplicationFactory(program=program, side=program.sides.first(), status="pending")
    evaluate(program, alice, followups=[1])
    pre = wave(program, "pre")
    services.wave_close(evaluation=evaluation_of(program), wave=pre, actor=alice)

    window = move_to(program, alice, "post")

    post = wave(program, "post")
    assert _invitations(context__wave=post.pk) == [f"survey_invitation:{post.pk}:{petros.pk}"]
    reminders = dict(Notification.objects.filter(kind="survey_reminder", context__wave=post.pk)
                     .values_list("dedupe_key", "due_at"))
    assert reminders == {
        f"survey_reminder:{post.pk}:{petros.pk}:half": window.opens_at + timedelta(days=7),
        f"survey_reminder:{post.pk}:{petros.pk}:last": window.closes_at - timedelta(days=1)}


def test_the_invitation_email_links_to_the_survey(program, alice, petros):
    evaluate(program, alice)

    dispatch.dispatch_outbox()

    [message] = mail.outbox
    assert message.to == ["petros@example.org"]
    assert f"/programs/{program.pk}/evaluation/pre/" in message.body
    assert "does not affect your place in the program" in message.body


def test_someone_accepted_during_an_open_wave_is_invited(program, alice):
    evaluate(program, alice)
    application = ApplicationFactory(program=program, side=program.sides.first())

    exchange_services.application_accept(application=application, actor=alice)

    assert _invitations(recipient=application.applicant) == [
        f"survey_invitation:{wave(program, 'pre').pk}:{application.applicant_id}"]


@pytest.mark.parametrize("change", ["withdrew", "declined", "answered", "follow_ups_off",
                                    "wave_closed"])
def test_no_survey_message_after_the_person_or_wave_moved_on(program, alice, petros, change):
    evaluate(program, alice)
    if change == "withdrew":
        application = petros.applications.get()
        exchange_services.application_withdraw(application=application, actor=petros)
    elif change == "declined":
        services.survey_decline(program=program, user=petros)
    elif change == "answered":
        respond(program, petros, "pre", answers())
    elif change == "follow_ups_off":
        petros.notify_email = False
        petros.save()
    else:
        services.wave_close(evaluation=evaluation_of(program), wave=wave(program, "pre"),
                            actor=alice)
    Notification.objects.filter(kind__startswith="survey_").update(due_at=timezone.now())

    dispatch.dispatch_outbox()

    assert mail.outbox == []
    assert set(Notification.objects.filter(kind__startswith="survey_")
               .values_list("status", flat=True)) <= {"cancelled", "missed"}


def test_reminders_follow_a_window_that_moves(program, alice, petros):
    first = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=10))
    evaluate(program, alice)
    pre = wave(program, "pre")
    key = f"survey_reminder:{pre.pk}:{petros.pk}:last"
    assert Notification.objects.get(dedupe_key=key).due_at == first.starts_at - timedelta(
        days=1)
    later = first.starts_at + timedelta(days=4)
    type(first).objects.filter(pk=first.pk).update(starts_at=later,
                                                   ends_at=later + timedelta(hours=2))

    invitations.open_due_waves()

    assert Notification.objects.get(dedupe_key=key).due_at == later - timedelta(days=1)


def test_an_archived_programs_waves_stay_as_they_are(program, alice):
    evaluate(program, alice)
    type(program).objects.filter(pk=program.pk).update(status="archived")

    with pytest.raises(Conflict):
        services.wave_close(evaluation=evaluation_of(program), wave=wave(program, "pre"),
                            actor=alice)

    assert wave(program, "pre").closed_at is None


def test_the_tick_invites_when_a_default_window_opens(program, alice, petros):
    evaluate(program, alice, followups=[1])
    Notification.objects.all().delete()
    today = timezone.now().date()
    type(program).objects.filter(pk=program.pk).update(
        starts_on=today - timedelta(days=40), ends_on=today - timedelta(days=2))

    assert invitations.open_due_waves() == 1
    assert invitations.open_due_waves() == 0  # once

    assert _invitations() == [f"survey_invitation:{wave(program, 'post').pk}:{petros.pk}"]


def test_the_tick_skips_programs_past_their_last_possible_follow_up(
        program, alice, django_assert_max_num_queries):
    evaluate(program, alice, followups=[24])
    long_ago = timezone.now().date() - timedelta(days=24 * 30 + 15)
    type(program).objects.filter(pk=program.pk).update(starts_on=long_ago, ends_on=long_ago)

    with django_assert_max_num_queries(1):
        assert invitations.open_due_waves() == 0


# --- Answering --------------------------------------------------------------------------


def _nothing_stored():
    return SurveyResponse.objects.count() == 0 and Respondent.objects.count() == 0


def test_an_answer_is_stored_once_with_its_consent_time(program, alice, petros):
    evaluate(program, alice, instruments=["thermometer", "anxiety"])

    response = respond(program, petros, "pre", answers({"thermometer.1": 70.0},
                                                       ["thermometer", "anxiety"]))

    assert response.answers == {"thermometer.1": 70, "anxiety.1": 1, "anxiety.2": 1,
                                "anxiety.3": 1}
    assert response.consented_at == response.submitted_at
    assert response.respondent.side == petros.applications.get().side
    assert len(response.respondent.key) >= 8
    assert str(petros.pk) != response.respondent.key


def test_a_second_answer_is_refused(program, alice, petros):
    evaluate(program, alice)
    respond(program, petros, "pre", answers({"thermometer.1": 40}))

    with pytest.raises(Conflict) as refused:
        respond(program, petros, "pre", answers({"thermometer.1": 90}))

    assert refused.value.code == "already_answered"
    assert list(SurveyResponse.objects.values_list("answers", flat=True)) == [
        {"thermometer.1": 40}]


def test_the_database_refuses_a_second_answer_too(program, alice, petros):
    from django.db import IntegrityError, transaction

    evaluate(program, alice)
    first = respond(program, petros, "pre", answers())

    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(wave=first.wave, respondent=first.respondent,
                                      answers={}, consented_at=timezone.now())


@pytest.mark.parametrize("wave_name", ["post", "m1"])
def test_an_answer_outside_its_window_is_refused(program, alice, petros, wave_name):
    evaluate(program, alice, followups=[1])

    with pytest.raises(Conflict) as refused:
        respond(program, petros, wave_name, answers())

    assert refused.value.code == "not_open"
    assert _nothing_stored()


def test_an_answer_to_a_closed_wave_is_refused(program, alice, petros):
    evaluate(program, alice)
    services.wave_close(evaluation=evaluation_of(program), wave=wave(program, "pre"),
                        actor=alice)

    with pytest.raises(Conflict) as refused:
        respond(program, petros, "pre", answers())

    assert refused.value.code == "not_open"
    assert _nothing_stored()


@pytest.mark.parametrize("status", ["pending", "waitlisted", "declined", "withdrawn", None])
def test_only_accepted_participants_answer(program, alice, status):
    evaluate(program, alice)
    person = UserFactory()
    if status:
        ApplicationFactory(program=program, side=program.sides.first(), applicant=person,
                           status=status)

    with pytest.raises(Conflict) as refused:
        respond(program, person, "pre", answers())

    assert refused.value.code == "not_accepted"
    assert _nothing_stored()


def test_an_answer_without_consent_is_refused(program, alice, petros):
    evaluate(program, alice)

    with pytest.raises(services.AnswerErrors) as refused:
        respond(program, petros, "pre", answers(), consent=False)

    assert list(refused.value.errors) == ["consent"]
    assert _nothing_stored()


def test_missing_unknown_and_out_of_range_items_are_each_named(program, alice, petros):
    evaluate(program, alice, instruments=["thermometer", "trust", "friends"])

    with pytest.raises(services.AnswerErrors) as refused:
        respond(program, petros, "pre", {"thermometer.1": 101, "trust.1": 3, "trust.2": 2.5,
                                         "friends.1": True, "courage.1": 4})

    assert sorted(refused.value.errors["answers"]) == [
        "courage.1", "friends.1", "thermometer.1", "trust.2", "trust.3"]
    assert _nothing_stored()


# --- Declining, the person's surveys, export and erasure --------------------------------


def test_declining_stops_surveys_but_not_participation(program, alice, petros):
    evaluate(program, alice)

    services.survey_decline(program=program, user=petros)

    assert petros.applications.get().status == ApplicationStatus.ACCEPTED
    assert surveys_of(petros) == []
    assert set(Notification.objects.filter(recipient=petros, kind__startswith="survey_")
               .values_list("status", flat=True)) == {"cancelled"}


def test_declining_is_for_accepted_participants(program, alice):
    evaluate(program, alice)

    with pytest.raises(Conflict) as refused:
        services.survey_decline(program=program, user=UserFactory())

    assert refused.value.code == "not_accepted"


def test_a_person_sees_only_open_waves_they_have_not_answered(org, program, alice, petros):
    other = upcoming_program("A", "B", "C", organization=org)
    other_side = other.sides.get(name="A")
    ApplicationFactory(program=other, side=other_side, applicant=petros, status="accepted")
    evaluate(program, alice, instruments=["trust"], followups=[1])
    evaluate(other, alice, instruments=["thermometer"])
    respond(other, petros, "pre", answers())

    [survey] = surveys_of(petros)

    assert (survey.program, survey.wave) == (program, "pre")
    assert [item.text for item in survey.items][0] == (
        "Most people from Turkish Cypriot can be trusted.")
    move_to(program, alice, "post")
    assert [s.wave for s in surveys_of(petros)] == ["post"]


def test_other_sides_are_named_together_when_there_are_several(org, alice):
    program = upcoming_program("A", "B", "C", organization=org)
    person = accepted_participant(program, side=program.sides.get(name="B"))
    evaluate(program, alice, instruments=["trust"])

    [survey] = surveys_of(person)

    assert survey.items[0].text == "Most people from A or C can be trusted."


def test_answers_are_in_the_persons_export(program, alice, petros):
    evaluate(program, alice)
    respond(program, petros, "pre", answers({"thermometer.1": 65}))

    [entry] = export_personal_data(user=petros)["surveys"]

    assert entry["program"] == program.title
    assert entry["side"] == "Greek Cypriot"
    assert [(r["wave"], r["answers"]) for r in entry["responses"]] == [
        ("pre", {"thermometer.1": 65})]


def test_erasure_unlinks_answers_but_keeps_the_statistics(program, alice):
    side = program.sides.first()
    people = [accepted_participant(program, side=side) for _ in range(5)]
    evaluate(program, alice)
    for n, person in enumerate(people):
        respond(program, person, "pre", answers({"thermometer.1": 10 * n}))
    move_to(program, alice, "post")
    for n, person in enumerate(people):
        respond(program, person, "post", answers({"thermometer.1": 10 * n + 5}))
    before = program_results(evaluation_of(program))
    keys = set(Respondent.objects.values_list("key", flat=True))

    erase_personal_data(user=people[0])

    assert program_results(evaluation_of(program)) == before
    assert set(Respondent.objects.values_list("key", flat=True)) == keys
    assert Respondent.objects.filter(user__isnull=True).count() == 1
    assert SurveyResponse.objects.count() == 10
