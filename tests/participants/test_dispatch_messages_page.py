"""The participant's Messages page: sent and scheduled messages, and the email switch."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

URL = "/me/messages/"


def test_messages_page_shows_scheduled_and_sent_messages(client, bob, charlie):
    NotificationFactory(recipient=bob, kind="session_reminder",
                        due_at=timezone.now() + timedelta(days=1))
    NotificationFactory(recipient=bob, kind="application_accepted", status="sent",
                        subject="You are accepted to Bridges", sent_at=timezone.now())
    NotificationFactory(recipient=bob, kind="program_followup", status="cancelled")
    NotificationFactory(recipient=charlie, status="sent", subject="Not for Bob")
    client.force_login(bob)
    page = client.get(URL).content.decode()
    assert "Session reminder" in page
    assert "You are accepted to Bridges" in page
    assert "Program follow-up" not in page
    assert "Not for Bob" not in page


def test_messages_page_needs_sign_in(client):
    response = client.get(URL)
    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={URL}")


def test_messages_page_turns_reminder_emails_off_and_on(client, bob):
    client.force_login(bob)
    response = client.post(URL, {})
    bob.refresh_from_db()
    assert (response.status_code, bob.notify_email) == (302, False)
    client.post(URL, {"notify_email": "on"})
    bob.refresh_from_db()
    assert bob.notify_email is True


@pytest.mark.parametrize("count", [1, 3])
def test_messages_page_query_count_is_constant(client, bob, count,
                                               django_assert_max_num_queries):
    NotificationFactory.create_batch(count, recipient=bob, status="sent", subject="Hello",
                                     sent_at=timezone.now())
    NotificationFactory.create_batch(count, recipient=bob,
                                     due_at=timezone.now() + timedelta(days=1))
    client.force_login(bob)
    with django_assert_max_num_queries(5):
        response = client.get(URL)
    assert response.content.decode().count("<tr><td") == 2 * count


@pytest.mark.parametrize("count", [1, 4])
def test_each_message_names_its_session_and_program_in_constant_queries(
        client, bob, count, django_assert_max_num_queries):
    from tests.factories import SessionFactory

    sessions = SessionFactory.create_batch(count, title="Storytelling circle",
                                           program__title="Football & Dialogue")
    for session in sessions:
        NotificationFactory(recipient=bob, kind="session_reminder",
                            context={"session": session.pk, "program": session.program_id},
                            due_at=timezone.now() + timedelta(days=1))
        NotificationFactory(recipient=bob, kind="program_followup", status="sent",
                            subject="How was it?", sent_at=timezone.now(),
                            context={"program": session.program_id})
    client.force_login(bob)
    with django_assert_max_num_queries(9):
        page = client.get(URL).content.decode()
    assert page.count("Storytelling circle · Football &amp; Dialogue") == count
    assert page.count('<td><bdi>Football &amp; Dialogue</bdi></td>') == count
