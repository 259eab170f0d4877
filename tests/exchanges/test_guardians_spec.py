"""The guardian consent services' rules at their own level: who needs a guardian, the
address kept, what a request stores and sends, each refusal's code and message, the
answer's row, log and notices, and what erasing clears."""

import datetime
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import Conflict
from exchanges.models import ActivityLog, Application, hash_link_token
from exchanges.services import guardians
from participants.models import Notification
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db

STARTS = datetime.date(2031, 6, 1)
DECIDE_QUERIES = 7  # a consent given, savepoints included


@pytest.fixture
def program(org):
    return program_with_sides("North", "South", organization=org, starts_on=STARTS,
                              ends_on=STARTS + timedelta(days=14), guardian_consent_under=16)


@pytest.fixture
def minor():
    return UserFactory(email="mina@example.org", birth_date=datetime.date(2016, 6, 2))


def pending(program, applicant, email="parent@example.net") -> Application:
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=applicant)
    guardians.request_consent(application, email)
    return application


def decide(application, decision="given", name="Grace Guardian"):
    return guardians.guardian_consent_decide(token=application.guardian_token,
                                             decision=decision, guardian_name=name)


@pytest.mark.parametrize(("birth", "age"), [
    (datetime.date(2000, 6, 1), 16),  # the birthday itself
    (datetime.date(2000, 6, 2), 15),  # the day after, same month
    (datetime.date(2000, 5, 31), 16),  # the day before, month before
    (datetime.date(2000, 7, 1), 15),  # a later month, earlier day
    (datetime.date(2000, 5, 2), 16),  # an earlier month, later day
])
def test_the_age_is_counted_in_whole_years_on_the_day(birth, age):
    assert guardians.age_on(birth, datetime.date(2016, 6, 1)) == age


def test_a_program_without_the_setting_needs_no_guardian_nor_a_birth_date(org, bob):
    program = program_with_sides(organization=org, guardian_consent_under=None)
    assert guardians.guardian_email_needed(program=program, applicant=bob) is False
    assert guardians.clean_guardian_email(program=program, applicant=bob,
                                          guardian_email="parent@example.net") == ""


def test_without_a_birth_date_the_applicant_is_asked_for_it(program, bob):
    with pytest.raises(ValidationError) as err:
        guardians.guardian_email_needed(program=program, applicant=bob)
    assert err.value.message_dict == {"birth_date": [
        "This program asks the age of its applicants: add your date of birth to your "
        "profile first."]}


@pytest.mark.parametrize(("birth", "needed"), [
    (datetime.date(2015, 6, 1), False),  # exactly the age on the first day
    (datetime.date(2015, 6, 2), True),  # one day younger
])
def test_only_an_applicant_younger_than_the_setting_needs_a_guardian(program, birth, needed):
    person = UserFactory(birth_date=birth)
    assert guardians.guardian_email_needed(program=program, applicant=person) is needed


@pytest.mark.parametrize("given", ["", "   ", None])
def test_a_minor_without_an_address_is_told_the_age(program, minor, given):
    with pytest.raises(ValidationError) as err:
        guardians.clean_guardian_email(program=program, applicant=minor, guardian_email=given)
    assert err.value.message_dict == {"guardian_email": [
        "You are younger than 16 on the program's first day: give the email address of a "
        "parent or guardian, who will be asked to consent."]}


def test_a_bad_address_is_refused_with_the_validators_message(program, minor):
    with pytest.raises(ValidationError) as err:
        guardians.clean_guardian_email(program=program, applicant=minor,
                                       guardian_email="not an address")
    assert err.value.message_dict == {"guardian_email": ["Enter a valid email address."]}


def test_the_address_is_kept_trimmed_and_lower_cased(program, minor):
    assert guardians.clean_guardian_email(program=program, applicant=minor,
                                          guardian_email="  Parent@Example.NET ") == (
        "parent@example.net")


def test_the_applicants_own_address_is_refused_whatever_its_case(program, minor):
    with pytest.raises(ValidationError) as err:
        guardians.clean_guardian_email(program=program, applicant=minor,
                                       guardian_email="mina@EXAMPLE.org")
    assert err.value.message_dict == {"guardian_email": [
        "Give your guardian's address, not your own."]}


def test_a_request_stores_the_link_and_mails_the_guardian_and_is_logged(org, program, minor):
    before = timezone.now()
    application = pending(program, minor)
    stored = Application.objects.get(pk=application.pk)
    assert (stored.guardian_email, stored.guardian_consent) == ("parent@example.net", "pending")
    assert len(stored.guardian_token_nonce) == 43  # 32 random bytes
    assert stored.guardian_token_hash == hash_link_token(stored.guardian_token)
    assert before + timedelta(days=30) <= stored.guardian_link_expires_at
    assert stored.guardian_link_expires_at <= timezone.now() + timedelta(days=30)
    notice = Notification.objects.get()
    assert (notice.kind, notice.recipient_id, notice.recipient_email, notice.dedupe_key) == (
        "guardian_consent_request", None, "parent@example.net",
        f"guardian_consent_request:{application.pk}")
    assert (notice.organization_id, notice.context) == (
        org.pk, {"application": application.pk, "program": program.pk})
    log = ActivityLog.objects.get()
    assert (log.actor, log.verb, log.target_id, log.organization_id) == (
        minor, "application.guardian_consent_requested", str(application.pk), org.pk)


@pytest.mark.parametrize(("consent", "label"), [
    ("pending", "waiting for the guardian"), ("refused", "refused by the guardian")])
def test_accepting_waits_for_consent_and_says_its_state(program, minor, consent, label):
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=minor, guardian_consent=consent)
    with pytest.raises(Conflict) as err:
        guardians.ensure_consent_allows_accepting(application)
    assert (err.value.code, err.value.message) == (
        "guardian_consent_required",
        f"This applicant's guardian has not consented (consent: {label}). The application "
        "can be accepted once they have.")


@pytest.mark.parametrize("consent", [None, "given"])
def test_accepting_is_allowed_without_a_guardian_or_once_consent_is_given(program, minor,
                                                                         consent):
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=minor, guardian_consent=consent)
    assert guardians.ensure_consent_allows_accepting(application) is None


def test_a_token_finds_its_application_with_program_and_applicant_in_one_query(
        program, minor):
    application = pending(program, minor)
    with CaptureQueriesContext(connection) as queries:
        found = guardians.application_by_guardian_token(application.guardian_token)
        assert (found.pk, found.program.organization.slug, found.applicant.pk) == (
            application.pk, "bridges", minor.pk)
    assert len(queries) == 1


@pytest.mark.parametrize("token", ["", None, "x" * 201])
def test_an_empty_or_overlong_token_is_not_looked_up(token):
    with CaptureQueriesContext(connection) as queries:
        assert guardians.application_by_guardian_token(token) is None
    assert len(queries) == 0


@pytest.mark.parametrize(("decision", "name", "errors"), [
    ("maybe", "Grace", {"decision": ["Choose to consent or to refuse."]}),
    ("given", "   ", {"guardian_name": ["Give your name."]}),
    ("given", None, {"guardian_name": ["Give your name."]}),
    ("refused", "g" * 201, {"guardian_name": ["Give at most 200 characters."]}),
])
def test_an_answer_needs_a_decision_and_a_name_of_at_most_200_characters(
        program, minor, decision, name, errors):
    application = pending(program, minor)
    with pytest.raises(ValidationError) as err:
        decide(application, decision, name)
    assert err.value.message_dict == errors
    assert Application.objects.get(pk=application.pk).guardian_consent == "pending"


def test_a_name_of_200_characters_is_kept(program, minor):
    application = pending(program, minor)
    decide(application, "given", " " + "g" * 200 + " ")
    assert Application.objects.get(pk=application.pk).guardian_name == "g" * 200


def test_an_unknown_token_does_not_exist():
    with pytest.raises(Application.DoesNotExist):
        guardians.guardian_consent_decide(token="no-such-token", decision="given",
                                          guardian_name="Grace")


def test_consent_is_stored_and_logged_without_an_actor_and_tells_no_staff(org, program, minor):
    application = pending(program, minor)
    before = timezone.now()
    answered = decide(application, "given", "  Grace Guardian ")
    stored = Application.objects.get(pk=application.pk)
    assert (stored.guardian_consent, stored.guardian_name) == ("given", "Grace Guardian")
    assert before <= stored.guardian_answered_at <= timezone.now()
    assert answered.pk == application.pk
    log = ActivityLog.objects.get(verb="application.guardian_consent_given")
    assert (log.actor, log.target_id, log.organization_id) == (
        None, str(application.pk), org.pk)
    assert not Notification.objects.filter(kind="guardian_consent_refused").exists()


def test_a_refusal_is_logged_and_tells_the_owners_and_coordinators_only(org, alice, program,
                                                                        minor):
    coordinator, facilitator = UserFactory(), UserFactory()
    MembershipFactory(organization=org, user=coordinator, role="coordinator")
    MembershipFactory(organization=org, user=facilitator, role="facilitator")
    elsewhere = UserFactory()
    MembershipFactory(user=elsewhere, role="owner")
    application = pending(program, minor)
    decide(application, "refused")
    assert Application.objects.get(pk=application.pk).guardian_consent == "refused"
    log = ActivityLog.objects.get(verb="application.guardian_consent_refused")
    assert (log.actor, log.target_id, log.organization_id) == (
        None, str(application.pk), org.pk)
    notices = Notification.objects.filter(kind="guardian_consent_refused").order_by(
        "recipient_id")
    assert [(n.recipient_id, n.dedupe_key, n.organization_id, n.context) for n in notices] == [
        (user.pk, f"guardian_consent_refused:{application.pk}:{user.pk}", org.pk,
         {"application": application.pk, "program": program.pk})
        for user in sorted([alice, coordinator], key=lambda u: u.pk)]


@pytest.mark.parametrize(("close", "message"), [
    ("given", "You have already consented; this link works only once."),
    ("refused", "You have already refused; this link works only once."),
    ("expired", "This link has expired. Ask the applicant to contact the organizers."),
    ("withdrawn", "This application is no longer open, so no answer is needed."),
])
def test_a_used_or_closed_link_says_why(program, minor, close, message):
    application = pending(program, minor)
    if close in ("given", "refused"):
        decide(application, close)
    elif close == "expired":
        Application.objects.filter(pk=application.pk).update(
            guardian_link_expires_at=timezone.now() - timedelta(seconds=1))
    else:
        Application.objects.filter(pk=application.pk).update(status="withdrawn")
    before = Application.objects.filter(pk=application.pk).values().get()
    with pytest.raises(Conflict) as err:
        decide(application, "given", "Someone Else")
    assert (err.value.code, err.value.message) == ("invalid_transition", message)
    assert Application.objects.filter(pk=application.pk).values().get() == before


def test_erasing_clears_the_guardian_data_of_that_applicant_only(program, minor):
    erased = pending(program, minor)
    decide(erased, "given")
    other = pending(program, UserFactory(birth_date=minor.birth_date), "other@example.net")
    guardians.erase_guardian_data(minor)
    row = Application.objects.filter(pk=erased.pk).values(
        "guardian_email", "guardian_name", "guardian_consent", "guardian_answered_at",
        "guardian_token_hash", "guardian_token_nonce", "guardian_link_expires_at").get()
    assert row == {"guardian_email": "", "guardian_name": "", "guardian_consent": None,
                   "guardian_answered_at": None, "guardian_token_hash": None,
                   "guardian_token_nonce": "", "guardian_link_expires_at": None}
    kept = Application.objects.get(pk=other.pk)
    assert (kept.guardian_email, kept.guardian_consent) == ("other@example.net", "pending")


def test_an_answer_reads_the_application_with_its_program_and_applicant_at_once(program,
                                                                               minor):
    application = pending(program, minor)
    decide(pending(program, UserFactory(birth_date=minor.birth_date), "x@example.net"))
    with CaptureQueriesContext(connection) as queries:  # the content types are cached
        decide(application)
    assert len(queries) == DECIDE_QUERIES, "\n".join(q["sql"] for q in queries)
