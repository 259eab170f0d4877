"""Incidents: who may report, who is told, how an incident is worked (API.md "Safety")."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from exchanges.incidents import selectors, services
from exchanges.models import ActivityLog, Incident
from participants.models import Notification
from participants.outbox import dispatch
from participants.privacy import export_personal_data
from tests import incident_world
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT = "He sent my home address to a group chat"


@pytest.fixture
def w():
    return incident_world.build()


@pytest.mark.parametrize("reporter", ["accepted", "facilitator", "coordinator", "owner",
                                      "custodian"])
def test_members_and_accepted_participants_report(w, reporter):
    incident = incident_world.report(w, reporter, kind="doxxing", description=TEXT)

    assert (incident.status, incident.kind, incident.reporter, incident.program) == (
        "open", "doxxing", w.people[reporter], w.program)


@pytest.mark.parametrize("reporter", ["outsider", "applicant", "other_staff"])
def test_others_cannot_report(w, reporter):
    with pytest.raises(PermissionDenied):
        incident_world.report(w, reporter)

    assert Incident.objects.count() == 0
    assert Notification.objects.count() == 0


def test_custodians_are_told_at_once_not_owners(w):
    second = UserFactory()
    MembershipFactory(organization=w.org, user=second, role="custodian")

    incident = incident_world.report(w, description=TEXT)

    rows = Notification.objects.filter(kind="incident_reported").order_by("recipient_id")
    assert [(n.recipient, n.dedupe_key, n.context, n.status) for n in rows] == [
        (w.people["custodian"], f"incident_reported:{incident.pk}:{w.people['custodian'].pk}",
         {"incident": incident.pk, "program": w.program.pk}, "pending"),
        (second, f"incident_reported:{incident.pk}:{second.pk}",
         {"incident": incident.pk, "program": w.program.pk}, "pending")]


def test_owners_are_told_when_there_is_no_custodian():
    w = incident_world.build(custodian=False)

    incident_world.report(w)

    assert [n.recipient for n in Notification.objects.filter(kind="incident_reported")] == [
        w.people["owner"]]


def test_the_reporter_is_not_told_of_their_own_report(w):
    incident_world.report(w, "custodian")

    assert Notification.objects.filter(kind="incident_reported").count() == 0


def test_a_refused_report_leaves_no_notice(w):
    with pytest.raises(ValidationError) as error:
        incident_world.report(w, kind="gossip")

    assert list(error.value.message_dict) == ["kind"]
    assert (Incident.objects.count(), Notification.objects.count()) == (0, 0)


def test_the_notice_is_written_in_the_reports_transaction(w):
    with pytest.raises(IntegrityError), transaction.atomic():
        incident_world.report(w)
        raise IntegrityError("the surrounding change fails")

    assert (Incident.objects.count(), Notification.objects.count()) == (0, 0)


def test_the_email_names_the_kind_and_program_and_links_but_tells_nothing_else(w):
    incident = incident_world.report(w, description=TEXT, about=w.people["accepted2"].pk)

    dispatch.dispatch_outbox()

    [email] = mail.outbox
    text = "\n".join([email.subject, email.body, *(c for c, _m in email.alternatives)])
    assert email.to == ["custodian@example.org"]
    assert email.subject == "An incident was reported in Nicosia circle"
    assert "An incident (harassment) was reported in Nicosia circle" in email.body
    assert f"/incidents/{incident.pk}/" in email.body
    assert [s for s in (TEXT, "Accepted", "Accepted2", "accepted@example.org") if s in text] == []


def test_a_notice_to_someone_who_no_longer_works_incidents_is_not_sent(w):
    incident_world.report(w)
    w.org.memberships.filter(user=w.people["custodian"]).update(role="coordinator")

    dispatch.dispatch_outbox()

    assert mail.outbox == []
    assert Notification.objects.get(kind="incident_reported").status == "cancelled"


@pytest.mark.parametrize("about", ["applicant", "accepted2", "facilitator", "owner"])
def test_an_incident_may_be_about_anyone_in_the_program(w, about):
    incident = incident_world.report(w, about=w.people[about].pk)

    assert incident.about == w.people[about]


@pytest.mark.parametrize("about", ["outsider", "other_staff", "missing", "not_an_id"])
def test_an_incident_about_someone_outside_the_program_is_refused(w, about):
    value = {"missing": 10**9, "not_an_id": "3"}.get(about) or w.people.get(about).pk

    with pytest.raises(ValidationError) as error:
        incident_world.report(w, about=value)

    assert list(error.value.message_dict) == ["about"]


def test_a_description_is_required_and_limited(w):
    for text, field in (("   ", "description"), ("x" * 5001, "description")):
        with pytest.raises(ValidationError) as error:
            incident_world.report(w, description=text)
        assert list(error.value.message_dict) == [field]


# --- Working an incident ----------------------------------------------------------------------


@pytest.mark.parametrize("worker", ["custodian", "owner"])
def test_custodians_and_owners_move_an_incident_to_closed_with_a_resolution(w, worker):
    incident = incident_world.report(w)
    actor = w.people[worker]

    reviewing = services.incident_update(incident=incident, actor=actor, status="reviewing")
    closed = services.incident_update(incident=incident, actor=actor, status="closed",
                                      resolution="  Spoke with both; moved to other groups. ")

    assert (reviewing.status, reviewing.closed_at) == ("reviewing", None)
    assert (closed.status, closed.resolution) == (
        "closed", "Spoke with both; moved to other groups.")
    assert closed.closed_at is not None


def test_closing_needs_a_resolution(w):
    incident = incident_world.report(w)

    with pytest.raises(ValidationError) as error:
        services.incident_update(incident=incident, actor=w.people["custodian"],
                                 status="closed", resolution=" ")

    assert list(error.value.message_dict) == ["resolution"]
    incident.refresh_from_db()
    assert incident.status == "open"


def test_a_closed_incident_can_be_reopened_and_keeps_its_resolution(w):
    incident = incident_world.report(w)
    custodian = w.people["custodian"]
    services.incident_update(incident=incident, actor=custodian, status="closed",
                             resolution="Warned.")

    reopened = services.incident_update(incident=incident, actor=custodian, status="open")

    assert (reopened.status, reopened.closed_at, reopened.resolution) == ("open", None,
                                                                         "Warned.")


@pytest.mark.parametrize("actor", ["accepted", "coordinator", "facilitator", "other_staff"])
def test_no_one_else_works_an_incident(w, actor):
    incident = incident_world.report(w)

    with pytest.raises(PermissionDenied):
        services.incident_update(incident=incident, actor=w.people[actor], status="reviewing")


def test_an_unknown_status_is_refused(w):
    incident = incident_world.report(w)

    with pytest.raises(ValidationError) as error:
        services.incident_update(incident=incident, actor=w.people["owner"], status="done")

    assert list(error.value.message_dict) == ["status"]


def test_the_database_refuses_an_invalid_kind_status_or_a_closed_incident_without_resolution(w):
    incident = incident_world.report(w)
    for change in ({"kind": "gossip"}, {"status": "done"}, {"status": "closed"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Incident.objects.filter(pk=incident.pk).update(**change)


def test_nothing_about_incidents_reaches_the_activity_log(w):
    incident = incident_world.report(w, description=TEXT, anonymous=True)
    services.incident_update(incident=incident, actor=w.people["owner"], status="closed",
                             resolution="Handled.")

    assert ActivityLog.objects.count() == 0


# --- Who sees what ------------------------------------------------------------------------


def test_visibility_custodians_and_owners_all_others_their_own(w):
    mine = incident_world.report(w, "accepted")
    theirs = incident_world.report(w, "facilitator")

    def seen(name):
        return set(selectors.incidents_visible_to(w.people[name]))

    assert seen("custodian") == seen("owner") == {mine, theirs}
    assert seen("accepted") == {mine}
    assert seen("facilitator") == {theirs}
    for name in ("coordinator", "accepted2", "applicant", "outsider", "other_staff"):
        assert seen(name) == set(), name


def test_an_anonymous_reporter_is_shown_to_custodians_not_owners(w):
    incident = incident_world.report(w, anonymous=True)

    shown = {name: selectors.shows_reporter(incident, w.people[name], role)
             for name, role in (("custodian", "custodian"), ("owner", "owner"),
                                ("accepted", None))}

    assert shown == {"custodian": True, "owner": False, "accepted": True}


def test_the_export_has_the_reports_one_made_not_those_about_one(w):
    incident_world.report(w, "accepted", description=TEXT, about=w.people["accepted2"].pk)

    mine = export_personal_data(user=w.people["accepted"])["incidents_reported"]
    about_me = export_personal_data(user=w.people["accepted2"])

    assert [(i["kind"], i["description"]) for i in mine] == [("harassment", TEXT)]
    assert about_me["incidents_reported"] == []
    assert TEXT not in str(about_me)
