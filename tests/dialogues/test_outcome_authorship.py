"""Who recorded an outcome under a non-open rule is stored nowhere: not on the outcome,
not in the activity log (see test_services), not in the admin or its log."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from dialogues.models import Outcome
from exchanges.models import ActivityLog
from tests.factories import OutcomeFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

def test_outcomes_cannot_be_added_in_the_admin(admin_client):
    session = SessionFactory(confidentiality="off_record")

    assert admin_client.get(reverse("admin:dialogues_outcome_add")).status_code == 403
    page = admin_client.get(reverse("admin:dialogues_session_change", args=[session.pk]))
    assert page.status_code == 200
    assert page.context["inline_admin_formsets"][1].formset.max_num == 0


def test_admin_cannot_attribute_an_outcome(admin_client):
    outcome = OutcomeFactory(session=SessionFactory(confidentiality="off_record"))
    someone = UserFactory()

    response = admin_client.post(
        reverse("admin:dialogues_outcome_change", args=[outcome.pk]),
        {"session": outcome.session_id, "kind": "action", "text": outcome.text,
         "author": someone.pk})

    assert response.status_code == 302
    outcome.refresh_from_db()
    assert (outcome.kind, outcome.author) == ("action", None)


def test_admin_log_of_a_deleted_outcome_keeps_no_text(admin_client):
    outcome = OutcomeFactory(session=SessionFactory(confidentiality="off_record"),
                             text="Meet at the checkpoint at six")

    admin_client.post(reverse("admin:dialogues_outcome_delete", args=[outcome.pk]),
                      {"post": "yes"})

    assert not Outcome.objects.exists()
    entry = LogEntry.objects.get()
    assert "checkpoint" not in entry.object_repr + entry.change_message


def test_migration_forgets_who_recorded_unattributed_outcomes():
    facilitator = UserFactory()
    open_outcome = OutcomeFactory(session=SessionFactory(confidentiality="open"),
                                  author=facilitator)
    hidden_outcome = OutcomeFactory(session=SessionFactory(confidentiality="off_record"))
    for outcome in (open_outcome, hidden_outcome):
        ActivityLog.objects.create(actor=facilitator, verb="outcome.recorded",
                                   data={"outcome": outcome.pk, "kind": "idea"})
    ActivityLog.objects.create(actor=facilitator, verb="outcome.recorded",
                               data={"outcome": hidden_outcome.pk + 100, "kind": "idea"})
    ActivityLog.objects.create(actor=facilitator, verb="session.created")
    migration = import_module("dialogues.migrations.0006_unattribute_outcome_log")

    migration.unattribute(apps, None)

    actors = dict(ActivityLog.objects.values_list("data__outcome", "actor"))
    assert actors == {open_outcome.pk: facilitator.pk, hidden_outcome.pk: None,
                      hidden_outcome.pk + 100: None, None: facilitator.pk}
