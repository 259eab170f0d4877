"""GET/PUT programs/{id}/reminders/: the schedule as a bare array."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dialogues.reminders import services as reminders
from exchanges import services
from participants.models import Notification
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, SessionFactory, program_with_sides

pytestmark = pytest.mark.django_db

DEFAULT = [
    {"kind": "session_reminder", "offset_minutes": -1440},
    {"kind": "session_reminder", "offset_minutes": -60},
    {"kind": "session_followup", "offset_minutes": 1440},
    {"kind": "program_followup", "offset_minutes": 43200},
    {"kind": "program_followup", "offset_minutes": 129600},
]


@pytest.fixture
def program(org):
    program = program_with_sides(organization=org)
    reminders.default_schedule(sender=None, program=program)
    return program


def url(program):
    return f"/api/v1/programs/{program.pk}/reminders/"


@pytest.mark.parametrize(("who", "expected"), [
    ("alice", 200), ("carol", 200), ("fred", 200), ("bob", 403), ("charlie", 403),
])
def test_reminders_get_is_for_members(program, request, who, expected):
    response = client_for(request.getfixturevalue(who)).get(url(program))
    assert response.status_code == expected
    if expected == 200:
        assert response.json() == DEFAULT


def test_reminders_of_another_organizations_draft_answer_404(org, charlie):
    draft = program_with_sides(organization=org, status="draft")
    assert client_for(charlie).get(url(draft)).status_code == 404
    assert client_for(charlie).put(url(draft), [], format="json").status_code == 404


def test_reminders_need_a_signed_in_caller(program, anon):
    assert anon.get(url(program)).status_code == 401


@pytest.mark.parametrize(("who", "expected"), [
    ("alice", 200), ("carol", 200), ("fred", 403), ("bob", 403),
])
def test_reminders_put_is_for_owners_and_coordinators(program, request, who, expected):
    body = [{"kind": "session_reminder", "offset_minutes": -30}]
    response = client_for(request.getfixturevalue(who)).put(url(program), body, format="json")
    assert response.status_code == expected
    if expected == 200:
        assert response.json() == body
        assert reminders.reminder_schedule(program) == [("session_reminder", -30)]
    else:
        assert len(reminders.reminder_schedule(program)) == 5


def test_reminders_put_replans_pending_messages(program, alice, bob):
    session = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=5))
    application = ApplicationFactory(program=program, side=program.sides.first(), applicant=bob)
    services.application_accept(application=application, actor=alice)
    body = [{"kind": "session_reminder", "offset_minutes": -30}]
    client_for(alice).put(url(program), body, format="json")
    pending = Notification.objects.filter(recipient=bob, status="pending",
                                          kind__in=reminders.REMINDER_KINDS)
    assert list(pending.values_list("dedupe_key", "due_at")) == [
        (f"session_reminder:{session.pk}:{bob.pk}:-30",
         session.starts_at - timedelta(minutes=30))]


def test_reminders_put_names_the_item_and_field_that_is_wrong(program, alice):
    body = [
        {"kind": "session_reminder", "offset_minutes": -60},
        {"kind": "session_reminder", "offset_minutes": 60},
        {"kind": "birthday", "offset_minutes": 10},
        {"kind": "program_followup"},
    ]
    response = client_for(alice).put(url(program), body, format="json")
    assert response.status_code == 400
    assert response.json() == [
        {},
        {"offset_minutes": ["A session reminder comes before the session: the offset must "
                            "be negative."]},
        {"kind": ['"birthday" is not a valid choice.']},
        {"offset_minutes": ["This field is required."]},
    ]
    assert len(reminders.reminder_schedule(program)) == 5


def test_reminders_put_refuses_a_body_that_is_not_a_list(program, alice):
    response = client_for(alice).put(url(program), {"kind": "session_reminder"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_reminders_put_on_an_archived_program_is_a_conflict(org, alice):
    archived = program_with_sides(organization=org, status="archived")
    response = client_for(alice).put(url(archived), [], format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
