from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from exchanges.models import ActivityLog, Application
from participants.models import Notification
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db


def applications_url(program):
    return f"/api/v1/programs/{program.pk}/applications/"


def application_url(application, action=""):
    return f"/api/v1/applications/{application.pk}/{action + '/' if action else ''}"


def z(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


# --- submit ---------------------------------------------------------------------------------


def test_application_submit_is_pending(bob, published):
    north = published.sides.first()

    response = client_for(bob).post(applications_url(published),
                                    {"side": north.pk, "motivation": "  To meet people. "})

    application = Application.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": application.pk, "program": published.pk, "side": north.pk, "status": "pending",
        "applicant": {"id": bob.pk, "display_name": "Bob"}, "motivation": "To meet people.",
        "created_at": z(application.created_at), "decided_at": None,
        "guardian_consent": None, "guardian_email": None, "guardian_name": "",
        "guardian_answered_at": None,
    }
    assert list(Notification.objects.values_list("kind", "recipient")) == [
        ("application_received", bob.pk)]
    assert ActivityLog.objects.filter(verb="application.submitted").count() == 1


def test_application_submit_twice_is_409_already_applied(dora, published, application):
    response = client_for(dora).post(applications_url(published),
                                     {"side": published.sides.last().pk})

    assert response.status_code == 409
    assert response.json()["code"] == "already_applied"
    assert Application.objects.count() == 1


def test_application_submit_after_withdrawing_is_409_already_applied(dora, published, application):
    application.status = "withdrawn"
    application.save()

    response = client_for(dora).post(applications_url(published),
                                     {"side": published.sides.first().pk})

    assert response.status_code == 409
    assert response.json()["code"] == "already_applied"


def test_application_submit_to_closed_program_is_409_not_open(bob, org):
    program = program_with_sides(organization=org, status="closed")

    response = client_for(bob).post(applications_url(program), {"side": program.sides.first().pk})

    assert response.status_code == 409
    assert response.json()["code"] == "not_open"


def test_application_submit_after_close_time_is_409_not_open(bob, org):
    program = program_with_sides(organization=org,
                                 applications_close_at=timezone.now() - timedelta(minutes=1))

    response = client_for(bob).post(applications_url(program), {"side": program.sides.first().pk})

    assert response.status_code == 409
    assert response.json()["code"] == "not_open"
    assert Application.objects.count() == 0


def test_application_submit_side_of_another_program_is_400(bob, published, org):
    other = program_with_sides(organization=org)

    response = client_for(bob).post(applications_url(published), {"side": other.sides.first().pk})

    assert response.status_code == 400
    assert list(response.json()) == ["side"]


def test_application_submit_unknown_side_is_400(bob, published):
    response = client_for(bob).post(applications_url(published), {"side": 999999})

    assert response.status_code == 400
    assert list(response.json()) == ["side"]


def test_application_submit_to_invisible_draft_is_404(bob, draft):
    response = client_for(bob).post(applications_url(draft), {"side": draft.sides.first().pk})

    assert response.status_code == 404


def test_application_submit_anonymous_is_401(anon, published):
    response = anon.post(applications_url(published), {"side": published.sides.first().pk})

    assert response.status_code == 401


# --- list -----------------------------------------------------------------------------------


def test_applications_list_staff_sees_all_with_personal_data(carol, published, application):
    other = ApplicationFactory(program=published, side=published.sides.last())

    response = client_for(carol).get(applications_url(published))

    assert response.status_code == 200
    assert response.json()["count"] == 2
    first = response.json()["results"][0]
    assert first["applicant"] == {"id": application.applicant.pk, "display_name": "Dora",
                                  "email": "dora@example.org", "legal_name": "Dora Legal",
                                  "institution": "", "birth_date": None}
    assert response.json()["results"][1]["id"] == other.pk


def test_applications_list_participant_sees_only_own_without_personal_data(
    dora, published, application
):
    ApplicationFactory(program=published, side=published.sides.last())

    response = client_for(dora).get(applications_url(published))

    assert response.json()["count"] == 1
    assert response.json()["results"][0]["applicant"] == {"id": dora.pk, "display_name": "Dora"}
    assert response.json()["results"][0]["motivation"] == "I want to listen."


def test_applications_list_facilitator_sees_none(fred, published, application):
    response = client_for(fred).get(applications_url(published))

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_applications_list_filters(alice, published):
    north, south = published.sides.all()
    accepted = ApplicationFactory(program=published, side=north, status="accepted")
    ApplicationFactory(program=published, side=north, status="pending")
    waiting = ApplicationFactory(program=published, side=south, status="waitlisted")
    client = client_for(alice)

    by_status = client.get(applications_url(published), {"status": "accepted"}).json()
    by_side = client.get(applications_url(published), {"side": south.pk}).json()

    assert [a["id"] for a in by_status["results"]] == [accepted.pk]
    assert [a["id"] for a in by_side["results"]] == [waiting.pk]


def test_applications_list_unknown_status_is_400(alice, published):
    response = client_for(alice).get(applications_url(published), {"status": "maybe"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_applications_list_of_invisible_draft_is_404(charlie, draft):
    assert client_for(charlie).get(applications_url(draft)).status_code == 404


def test_applications_list_anonymous_is_401(anon, published):
    assert anon.get(applications_url(published)).status_code == 401


@pytest.mark.parametrize("count", [1, 3])
def test_applications_list_query_count_is_constant(alice, published, count,
                                                   django_assert_max_num_queries):
    for _ in range(count):
        ApplicationFactory(program=published, side=published.sides.first())
    client = client_for(alice)

    with django_assert_max_num_queries(5):  # the 5th writes personal_data.viewed
        response = client.get(applications_url(published))

    assert response.json()["count"] == count


# --- detail ---------------------------------------------------------------------------------


def test_application_detail_for_applicant(dora, application):
    response = client_for(dora).get(application_url(application))

    assert response.status_code == 200
    assert response.json()["applicant"] == {"id": dora.pk, "display_name": "Dora"}


def test_application_detail_for_staff_has_personal_data(carol, application):
    response = client_for(carol).get(application_url(application))

    assert response.json()["applicant"]["legal_name"] == "Dora Legal"


@pytest.mark.parametrize("who", ["fred", "bob", "charlie"])
def test_application_detail_for_others_is_404(request, application, other_org, who):
    user = request.getfixturevalue(who)

    assert client_for(user).get(application_url(application)).status_code == 404


# --- decisions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "status"), [
    ("accept", "accepted"), ("waitlist", "waitlisted"), ("decline", "declined"),
])
def test_application_decision_by_staff(carol, application, action, status):
    response = client_for(carol).post(application_url(application, action))

    application.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["status"] == status
    assert response.json()["decided_at"] == z(application.decided_at)
    assert application.status == status
    assert ActivityLog.objects.filter(verb=f"application.{status}").count() == 1
    assert Notification.objects.filter(kind=f"application_{status}",
                                       recipient=application.applicant).count() == 1


def test_application_accept_by_applicant_is_403(dora, application):
    response = client_for(dora).post(application_url(application, "accept"))

    application.refresh_from_db()
    assert response.status_code == 403
    assert application.status == "pending"


@pytest.mark.parametrize("who", ["fred", "bob", "charlie"])
def test_application_accept_by_someone_who_cannot_see_it_is_404(request, application, other_org,
                                                                who):
    user = request.getfixturevalue(who)

    response = client_for(user).post(application_url(application, "accept"))

    application.refresh_from_db()
    assert response.status_code == 404
    assert application.status == "pending"


def test_application_accept_when_side_full_is_409(alice, org):
    program = program_with_sides(organization=org, capacity=2)
    north, _south = program.sides.all()
    ApplicationFactory(program=program, side=north, status="accepted")
    application = ApplicationFactory(program=program, side=north)

    response = client_for(alice).post(application_url(application, "accept"))

    application.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "side_full"
    assert application.status == "pending"


def test_application_accept_when_program_full_is_409(alice, org):
    program = program_with_sides(organization=org, capacity=1, balance="none")
    north, south = program.sides.all()
    ApplicationFactory(program=program, side=north, status="accepted")
    application = ApplicationFactory(program=program, side=south)

    response = client_for(alice).post(application_url(application, "accept"))

    application.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "capacity_full"
    assert application.status == "pending"


@pytest.mark.parametrize(("start", "action"), [
    ("declined", "accept"), ("withdrawn", "accept"), ("accepted", "waitlist"),
    ("waitlisted", "waitlist"), ("declined", "decline"),
])
def test_application_decision_not_allowed_is_409(alice, application, start, action):
    application.status = start
    application.save()

    response = client_for(alice).post(application_url(application, action))

    application.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert application.status == start


def test_application_decline_accepted_promotes_oldest_waitlisted(alice, org):
    program = program_with_sides(organization=org, capacity=2)
    north, _south = program.sides.all()
    accepted = ApplicationFactory(program=program, side=north, status="accepted")
    waiting = ApplicationFactory(program=program, side=north, status="waitlisted")

    response = client_for(alice).post(application_url(accepted, "decline"))

    waiting.refresh_from_db()
    assert response.json()["status"] == "declined"
    assert waiting.status == "accepted"


# --- withdraw -------------------------------------------------------------------------------


def test_application_withdraw_by_applicant(dora, application):
    response = client_for(dora).post(application_url(application, "withdraw"))

    application.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert application.status == "withdrawn"


def test_application_withdraw_accepted_frees_seat_for_waitlist(dora, published, application):
    published.capacity = 2
    published.save()
    application.status = "accepted"
    application.save()
    waiting = ApplicationFactory(program=published, side=application.side, status="waitlisted")

    client_for(dora).post(application_url(application, "withdraw"))

    waiting.refresh_from_db()
    assert waiting.status == "accepted"


def test_application_withdraw_by_staff_is_403(alice, application):
    response = client_for(alice).post(application_url(application, "withdraw"))

    application.refresh_from_db()
    assert response.status_code == 403
    assert application.status == "pending"


def test_application_withdraw_twice_is_409(dora, application):
    client = client_for(dora)
    client.post(application_url(application, "withdraw"))

    response = client.post(application_url(application, "withdraw"))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_application_withdraw_by_other_person_is_404(application):
    response = client_for(UserFactory()).post(application_url(application, "withdraw"))

    assert response.status_code == 404
