"""Incidents, rule by rule: each refusal's field and message, what a report and an update
store, who is told and who sees what (exchanges.incidents.services and .selectors)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from exchanges.incidents import selectors, services
from exchanges.models import Incident
from participants.models import Notification, User
from tests import incident_world
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return incident_world.build()


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def denial(call) -> str:
    with pytest.raises(PermissionDenied) as error:
        call()
    return str(error.value)


def update(w, incident, status, actor="custodian", **fields):
    return services.incident_update(incident=incident, actor=w.people[actor], status=status,
                                    **fields)


# --- Reporting ------------------------------------------------------------------------------


def test_a_report_from_outside_is_refused_with_its_message(w):
    assert denial(lambda: incident_world.report(w, "outsider")) == (
        "Only the organization's members and the program's accepted participants can report "
        "an incident here.")


def test_an_anonymous_visitor_cannot_report(w):
    with pytest.raises(PermissionDenied):
        services.incident_report(program=w.program, reporter=AnonymousUser(),
                                 kind="threat", description="x")
    assert not selectors.can_report(AnonymousUser(), w.program)


def test_a_report_stores_what_was_said_trimmed_and_its_reporter(w):
    incident = incident_world.report(w, "accepted", kind="threat",
                                     description="  Threats after the circle.\n")

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.program, stored.reporter, stored.kind, stored.description, stored.anonymous,
            stored.about, stored.status, stored.closed_at) == (
        w.program, w.people["accepted"], "threat", "Threats after the circle.", False, None,
        "open", None)


def test_asking_not_to_be_named_is_stored_as_a_yes_or_no(w):
    assert Incident.objects.get(pk=incident_world.report(w, anonymous=1).pk).anonymous is True
    assert Incident.objects.get(pk=incident_world.report(w, anonymous=None).pk).anonymous is (
        False)


def test_a_report_without_a_description_is_refused_on_description(w):
    assert list(refusal(lambda: incident_world.report(w, description=None))) == ["description"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("about", ["outsider", "true", "text"])
def test_about_someone_outside_the_program_is_refused_with_its_message(w, about):
    value = {"true": True, "text": str(w.people["accepted2"].pk)}.get(about) or (
        w.people[about].pk)
    assert refusal(lambda: incident_world.report(w, about=value)) == {"about": [
        "Choose someone who takes part in this program or belongs to its organization."]}
    assert not Incident.objects.exists()


def test_about_someone_in_the_program_is_stored(w):
    incident = incident_world.report(w, about=w.people["applicant"].pk)
    assert Incident.objects.get(pk=incident.pk).about == w.people["applicant"]


def test_each_custodian_is_told_once_with_the_incident_and_program_only(w):
    second = UserFactory()
    MembershipFactory(organization=w.org, user=second, role="custodian")

    incident = incident_world.report(w, "accepted")

    rows = Notification.objects.filter(kind="incident_reported").order_by("recipient_id")
    assert [(n.recipient_id, n.organization_id, n.context, n.dedupe_key) for n in rows] == [
        (user.pk, w.org.pk, {"incident": incident.pk, "program": w.program.pk},
         f"incident_reported:{incident.pk}:{user.pk}")
        for user in sorted([w.people["custodian"], second], key=lambda u: u.pk)]


def test_a_custodian_who_reports_is_not_told_but_the_other_custodians_are(w):
    second = UserFactory()
    MembershipFactory(organization=w.org, user=second, role="custodian")

    incident_world.report(w, "custodian")

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [second.pk]


def test_who_is_told_custodians_else_owners_else_no_one(w):
    assert selectors.notice_recipients(w.org.pk) == [w.people["custodian"].pk]
    second_owner = UserFactory()
    MembershipFactory(organization=w.org, user=second_owner, role="owner")
    w.org.memberships.filter(role="custodian").delete()
    assert selectors.notice_recipients(w.org.pk) == sorted(
        [w.people["owner"].pk, second_owner.pk])
    w.org.memberships.filter(role="owner").delete()
    assert selectors.notice_recipients(w.org.pk) == []


def test_a_report_does_not_read_again_what_it_checked(w, django_assert_num_queries):
    """Its program, reporter and the person it names were checked before; the stored
    constraints are the database's: validation queries none of them again."""
    with django_assert_num_queries(11):  # 3 checks, the incident, 1 notice, savepoints
        incident_world.report(w, about=w.people["accepted2"].pk)


# --- Working an incident --------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["coordinator", "accepted"])
def test_only_custodians_and_owners_work_incidents_and_are_told_so(w, actor):
    incident = incident_world.report(w)
    assert denial(lambda: update(w, incident, "reviewing", actor=actor)) == (
        "Only the organization's custodians and owners work incidents.")
    assert Incident.objects.get(pk=incident.pk).status == "open"


def test_an_unknown_status_is_refused_with_its_message(w):
    incident = incident_world.report(w)
    assert refusal(lambda: update(w, incident, "done")) == {
        "status": ["Choose open, reviewing or closed."]}


def test_closing_without_a_resolution_is_refused_with_its_message(w):
    incident = incident_world.report(w)
    assert refusal(lambda: update(w, incident, "closed")) == {
        "resolution": ["Say how the incident was resolved before closing it."]}
    assert Incident.objects.get(pk=incident.pk).status == "open"


def test_an_update_stores_the_status_and_the_trimmed_resolution(w):
    incident = incident_world.report(w)

    update(w, incident, "reviewing", resolution="  Talking to both.  ")

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.resolution, stored.closed_at) == (
        "reviewing", "Talking to both.", None)


def test_a_resolution_given_before_is_enough_to_close_and_is_kept(w):
    incident = incident_world.report(w)
    update(w, incident, "reviewing", resolution="Warned him.")

    closed = update(w, incident, "closed")

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.resolution) == ("closed", "Warned him.")
    assert stored.closed_at is not None and stored.closed_at == closed.closed_at


def test_closing_again_keeps_the_time_it_was_first_closed(w):
    incident = incident_world.report(w)
    first = update(w, incident, "closed", resolution="Warned.").closed_at

    update(w, incident, "closed", resolution="Warned twice.")

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.closed_at, stored.resolution) == (first, "Warned twice.")


def test_an_update_reads_the_stored_incident_not_the_callers_copy(w):
    incident = incident_world.report(w)
    update(w, incident, "closed", resolution="Warned.")
    incident.refresh_from_db()
    stale = Incident.objects.get(pk=incident.pk)
    stale.resolution = ""  # in memory only

    reopened = update(w, stale, "open")

    assert (reopened.status, reopened.resolution, reopened.closed_at) == ("open", "Warned.",
                                                                          None)


def test_a_resolution_over_the_limit_is_refused_on_resolution(w):
    incident = incident_world.report(w)
    assert list(refusal(lambda: update(w, incident, "reviewing",
                                       resolution="r" * 5001))) == ["resolution"]


def test_an_update_does_not_read_the_incident_s_people_or_program_again(
        w, django_assert_num_queries):
    incident = incident_world.report(w, about=w.people["accepted2"].pk)
    with django_assert_num_queries(5):  # the role, the locked read, the update, savepoints
        update(w, incident, "closed", resolution="Warned.")


# --- Who sees what --------------------------------------------------------------------------


def test_anonymous_visitors_see_no_incident(w):
    incident_world.report(w)
    assert list(selectors.incidents_visible_to(AnonymousUser())) == []


def test_incidents_come_newest_first_and_filtered_by_status(w):
    first = incident_world.report(w, "accepted")
    second = incident_world.report(w, "accepted")
    update(w, first, "reviewing")
    owner = w.people["owner"]

    assert list(selectors.program_incidents(owner, w.program)) == [second, first]
    assert list(selectors.program_incidents(owner, w.program, status="reviewing")) == [first]
    assert list(selectors.program_incidents(w.people["accepted2"], w.program)) == []


def test_the_reporter_and_owners_of_a_named_report_see_who_reported_it(w):
    named = incident_world.report(w, "accepted")
    anonymous = incident_world.report(w, "accepted", anonymous=True)

    assert selectors.shows_reporter(named, w.people["owner"], "owner") is True
    assert selectors.shows_reporter(anonymous, w.people["accepted"], None) is True
    assert selectors.shows_reporter(named, w.people["coordinator"], "coordinator") is False
    assert selectors.shows_reporter(anonymous, w.people["owner"], "owner") is False


def test_people_in_the_program_are_its_applicants_and_the_organizations_members(w):
    people = set(selectors.people_in_program(w.program).values_list("email", flat=True))
    assert people == {f"{name}@example.org" for name in (
        "applicant", "accepted", "accepted2", "facilitator", "coordinator", "owner",
        "custodian")}


def test_a_participant_is_offered_visible_accepted_participants_and_members_by_name(w):
    User.objects.filter(pk=w.people["accepted2"].pk).update(display_name="Aaron")
    hidden = UserFactory(display_name="Hidden", hidden_from_participants=True)
    ApplicationFactory(program=w.program, side=w.program.sides.first(), applicant=hidden,
                       status="accepted")

    offered = selectors.about_choices(w.program, w.people["accepted"])

    assert offered == [(w.people["accepted2"].pk, "Aaron"),
                       (w.people["coordinator"].pk, "Coordinator"),
                       (w.people["custodian"].pk, "Custodian"),
                       (w.people["facilitator"].pk, "Facilitator"),
                       (w.people["owner"].pk, "Owner")]


def test_staff_are_offered_everyone_in_the_program_but_themselves(w):
    hidden = UserFactory(display_name="Hidden", hidden_from_participants=True)
    ApplicationFactory(program=w.program, side=w.program.sides.first(), applicant=hidden,
                       status="accepted")

    offered = [name for _pk, name in selectors.about_choices(w.program, w.people["custodian"])]

    assert offered == ["Accepted", "Accepted2", "Applicant", "Coordinator", "Facilitator",
                       "Hidden", "Owner"]


def test_people_of_one_name_are_offered_in_the_order_they_joined(w):
    User.objects.filter(pk__in=[w.people["owner"].pk, w.people["coordinator"].pk]).update(
        display_name="Same")
    offered = selectors.about_choices(w.program, w.people["custodian"])
    same = [pk for pk, name in offered if name == "Same"]
    assert same == sorted([w.people["owner"].pk, w.people["coordinator"].pk])


def test_incidents_come_by_report_time_then_the_later_record_first(w):
    early, late, same_time = (incident_world.report(w) for _ in range(3))
    Incident.objects.filter(pk=early.pk).update(created_at=late.created_at + timedelta(hours=1))
    Incident.objects.filter(pk=same_time.pk).update(created_at=late.created_at)

    assert list(selectors.incidents_visible_to(w.people["custodian"])) == [
        early, same_time, late]


def test_applying_to_another_program_of_the_organization_puts_no_one_in_this_one(w):
    other = program_with_sides(organization=w.org)
    elsewhere = UserFactory(email="elsewhere@example.org")
    ApplicationFactory(program=other, side=other.sides.first(), applicant=elsewhere,
                       status="accepted")

    assert not selectors.people_in_program(w.program).filter(pk=elsewhere.pk).exists()
    assert refusal(lambda: incident_world.report(w, about=elsewhere.pk)) == {"about": [
        "Choose someone who takes part in this program or belongs to its organization."]}


def test_a_participant_is_not_offered_a_pending_applicant_accepted_or_staff_elsewhere(w):
    """Accepted to another program, or a member of another organization, does not make
    someone still pending here visible to participants."""
    pending = w.people["applicant"]
    other = program_with_sides(organization=w.other_org)
    ApplicationFactory(program=other, side=other.sides.first(), applicant=pending,
                       status="accepted")
    MembershipFactory(organization=w.other_org, user=pending, role="coordinator")

    offered = [pk for pk, _name in selectors.about_choices(w.program, w.people["accepted"])]

    assert pending.pk not in offered
    assert w.people["accepted2"].pk in offered
