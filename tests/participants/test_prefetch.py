"""A batch loads what its messages are about once per kind (kinds.prefetch), not once per
message, and a prefetch that breaks leaves each handler to look things up itself."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.models import Notification
from participants.outbox import dispatch, kinds
from tests.factories import (
    ApplicationFactory,
    NotificationFactory,
    SessionFactory,
    accepted_participant,
)

pytestmark = pytest.mark.django_db


def application_notices(count):
    program = ApplicationFactory().program
    rows = []
    for _ in range(count):
        application = ApplicationFactory(program=program, side=program.sides.first())
        rows.append(NotificationFactory(
            recipient=application.applicant, kind="application_received",
            context={"application": application.pk, "program": program.pk}))
    return rows


def selects_from(table, queries):
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]]


def test_a_batch_loads_its_applications_in_one_query():
    application_notices(4)
    with CaptureQueriesContext(connection) as queries:
        assert dispatch.dispatch_outbox().sent == 4
    assert len(selects_from("exchanges_application", queries)) == 1
    assert len(mail.outbox) == 4


def test_a_batch_loads_its_sessions_in_one_query():
    session = SessionFactory()
    for _ in range(3):
        NotificationFactory(recipient=accepted_participant(session.program),
                            kind="session_cancelled", context={"session": session.pk})
    with CaptureQueriesContext(connection) as queries:
        assert dispatch.dispatch_outbox().sent == 3
    assert len(selects_from("dialogues_session", queries)) == 1


def test_a_prefetched_application_that_is_gone_cancels_the_notice():
    row, other = application_notices(2)
    row.recipient.applications.all().delete()
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("cancelled", "the application no longer exists")
    assert Notification.objects.get(pk=other.pk).status == "sent"


def test_a_prefetch_that_breaks_is_logged_and_each_message_still_goes(monkeypatch, caplog):
    def broken(rows):
        raise RuntimeError("boom")

    registered = kinds.kind("application_received")
    monkeypatch.setitem(kinds._KINDS, "application_received", kinds.MessageKind(
        name=registered.name, label=registered.label, build=registered.build,
        optional=registered.optional, prefetch=broken))
    application_notices(2)
    with caplog.at_level("ERROR", logger="participants.outbox.kinds"):
        assert dispatch.dispatch_outbox().sent == 2
    assert "prefetching 2 application_received messages failed" in caplog.text
