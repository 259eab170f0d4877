"""GET me/notifications/: the caller's own messages, latest due time first."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import client_for
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/notifications/"


def test_notifications_lists_own_messages_latest_due_first(bob, charlie):
    base = datetime(2031, 1, 1, 9, 0, tzinfo=UTC)
    early = NotificationFactory(recipient=bob, kind="session_reminder", due_at=base)
    late = NotificationFactory(recipient=bob, kind="application_accepted", status="sent",
                               due_at=base + timedelta(days=1), subject="You are accepted",
                               sent_at=base + timedelta(days=1, seconds=5))
    NotificationFactory(recipient=charlie)
    response = client_for(bob).get(URL)
    assert response.status_code == 200
    assert response.json() == {"count": 2, "next": None, "previous": None, "results": [
        {"id": late.pk, "kind": "application_accepted", "due_at": "2031-01-02T09:00:00Z",
         "status": "sent", "sent_at": "2031-01-02T09:00:05Z", "subject": "You are accepted"},
        {"id": early.pk, "kind": "session_reminder", "due_at": "2031-01-01T09:00:00Z",
         "status": "pending", "sent_at": None, "subject": ""},
    ]}


def test_notifications_need_a_signed_in_caller(anon):
    response = anon.get(URL)
    assert response.status_code == 401


def test_notifications_are_read_only(bob):
    assert client_for(bob).post(URL, {}).status_code == 405


@pytest.mark.parametrize("count", [1, 3])
def test_notifications_query_count_is_constant(bob, count, django_assert_max_num_queries):
    NotificationFactory.create_batch(count, recipient=bob)
    client = client_for(bob)
    with django_assert_max_num_queries(2):
        response = client.get(URL)
    assert response.json()["count"] == count
