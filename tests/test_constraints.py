"""Every invariant a row can hold itself is refused by the database."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dialogues.models import RSVP, Outcome, ReminderRule, Session
from exchanges.models import Application, Membership, Program, Side
from participants.models import Notification, User
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    NotificationFactory,
    ProgramFactory,
    SessionFactory,
    SideFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_user_email_unique_whatever_the_case():
    UserFactory(email="eleni@example.org")
    refused(lambda: User.objects.create(email="ELENI@example.org", display_name="x"))


@pytest.mark.parametrize("email", ["Eleni@example.org", " eleni@example.org", "eleni@example.org "])
def test_user_email_stored_lower_case_and_stripped(email):
    refused(lambda: User.objects.create(email=email, display_name="x"))


def test_membership_unique_per_organization_and_user():
    membership = MembershipFactory()
    refused(lambda: Membership.objects.create(
        organization=membership.organization, user=membership.user, role="owner"))


def test_membership_role_must_be_known():
    membership = MembershipFactory.build()
    membership.organization.save()
    membership.user.save()
    membership.organization_id, membership.user_id = membership.organization.pk, membership.user.pk
    membership.role = "emperor"
    refused(membership.save)


def test_program_ends_on_or_after_it_starts():
    refused(lambda: ProgramFactory(starts_on=date(2027, 5, 2), ends_on=date(2027, 5, 1)))


def test_program_capacity_at_least_one():
    refused(lambda: ProgramFactory(capacity=0))


@pytest.mark.parametrize("field,value", [("kind", "picnic"), ("status", "open"),
                                         ("balance", "quota")])
def test_program_choices_checked_by_the_database(field, value):
    refused(lambda: ProgramFactory(**{field: value}))


def test_side_name_unique_in_program_ignoring_case():
    side = SideFactory(name="Greek Cypriot")
    refused(lambda: Side.objects.create(program=side.program, name="greek cypriot"))


def test_same_side_name_allowed_in_another_program():
    side = SideFactory(name="Greek Cypriot")
    other = SideFactory(name="Greek Cypriot")
    assert other.program_id != side.program_id


def test_one_application_per_program_and_person():
    application = ApplicationFactory()
    refused(lambda: Application.objects.create(
        program=application.program, side=application.side, applicant=application.applicant))


def test_application_status_must_be_known():
    refused(lambda: ApplicationFactory(status="maybe"))


def test_session_ends_after_it_starts():
    start = timezone.now() + timedelta(days=1)
    refused(lambda: SessionFactory(starts_at=start, ends_at=start))


def test_session_capacity_at_least_one_when_set():
    refused(lambda: SessionFactory(capacity=0))


def test_session_stores_only_scheduled_or_cancelled():
    refused(lambda: SessionFactory(status="completed"))


@pytest.mark.parametrize("field,value", [("format", "party"), ("confidentiality", "secret")])
def test_session_choices_checked_by_the_database(field, value):
    refused(lambda: SessionFactory(**{field: value}))


def test_one_rsvp_per_session_and_person():
    session = SessionFactory()
    person = UserFactory()
    RSVP.objects.create(session=session, participant=person, response="yes")
    refused(lambda: RSVP.objects.create(session=session, participant=person, response="no"))


def test_rsvp_response_must_be_yes_or_no():
    refused(lambda: RSVP.objects.create(
        session=SessionFactory(), participant=UserFactory(), response="meh"))


def test_outcome_kind_must_be_known():
    refused(lambda: Outcome.objects.create(session=SessionFactory(), kind="rumour", text="x"))


@pytest.mark.parametrize("kind,offset", [("session_reminder", 60), ("session_followup", -60),
                                         ("program_followup", 0)])
def test_reminder_offset_points_the_right_way(kind, offset):
    refused(lambda: ReminderRule.objects.create(
        program=ProgramFactory(), kind=kind, offset_minutes=offset))


def test_reminder_rule_unique_per_program():
    program = ProgramFactory()
    ReminderRule.objects.create(program=program, kind="session_reminder", offset_minutes=-60)
    refused(lambda: ReminderRule.objects.create(
        program=program, kind="session_reminder", offset_minutes=-60))


def test_outbox_dedupe_key_unique():
    NotificationFactory(dedupe_key="session_reminder:1:2:-1440")
    refused(lambda: NotificationFactory(dedupe_key="session_reminder:1:2:-1440"))


def test_outbox_status_must_be_known():
    refused(lambda: NotificationFactory(status="lost"))


def test_valid_rows_are_accepted():
    program = ProgramFactory(capacity=1)
    assert Program.objects.filter(pk=program.pk).exists()
    assert Session.objects.filter(pk=SessionFactory(capacity=None).pk).exists()
    assert Notification.objects.filter(pk=NotificationFactory().pk).exists()
