"""The evaluation pages: answering on the survey page, the staff's settings, waves and
results, the organization's pooled results, and what each shows to whom."""

import pytest
from django.utils import translation

from dialogues.evaluation.selectors import evaluation_of, wave_windows
from dialogues.models import Respondent, SurveyResponse
from tests.factories import (
    MembershipFactory,
    UserFactory,
    accepted_participant,
)
from tests.surveys import answers, evaluate, move_to, respond, upcoming_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return upcoming_program("Greek Cypriot", "Turkish Cypriot", organization=org,
                              capacity=60, title="Nicosia dialogue")


@pytest.fixture
def petros(program):
    return accepted_participant(program, display_name="Petros")


def _survey_url(program, wave="pre"):
    return f"/programs/{program.pk}/evaluation/{wave}/"


# --- The participant's pages ------------------------------------------------------------


def test_the_survey_page_asks_every_item_with_the_other_side_named(client, program, alice,
                                                                   petros):
    evaluate(program, alice, instruments=["thermometer", "ios", "trust"])
    client.force_login(petros)

    response = client.get(_survey_url(program))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Most people from Turkish Cypriot can be trusted." in body
    assert body.count('type="radio" name="ios.1"') == 7
    assert body.count("<circle") == 14
    assert 'type="number" name="thermometer.1"' in body
    assert "style=" not in body and "<script>" not in body


def test_answering_on_the_page_stores_the_answers(client, program, alice, petros):
    evaluate(program, alice, instruments=["thermometer", "ios"])
    client.force_login(petros)

    response = client.post(_survey_url(program), {"thermometer.1": "72", "ios.1": "5",
                                                  "consent": "on"})

    assert response.status_code == 302
    assert list(SurveyResponse.objects.values_list("answers", flat=True)) == [
        {"thermometer.1": 72, "ios.1": 5}]
    assert client.get("/me/surveys/").context["surveys"] == []


def test_the_page_shows_each_problem_beside_its_item_and_stores_nothing(client, program,
                                                                        alice, petros):
    evaluate(program, alice, instruments=["thermometer", "ios"])
    client.force_login(petros)

    response = client.post(_survey_url(program), {"thermometer.1": "140"})

    form = response.context["form"]
    assert response.status_code == 400
    assert sorted(form.errors) == ["consent", "ios.1", "thermometer.1"]
    assert SurveyResponse.objects.count() == Respondent.objects.count() == 0


def test_an_answered_survey_is_not_offered_again(client, program, alice, petros):
    evaluate(program, alice)
    respond(program, petros, "pre", answers())
    client.force_login(petros)

    response = client.get(_survey_url(program))

    assert "You have already answered this survey." in response.content.decode()
    assert "Send my answers" not in response.content.decode()


def test_a_closed_or_foreign_survey_page_is_404(client, program, alice, petros, bob):
    evaluate(program, alice, followups=[1])
    client.force_login(petros)
    assert client.get(_survey_url(program, "m1")).status_code == 404
    client.force_login(bob)
    assert client.get(_survey_url(program)).status_code == 404


def test_declining_on_the_page_keeps_the_place(client, program, alice, petros):
    evaluate(program, alice)
    client.force_login(petros)

    response = client.post(f"/programs/{program.pk}/evaluation/decline/")

    assert response.status_code == 302
    assert petros.applications.get().status == "accepted"
    assert client.get("/me/surveys/").context["surveys"] == []


def test_my_sessions_points_to_a_waiting_survey(client, program, alice, petros):
    evaluate(program, alice)
    client.force_login(petros)

    body = client.get("/me/sessions/").content.decode()

    assert "A survey from your programs is waiting for you." in body


# --- The staff's pages ------------------------------------------------------------------


def test_staff_start_an_evaluation_on_its_page(client, program, alice):
    client.force_login(alice)

    response = client.post(f"/programs/{program.pk}/evaluation/",
                           {"instruments": ["trust", "heard"], "followups": "2, 9"})

    assert response.status_code == 302
    evaluation = evaluation_of(program)
    assert (evaluation.instruments, evaluation.followups) == (["trust", "heard"], [2, 9])


def test_the_settings_form_shows_errors_beside_fields(client, program, alice):
    client.force_login(alice)

    response = client.post(f"/programs/{program.pk}/evaluation/",
                           {"instruments": [], "followups": "1, soon"})

    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["followups", "instruments"]
    response = client.post(f"/programs/{program.pk}/evaluation/",
                           {"instruments": ["trust"], "followups": "30"})
    assert response.context["form"].errors == {
        "followups": ["Each follow-up is a whole number of months from 1 to 24."]}
    assert evaluation_of(program) is None


def test_staff_open_and_close_waves_in_order_from_the_page(client, program, alice):
    evaluate(program, alice, followups=[1])
    client.force_login(alice)
    base = f"/programs/{program.pk}/evaluation/waves/"

    refused = client.post(base + "post/open/", follow=True)
    client.post(base + "pre/close/")
    client.post(base + "post/open/")

    assert "Close the earlier waves first" in refused.content.decode()
    states = {w.name: w.state() for w in wave_windows(evaluation_of(program))}
    assert states == {"pre": "closed", "post": "open", "m1": "upcoming"}
    page = client.get(f"/programs/{program.pk}/evaluation/").content.decode()
    assert (f"{base}post/close/" in page, f"{base}m1/open/" in page) == (True, False)
    client.post(base + "post/close/")
    page = client.get(f"/programs/{program.pk}/evaluation/").content.decode()
    assert f"{base}m1/open/" in page


def test_evaluation_pages_are_for_staff_only(client, org, program, alice, petros, bob):
    evaluate(program, alice)
    facilitator = UserFactory()
    MembershipFactory(organization=org, user=facilitator, role="facilitator")
    urls = [f"/programs/{program.pk}/evaluation/{tail}" for tail in
            ("", "results/", "results.csv", "responses.csv")] + [f"/orgs/{org.slug}/evaluation/"]

    for person in (petros, bob, facilitator):
        client.force_login(person)
        assert [client.get(url).status_code for url in urls] == [404] * 5


def test_coordinators_may_not_export_responses(client, org, program, alice):
    evaluate(program, alice)
    carol = UserFactory()
    MembershipFactory(organization=org, user=carol, role="coordinator")
    client.force_login(carol)

    assert client.get(f"/programs/{program.pk}/evaluation/results.csv").status_code == 200
    assert client.get(f"/programs/{program.pk}/evaluation/responses.csv").status_code == 403


def _five_paired(program, alice, side, pre=30, post=45):
    people = [accepted_participant(program, side=side) for _ in range(5)]
    for n, person in enumerate(people):
        respond(program, person, "pre", answers({"thermometer.1": pre + n}))
    return people


def test_results_page_has_a_chart_and_a_table_per_instrument(client, program, alice):
    greek, turkish = program.sides.all()
    evaluate(program, alice, followups=[])
    people = _five_paired(program, alice, greek) + _five_paired(program, alice, turkish)[:4]
    move_to(program, alice, "post")
    for person in people:
        respond(program, person, "post", answers({"thermometer.1": 60}))
    client.force_login(alice)

    response = client.get(f"/programs/{program.pk}/evaluation/results/")

    body = response.content.decode()
    [chart] = response.context["charts"]
    assert [(s["name"], s["mean"]) for s in chart["sides"]] == [
        ("Greek Cypriot", [28.0]), ("Turkish Cypriot", [None])]
    assert body.count('class="evaluation-chart"') == 1
    assert 'id="evaluation-charts" type="application/json"' in body
    assert "hidden: fewer than 5 people answered both" in body
    assert "vendor/chart.umd.min.js" in body


def test_results_page_queries_do_not_grow_with_programs_or_people(client, org, alice,
                                                                  django_assert_max_num_queries):
    program = upcoming_program("A", "B", organization=org, capacity=80)
    evaluate(program, alice, followups=[1])
    _five_paired(program, alice, program.sides.first())
    client.force_login(alice)
    with django_assert_max_num_queries(14):
        client.get(f"/programs/{program.pk}/evaluation/results/")
    _five_paired(program, alice, program.sides.last())

    with django_assert_max_num_queries(14):
        assert client.get(f"/programs/{program.pk}/evaluation/results/").status_code == 200


def test_the_organization_pools_sides_that_share_a_name(client, org, alice,
                                                        django_assert_max_num_queries):
    for title, side_name in (("First cohort", "Greek Cypriot"), ("Second", "greek cypriot")):
        program = upcoming_program(side_name, "Turkish Cypriot", organization=org,
                                     capacity=40, title=title)
        evaluate(program, alice, followups=[])
        people = _five_paired(program, alice, program.sides.first())[:3]
        move_to(program, alice, "post")
        for person in people:
            respond(program, person, "post", answers({"thermometer.1": 50}))
    client.force_login(alice)

    with django_assert_max_num_queries(14):
        response = client.get(f"/orgs/{org.slug}/evaluation/")

    [chart] = response.context["charts"]
    sides = {s["name"]: s for s in chart["sides"]}
    assert set(sides) == {"Greek Cypriot", "Turkish Cypriot"}
    # 3 + 3 pooled people, changes 20, 19, 18 in each program: mean 19.
    assert sides["Greek Cypriot"]["n"] == [6]
    assert sides["Greek Cypriot"]["mean"] == [19.0]
    assert sides["Turkish Cypriot"]["mean"] == [None]


@pytest.mark.parametrize(("language", "text"), [
    ("el", "Μπορεί κανείς να εμπιστευτεί τους περισσότερους ανθρώπους της πλευράς "
           "«Turkish Cypriot»."),
    ("tr", "&quot;Turkish Cypriot&quot; tarafındaki insanların çoğuna güvenilebilir."),
    ("ar", "يمكن الوثوق بمعظم الناس من طرف «Turkish Cypriot»."),
])
def test_items_are_asked_in_the_participants_language(client, program, alice, petros,
                                                      language, text):
    evaluate(program, alice, instruments=["trust"])
    petros.language = language  # a signed-in person is answered in their profile's language
    petros.save(update_fields=["language"])
    client.force_login(petros)

    with translation.override("en"):  # the request activates its language; put it back after
        body = client.get(_survey_url(program), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert text in body
