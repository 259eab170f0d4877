"""The program's reminder settings page (staff)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dialogues.reminders import services as reminders
from exchanges import services
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    program = program_with_sides(organization=org)
    reminders.default_schedule(sender=None, program=program)
    return program


def url(program):
    return f"/programs/{program.pk}/reminders/"


def test_reminders_page_shows_the_schedule_in_hours_and_days(client, alice, program):
    client.force_login(alice)
    response = client.get(url(program))
    form = response.context["form"]
    assert response.status_code == 200
    assert {name: form[name].value() for name in form.fields} == {
        "session_reminders": "24, 1", "session_followups": "24", "program_followups": "30, 90"}


def test_reminders_page_saves_and_replans(client, alice, program):
    client.force_login(alice)
    response = client.post(url(program), {"session_reminders": "2, 0.5",
                                          "session_followups": "", "program_followups": "7"})
    assert response.status_code == 302
    assert reminders.reminder_schedule(program) == [
        ("session_reminder", -120), ("session_reminder", -30), ("program_followup", 10080)]


def test_reminders_page_puts_errors_next_to_the_field(client, alice, program):
    client.force_login(alice)
    response = client.post(url(program), {"session_reminders": "24, soon",
                                          "session_followups": "", "program_followups": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "session_reminders": ["“soon” is not a positive number. Separate numbers with commas."]}
    assert len(reminders.reminder_schedule(program)) == 5


def test_reminders_page_is_for_staff(client, org, program, bob, charlie):
    facilitator = UserFactory()
    MembershipFactory(organization=org, user=facilitator, role="facilitator")
    draft = program_with_sides(organization=org, status="draft")
    client.force_login(facilitator)
    assert client.get(url(program)).status_code == 403
    client.force_login(charlie)
    assert client.get(url(program)).status_code == 403
    assert client.get(url(draft)).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_reminders_page_query_count_is_constant(client, alice, program, count,
                                                django_assert_max_num_queries):
    session = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=5))
    for _ in range(count):
        application = ApplicationFactory(program=program, side=program.sides.first())
        services.application_accept(application=application, actor=alice)
    client.force_login(alice)
    with django_assert_max_num_queries(10):  # 9, and the viewer's role for the Incidents tab
        response = client.get(url(program))
    upcoming = response.context["upcoming"]
    assert len(upcoming) == 5 * count
    assert {m.session for m in upcoming} == {session, None}
