"""A facilitator removed from the organization loses every power over its sessions at once
(security finding 3; API.md: "a removed member loses every power at once, sessions they
facilitated included").

Two ways out are tested: the owner removes them (the service also drops their session
assignments, in the same transaction), and a membership that ends while an assignment
is left behind (the rule itself requires a current membership, whatever the data say).
"""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.errors import Conflict
from dialogues.models import Session
from dialogues.selectors import program_access, sessions_of_person
from exchanges import services
from exchanges.models import ActivityLog, Membership
from participants import privacy
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    OutcomeFactory,
    RSVPFactory,
    SessionFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

SECRET_OUTCOME = "Meet the mayors in secret"


@pytest.fixture
def sessions(program, facilitator, participant):
    """An off-the-record and an open session of `program`, both facilitated by
    `facilitator`, each with the participant's yes and an outcome."""
    made = {}
    for rule in ("off_record", "open"):
        session = SessionFactory(program=program, confidentiality=rule, title=f"{rule} circle")
        session.facilitators.add(facilitator)
        RSVPFactory(session=session, participant=participant, response="yes",
                    ground_rules_accepted_at=session.created_at)
        OutcomeFactory(session=session, text=f"{SECRET_OUTCOME} ({rule})")
        made[rule] = session
    return made


def remove_through_the_service(org, alice, facilitator):
    services.membership_remove(membership=Membership.objects.get(organization=org,
                                                                 user=facilitator),
                               actor=alice)


def membership_gone_assignment_left(org, alice, facilitator):
    Membership.objects.filter(organization=org, user=facilitator).delete()


WAYS_OUT = [remove_through_the_service, membership_gone_assignment_left]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_powers(client, sessions, participant) -> dict[str, int]:
    off, open_ = sessions["off_record"].pk, sessions["open"].pk
    return {
        "attendee list": client.get(f"/api/v1/sessions/{off}/attendees/").status_code,
        "off-the-record outcomes": client.get(f"/api/v1/sessions/{off}/outcomes/").status_code,
        "record an outcome": client.post(f"/api/v1/sessions/{open_}/outcomes/",
                                         {"kind": "idea", "text": "More tea"}).status_code,
        "change ground rules": client.patch(f"/api/v1/sessions/{open_}/",
                                            {"ground_rules": "Anything goes"}).status_code,
        "attendance": client.post(f"/api/v1/sessions/{open_}/attendance/",
                                  [{"participant": participant.pk, "attended": True}],
                                  format="json").status_code,
    }


def page_powers(client, sessions, participant) -> dict[str, object]:
    off, open_ = sessions["off_record"].pk, sessions["open"].pk
    detail = client.get(f"/sessions/{off}/").content.decode()
    return {
        "attendee list on the page": "Petros" in detail,
        "off-the-record outcomes on the page": SECRET_OUTCOME in detail,
        "attendee export": client.get(f"/sessions/{open_}/attendees.csv").status_code,
        "record an outcome": client.post(f"/sessions/{open_}/outcomes/",
                                         {"kind": "idea", "text": "More tea"}).status_code,
        "attendance": client.post(f"/sessions/{open_}/attendance/",
                                  {"participant": participant.pk,
                                   "attended": "yes"}).status_code,
    }


def test_a_facilitator_has_these_powers_while_a_member(sessions, facilitator, participant):
    assert api_powers(api(facilitator), sessions, participant) == {
        "attendee list": 200, "off-the-record outcomes": 200, "record an outcome": 201,
        "change ground rules": 200, "attendance": 200}
    client = Client()
    client.force_login(facilitator)
    assert page_powers(client, sessions, participant) == {
        "attendee list on the page": True, "off-the-record outcomes on the page": True,
        "attendee export": 200, "record an outcome": 302, "attendance": 302}


@pytest.mark.parametrize("way_out", WAYS_OUT)
def test_a_removed_facilitator_loses_every_api_power(org, alice, sessions, facilitator,
                                                     participant, way_out):
    way_out(org, alice, facilitator)

    assert api_powers(api(facilitator), sessions, participant) == {
        "attendee list": 403, "off-the-record outcomes": 403, "record an outcome": 403,
        "change ground rules": 403, "attendance": 403}
    assert Session.objects.get(pk=sessions["open"].pk).ground_rules != "Anything goes"
    assert not ActivityLog.objects.filter(actor=facilitator).exists()


@pytest.mark.parametrize("way_out", WAYS_OUT)
def test_a_removed_facilitator_loses_every_page_power(org, alice, sessions, facilitator,
                                                      participant, way_out):
    way_out(org, alice, facilitator)
    client = Client()
    client.force_login(facilitator)

    assert page_powers(client, sessions, participant) == {
        "attendee list on the page": False, "off-the-record outcomes on the page": False,
        "attendee export": 403, "record an outcome": 403, "attendance": 403}
    assert not ActivityLog.objects.filter(actor=facilitator).exclude(
        verb="auth.signed_in").exists()


@pytest.mark.parametrize("way_out", WAYS_OUT)
def test_the_rule_itself_needs_a_current_membership(org, alice, sessions, facilitator,
                                                    way_out):
    session = sessions["open"]
    way_out(org, alice, facilitator)

    access = program_access(facilitator, session.program)
    assert (access.is_facilitator(session), access.can_run(session)) == (False, False)
    assert list(sessions_of_person(facilitator)) == []


def test_removal_drops_the_assignments_of_that_organization_only(org, alice, sessions,
                                                                 facilitator):
    elsewhere = OrganizationFactory(name="Elsewhere")
    MembershipFactory(organization=elsewhere, user=facilitator, role="facilitator")
    theirs = SessionFactory(program=program_with_sides(organization=elsewhere))
    theirs.facilitators.add(facilitator)

    remove_through_the_service(org, alice, facilitator)

    assert list(facilitator.facilitated_sessions.all()) == [theirs]
    entry = ActivityLog.objects.get(verb="session.facilitator_removed")
    assert (entry.actor, entry.organization, entry.data) == (
        alice, org, {"user": facilitator.pk,
                     "sessions": sorted(s.pk for s in sessions.values())})


def test_a_refused_removal_keeps_the_assignments(org, alice, sessions):
    """The drop happens inside the removal's transaction: a sole owner who facilitates
    stays, and so do their sessions."""
    sessions["open"].facilitators.add(alice)

    with pytest.raises(Conflict):
        services.membership_remove(
            membership=Membership.objects.get(organization=org, user=alice), actor=alice)

    assert alice in sessions["open"].facilitators.all()


def test_erasing_ones_account_leaves_the_sessions_too(sessions, facilitator):
    privacy.erase_account(user=facilitator, password=PASSWORD)

    assert not Session.facilitators.through.objects.filter(user=facilitator).exists()
