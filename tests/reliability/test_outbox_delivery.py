"""Every message once, on time, surviving crashes: real workers, Redis, PostgreSQL, SMTP."""

from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from exchanges.models import Application
from participants.models import Notification, User
from participants.outbox.kinds import message_id
from tests.factories import OrganizationFactory, program_with_sides
from tests.reliability.conftest import broker_url, wait_until

pytestmark = [
    pytest.mark.reliability, pytest.mark.postgres, pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def due_notices(count: int) -> set[str]:
    """`count` application notices due now; returns the Message-IDs they must arrive with."""
    program = program_with_sides(organization=OrganizationFactory(), capacity=count * 2)
    side = program.sides.first()
    users = User.objects.bulk_create(
        User(email=f"r{n}@example.org", display_name=f"R {n}", password="!")  # noqa: S106
        for n in range(count))
    applications = Application.objects.bulk_create(
        Application(program=program, side=side, applicant=user) for user in users)
    due = timezone.now() - timedelta(seconds=1)
    rows = Notification.objects.bulk_create(
        Notification(recipient_id=a.applicant_id, kind="application_received",
                     dedupe_key=f"application_received:{a.pk}", due_at=due,
                     organization_id=program.organization_id,
                     context={"application": a.pk, "program": program.pk})
        for a in applications)
    return {message_id(row.dedupe_key) for row in rows}


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Notification.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_500_due_messages_each_arrive_exactly_once_with_their_message_id(stack, sink):
    expected = due_notices(500)
    stack.worker()
    stack.beat()
    assert sink.wait_for(500, 120), stack.logs()
    assert wait_until(lambda: statuses() == {"sent": 500}, 20), statuses()
    assert sink.duplicates() == {}
    assert set(sink.message_ids()) == expected
    assert set(Notification.objects.values_list("subject", flat=True)) == {
        f"We received your application to {Application.objects.first().program.title}"}


def test_two_workers_over_2000_messages_send_none_twice_and_miss_none(stack, sink):
    expected = due_notices(2000)
    stack.worker()
    stack.worker()
    stack.beat()
    assert sink.wait_for(2000, 180), stack.logs()
    assert wait_until(lambda: statuses() == {"sent": 2000}, 20), statuses()
    assert sink.duplicates() == {}
    assert set(sink.message_ids()) == expected
    for log in ("worker-1.log", "worker-2.log"):  # both took part
        assert "outbox: DispatchResult(" in (stack.tmp_path / log).read_text()


def test_kill_9_mid_batch_loses_nothing_and_duplicates_only_what_smtp_had_accepted(stack, sink):
    expected = due_notices(600)
    lease = {"OUTBOX_LEASE_SECONDS": "4", "OUTBOX_BATCH_SIZE": "25"}
    first = stack.worker(**lease)
    stack.beat(**lease)
    # Killed while a batch is out: between two batches no row is claimed, and with fast
    # batches that gap is no longer too short to land in.
    assert wait_until(lambda: len(sink.message_ids()) >= 100 and Notification.objects.filter(
        status="sending").exists(), 90), stack.logs()
    stack.kill(first)
    received_before_kill = set(sink.message_ids())
    assert Notification.objects.filter(status="sending").exists()  # killed mid-batch
    assert len(received_before_kill) < 600
    stack.worker(**lease)
    assert sink.wait_for(600, 120), stack.logs()
    assert wait_until(lambda: statuses() == {"sent": 600}, 30), statuses()
    assert set(sink.message_ids()) == expected
    duplicates = set(sink.duplicates())
    # The one window: a message the server accepted just before the kill, not yet
    # recorded as sent. Its Message-ID is the same both times.
    assert duplicates <= received_before_kill
    assert len(duplicates) <= 1


def test_flushing_the_broker_mid_run_loses_nothing(stack, sink):
    expected = due_notices(800)
    stack.worker(OUTBOX_BATCH_SIZE="20")
    stack.beat()
    assert wait_until(lambda: len(sink.message_ids()) >= 100, 90), stack.logs()
    redis.Redis.from_url(broker_url()).flushdb()  # every queued task and binding gone
    assert sink.wait_for(800, 120), stack.logs()
    assert wait_until(lambda: statuses() == {"sent": 800}, 30), statuses()
    assert sink.duplicates() == {}
    assert set(sink.message_ids()) == expected


def test_smtp_down_retries_until_back_and_a_permanent_refusal_fails(stack, sink, admin_client):
    expected = due_notices(40)
    refused = User.objects.get(email="r7@example.org")
    refused_row = Notification.objects.get(recipient=refused)
    sink.refuse.add(refused.email)
    sink.stop()
    stack.worker()
    stack.beat()
    # Each tick with the server away spends one attempt; the 40 rows take theirs in turn,
    # so a second attempt comes after ~40 ticks plus the worker's start (slow when loaded).
    assert wait_until(
        lambda: Notification.objects.filter(status="pending", attempts__gte=2).exists(), 180
    ), stack.logs()
    assert sink.message_ids() == []
    sink.start()
    assert sink.wait_for(39, 90), stack.logs()
    assert wait_until(lambda: statuses() == {"sent": 39, "failed": 1}, 30), statuses()
    assert sink.duplicates() == {}
    assert set(sink.message_ids()) == expected - {message_id(refused_row.dedupe_key)}
    refused_row.refresh_from_db()
    assert refused_row.status == "failed"
    assert "550" in refused_row.last_error
    assert Notification.objects.filter(status="sent", attempts__gte=2).exists()
    page = admin_client.get(reverse("admin:participants_notification_changelist"),
                            {"status__exact": "failed"}).content.decode()
    assert "No such mailbox here" in page
