"""The admin's outbox list: what needs attention first, times in the viewer's zone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_failed_then_sending_then_pending_soonest_first_and_the_zone_is_named(client):
    admin = UserFactory(is_staff=True, is_superuser=True, timezone="Asia/Nicosia")
    now = timezone.now()
    NotificationFactory(dedupe_key="sent-old", status="sent", due_at=now - timedelta(days=9))
    NotificationFactory(dedupe_key="pending-late", due_at=now + timedelta(days=30))
    NotificationFactory(dedupe_key="pending-soon", due_at=now + timedelta(hours=1))
    NotificationFactory(dedupe_key="failed", status="failed", due_at=now - timedelta(days=1))
    NotificationFactory(dedupe_key="sending", status="sending", due_at=now)
    client.force_login(admin)
    response = client.get("/admin/participants/notification/")
    keys = [row.dedupe_key for row in response.context["cl"].result_list]
    assert keys == ["failed", "sending", "pending-soon", "pending-late", "sent-old"]
    assert "Times are in your time zone, Asia/Nicosia." in response.content.decode()
