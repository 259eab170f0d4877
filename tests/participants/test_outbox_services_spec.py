"""Writing to the outbox: enqueue and cancel_pending, as their callers rely on them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from participants.models import Notification, NotificationStatus
from participants.outbox.services import cancel_pending, enqueue
from tests.factories import NotificationFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_notice_to_a_person_keeps_every_field_it_was_given():
    user = UserFactory()
    organization = OrganizationFactory()
    due = timezone.now() + timedelta(days=2)
    notice = enqueue(recipient_id=user.pk, kind="session_cancelled", dedupe_key="k:1",
                     organization_id=organization.pk, context={"session": 7}, due_at=due)
    stored = Notification.objects.get(pk=notice.pk)
    assert (stored.recipient_id, stored.recipient_email) == (user.pk, "")
    assert (stored.kind, stored.dedupe_key) == ("session_cancelled", "k:1")
    assert stored.organization_id == organization.pk
    assert stored.context == {"session": 7}
    assert stored.due_at == due
    assert stored.status == NotificationStatus.PENDING


def test_a_notice_to_an_address_alone_is_due_now_with_an_empty_context():
    before = timezone.now()
    notice = enqueue(recipient_email="guest@example.org", kind="invitation",
                     dedupe_key="k:2")
    stored = Notification.objects.get(pk=notice.pk)
    assert (stored.recipient_id, stored.recipient_email) == (None, "guest@example.org")
    assert stored.organization_id is None
    assert stored.context == {}
    assert before <= stored.due_at <= timezone.now()


@pytest.mark.parametrize("recipient", [
    {},  # neither
    {"recipient_id": 1, "recipient_email": "both@example.org"},  # both
])
def test_a_notice_needs_exactly_one_recipient(recipient):
    with pytest.raises(ValueError, match="^give either recipient_id or recipient_email$"):
        enqueue(kind="invitation", dedupe_key="k:3", **recipient)
    assert not Notification.objects.exists()


def test_a_second_notice_with_the_same_key_changes_nothing():
    user = UserFactory()
    first = enqueue(recipient_id=user.pk, kind="a", dedupe_key="same", context={"n": 1})
    second = enqueue(recipient_id=user.pk, kind="b", dedupe_key="same", context={"n": 2})
    assert second.pk == first.pk
    assert Notification.objects.get().context == {"n": 1}


def test_cancel_pending_cancels_only_pending_rows_with_the_reason():
    pending = NotificationFactory(status=NotificationStatus.PENDING)
    sent = NotificationFactory(status=NotificationStatus.SENT)
    earlier = timezone.now() - timedelta(days=1)
    Notification.objects.filter(pk=pending.pk).update(updated_at=earlier)

    count = cancel_pending(Notification.objects.all(), "session cancelled")

    assert count == 1
    pending.refresh_from_db()
    sent.refresh_from_db()
    assert pending.status == NotificationStatus.CANCELLED
    assert pending.last_error == "session cancelled"
    assert pending.updated_at > earlier
    assert sent.status == NotificationStatus.SENT
    assert sent.last_error == ""


def test_cancel_pending_leaves_rows_outside_the_given_set():
    kept, cancelled = NotificationFactory(), NotificationFactory()
    cancel_pending(Notification.objects.filter(pk=cancelled.pk), "gone")
    kept.refresh_from_db()
    assert kept.status == NotificationStatus.PENDING
