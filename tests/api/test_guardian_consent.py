"""Guardian consent for minors, and the two safety settings of a program (API.md "Safety").

bob applies to alice's published program "Open exchange" (from 2031-06-01 in these tests),
which asks a guardian's consent for applicants younger than 16.
"""

import datetime
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchanges import services
from exchanges.models import ActivityLog, Application, Program
from participants.models import Notification
from participants.outbox import dispatch
from tests.api.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

STARTS = datetime.date(2031, 6, 1)
MINOR_BIRTH = datetime.date(2016, 6, 2)  # 14 on the first day
ADULT_BIRTH = datetime.date(1990, 1, 1)


@pytest.fixture
def program(org):
    return program_with_sides("North", "South", organization=org, title="Youth exchange",
                              summary="Football and talk", description="Two weeks together.",
                              starts_on=STARTS, ends_on=STARTS + timedelta(days=14),
                              guardian_consent_under=16)


@pytest.fixture
def minor():
    return UserFactory(display_name="Mina", email="mina@example.org", birth_date=MINOR_BIRTH)


@pytest.fixture
def carol(org):
    user = UserFactory(display_name="Carol", email="carol@example.org")
    MembershipFactory(organization=org, user=user, role="coordinator")
    return user


def apply(person, program, **body):
    return client_for(person).post(f"/api/v1/programs/{program.pk}/applications/",
                                   {"side": program.sides.first().pk, **body}, format="json")


def applied(person, program, guardian_email="parent@example.net") -> Application:
    response = apply(person, program, guardian_email=guardian_email)
    assert response.status_code == 201, response.content
    return Application.objects.get(pk=response.json()["id"])


def link_token(application: Application) -> str:
    """The token as the guardian gets it: read from the email the outbox sends."""
    dispatch.dispatch_outbox()
    [message] = [m for m in mail.outbox if m.to == [application.guardian_email]]
    [token] = re.findall(r"/guardian-consent/([^/\s]+)/", message.body)
    return token


def answer(token, decision="given", name="Grace Guardian"):
    return client_for().post(f"/api/v1/guardian-consent/{token}/",
                             {"decision": decision, "guardian_name": name}, format="json")


# --- The program's settings --------------------------------------------------------------


def _program_body(**extra):
    return {"organization": "bridges", "title": "Safe exchange", "kind": "sports",
            "starts_on": "2031-01-01", "ends_on": "2031-01-05", "capacity": 4,
            "sides": [{"name": "East"}, {"name": "West"}], **extra}


@pytest.mark.parametrize(("field", "value"), [
    ("venue_disclosure_hours", -1), ("venue_disclosure_hours", 721),
    ("venue_disclosure_hours", "24"), ("venue_disclosure_hours", 2.5),
    ("guardian_consent_under", 0), ("guardian_consent_under", 26),
    ("guardian_consent_under", "16"), ("guardian_consent_under", True),
])
def test_program_settings_out_of_range_are_refused_naming_the_field(alice, org, field, value):
    response = client_for(alice).post("/api/v1/programs/", _program_body(**{field: value}),
                                      format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Program.objects.exists()


@pytest.mark.parametrize(("hours", "age"), [(0, 1), (720, 25), (None, None), (48, 16)])
def test_program_settings_within_range_are_kept(alice, org, hours, age):
    response = client_for(alice).post("/api/v1/programs/", _program_body(
        venue_disclosure_hours=hours, guardian_consent_under=age), format="json")

    assert response.status_code == 201
    assert (response.json()["venue_disclosure_hours"],
            response.json()["guardian_consent_under"]) == (hours, age)


def test_program_settings_change_by_patch(alice, program):
    url = f"/api/v1/programs/{program.pk}/"

    assert client_for(alice).patch(url, {"venue_disclosure_hours": 721},
                                   format="json").status_code == 400
    response = client_for(alice).patch(url, {"venue_disclosure_hours": 72,
                                             "guardian_consent_under": None}, format="json")

    assert response.status_code == 200
    program.refresh_from_db()
    assert (program.venue_disclosure_hours, program.guardian_consent_under) == (72, None)


@pytest.mark.parametrize(("field", "value"), [
    ("venue_disclosure_hours", 721), ("guardian_consent_under", 0),
    ("guardian_consent_under", 26)])
def test_database_refuses_settings_out_of_range(program, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(**{field: value})


def test_database_refuses_an_unknown_consent_state(program, minor):
    application = ApplicationFactory(program=program, side=program.sides.first())

    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(guardian_consent="maybe")


# --- Applying ----------------------------------------------------------------------------


def test_applying_without_a_birth_date_names_birth_date(bob, program):
    response = apply(bob, program, guardian_email="parent@example.net")

    assert response.status_code == 400
    assert list(response.json()) == ["birth_date"]
    assert not Application.objects.exists()


def test_a_minor_without_a_guardian_email_is_refused_naming_it(minor, program):
    response = apply(minor, program)

    assert response.status_code == 400
    assert list(response.json()) == ["guardian_email"]
    assert not Application.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("value", ["not-an-address", 12, ["a@example.org"], "x" * 250 + "@e.org"])
def test_guardian_email_must_be_an_email_string(minor, program, value):
    response = apply(minor, program, guardian_email=value)

    assert response.status_code == 400
    assert list(response.json()) == ["guardian_email"]


def test_a_minor_cannot_name_their_own_address(minor, program):
    response = apply(minor, program, guardian_email="MINA@example.org")

    assert response.status_code == 400
    assert list(response.json()) == ["guardian_email"]


def test_a_minor_applies_with_pending_consent_and_the_guardian_gets_the_link(minor, program):
    response = apply(minor, program, guardian_email=" Parent@Example.NET ")

    application = Application.objects.get()
    assert response.status_code == 201
    assert (response.json()["guardian_consent"], response.json()["guardian_email"]) == (
        "pending", "parent@example.net")
    notice = Notification.objects.get(kind="guardian_consent_request")
    assert (notice.recipient_id, notice.recipient_email) == (None, "parent@example.net")
    assert notice.context["application"] == application.pk
    assert application.guardian_link_expires_at == pytest.approx(
        application.created_at + timedelta(days=30), abs=timedelta(seconds=5))
    # Only a hash of the token is stored; the link's token itself is nowhere in the row.
    token = application.guardian_token
    assert token not in str(Application.objects.filter(pk=application.pk).values().get())
    assert ActivityLog.objects.filter(verb="application.guardian_consent_requested").exists()


def test_the_request_is_written_with_the_application_or_not_at_all(minor, program, monkeypatch):
    from exchanges.services import guardians

    def failing_enqueue(**kwargs):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(guardians, "enqueue", failing_enqueue)
    with pytest.raises(RuntimeError):
        services.application_submit(program=program, side=program.sides.first(),
                                    applicant=minor, guardian_email="parent@example.net")

    assert not Application.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(("birth", "needs"), [
    (datetime.date(2015, 6, 1), False),  # 16 on the first day exactly
    (datetime.date(2015, 6, 2), True),  # 16 the day after
    (ADULT_BIRTH, False),
])
def test_the_age_counts_on_the_programs_first_day(program, birth, needs):
    person = UserFactory(birth_date=birth)

    application = applied(person, program)

    assert (application.guardian_consent == "pending") == needs
    assert (application.guardian_email == "parent@example.net") == needs
    assert Notification.objects.filter(kind="guardian_consent_request").exists() == needs


def test_an_adult_carries_no_consent(program):
    adult = UserFactory(birth_date=ADULT_BIRTH)

    response = apply(adult, program)

    assert response.status_code == 201
    assert (response.json()["guardian_consent"], response.json()["guardian_email"]) == (
        None, None)


def test_a_program_without_the_setting_asks_nothing(bob, published):
    response = apply(bob, published, guardian_email="parent@example.net")

    assert response.status_code == 201
    assert response.json()["guardian_consent"] is None
    assert not Application.objects.get().guardian_email


# --- The link ----------------------------------------------------------------------------


def test_the_link_shows_the_program_and_the_applicants_display_name(minor, program):
    token = link_token(applied(minor, program))

    data = client_for().get(f"/api/v1/guardian-consent/{token}/").json()

    assert data["program"]["title"] == "Youth exchange"
    assert data["program"]["organization"] == {"slug": "bridges", "name": "Bridges"}
    assert (data["program"]["starts_on"], data["program"]["description"]) == (
        "2031-06-01", "Two weeks together.")
    assert data["applicant"] == {"display_name": "Mina"}
    assert data["status"] == "pending"
    assert "mina@example.org" not in str(data) and minor.legal_name not in str(data)


def test_the_email_names_no_one(minor, program):
    token = link_token(applied(minor, program))
    [message] = [m for m in mail.outbox if m.to == ["parent@example.net"]]

    assert token
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert "Mina" not in text and "mina@example.org" not in text


def test_consent_given_is_kept_with_the_application(minor, program):
    application = applied(minor, program)
    token = link_token(application)

    response = answer(token, "given", "  Grace Guardian ")

    assert response.status_code == 200
    assert response.json()["status"] == "given"
    application.refresh_from_db()
    assert (application.guardian_consent, application.guardian_name) == (
        "given", "Grace Guardian")
    assert application.guardian_answered_at is not None
    assert ActivityLog.objects.filter(verb="application.guardian_consent_given").exists()


def test_the_link_works_once(minor, program):
    token = link_token(applied(minor, program))
    assert answer(token, "given").status_code == 200

    again = answer(token, "refused", "Someone Else")

    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert Application.objects.get().guardian_consent == "given"


def test_the_link_expires_after_thirty_days(minor, program):
    application = applied(minor, program)
    token = link_token(application)
    Application.objects.filter(pk=application.pk).update(
        guardian_link_expires_at=timezone.now() - timedelta(seconds=1))

    response = answer(token)

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert client_for().get(f"/api/v1/guardian-consent/{token}/").json()["status"] == "expired"
    assert Application.objects.get(pk=application.pk).guardian_consent == "pending"


def test_a_link_answers_only_for_its_own_application(minor, program):
    first = applied(minor, program)
    sibling = UserFactory(display_name="Sami", birth_date=MINOR_BIRTH)
    second = applied(sibling, program, guardian_email="other-parent@example.net")
    first_token = link_token(first)

    assert answer(first_token, "given").status_code == 200

    second.refresh_from_db()
    assert second.guardian_consent == "pending"
    assert client_for().get(f"/api/v1/guardian-consent/{first_token}/").json()[
        "applicant"] == {"display_name": "Mina"}


@pytest.mark.parametrize("token", ["unknown", "x" * 201, "a" * 43])
def test_unknown_tokens_answer_404(token):
    assert client_for().get(f"/api/v1/guardian-consent/{token}/").status_code == 404
    assert answer(token).status_code == 404


def test_an_invitation_token_is_not_a_guardian_token(alice, org, minor, program):
    applied(minor, program)
    invitation = services.membership_invite(organization=org, actor=alice,
                                            email="x@example.org", role="facilitator")

    assert answer(invitation.token).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"decision": "given"}, "guardian_name"),
    ({"decision": "given", "guardian_name": "  "}, "guardian_name"),
    ({"decision": "given", "guardian_name": 7}, "guardian_name"),
    ({"decision": "maybe", "guardian_name": "Grace"}, "decision"),
    ({"guardian_name": "Grace"}, "decision"),
])
def test_the_answer_needs_a_decision_and_a_name(minor, program, body, field):
    token = link_token(applied(minor, program))

    response = client_for().post(f"/api/v1/guardian-consent/{token}/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Application.objects.get().guardian_consent == "pending"


def test_a_withdrawn_application_closes_the_link(minor, program):
    application = applied(minor, program)
    token = link_token(application)
    services.application_withdraw(application=application, actor=minor)

    assert answer(token).status_code == 409


# --- Staff: accepting waits for consent -------------------------------------------------


def test_staff_cannot_accept_before_consent(alice, minor, program):
    application = applied(minor, program)

    response = client_for(alice).post(f"/api/v1/applications/{application.pk}/accept/")

    assert response.status_code == 409
    assert response.json()["code"] == "guardian_consent_required"
    assert Application.objects.get(pk=application.pk).status == "pending"


def test_staff_accept_once_consent_is_given(alice, minor, program):
    application = applied(minor, program)
    answer(link_token(application), "given")

    response = client_for(alice).post(f"/api/v1/applications/{application.pk}/accept/")

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"


def test_staff_may_still_waitlist_or_decline_before_consent(alice, minor, program):
    application = applied(minor, program)

    assert client_for(alice).post(
        f"/api/v1/applications/{application.pk}/waitlist/").status_code == 200
    assert client_for(alice).post(
        f"/api/v1/applications/{application.pk}/accept/").json()["code"] == (
        "guardian_consent_required")


def test_a_freed_seat_skips_a_waitlisted_minor_without_consent(alice, org):
    program = program_with_sides("North", "South", organization=org, capacity=2,
                                 starts_on=STARTS, ends_on=STARTS, guardian_consent_under=16)
    north = program.sides.first()
    seated = ApplicationFactory(program=program, side=north, status="accepted")
    minor_waiting = ApplicationFactory(program=program, side=north, status="waitlisted",
                                       guardian_consent="pending",
                                       created_at=timezone.now() - timedelta(days=2))
    adult_waiting = ApplicationFactory(program=program, side=north, status="waitlisted",
                                       created_at=timezone.now() - timedelta(days=1))

    services.application_decline(application=seated, actor=alice)

    minor_waiting.refresh_from_db()
    adult_waiting.refresh_from_db()
    assert (minor_waiting.status, adult_waiting.status) == ("waitlisted", "accepted")


def test_a_refusal_reaches_the_programs_staff_and_blocks_accepting(alice, carol, org, minor,
                                                                   program):
    fred = UserFactory(display_name="Fred")
    MembershipFactory(organization=org, user=fred, role="facilitator")
    application = applied(minor, program)
    token = link_token(application)
    mail.outbox.clear()

    assert answer(token, "refused", "Grace Guardian").status_code == 200

    notices = Notification.objects.filter(kind="guardian_consent_refused")
    assert sorted(notices.values_list("recipient__display_name", flat=True)) == [
        "Alice", "Carol"]
    dispatch.dispatch_outbox()
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "carol@example.org"]
    assert all("refused" in m.subject for m in mail.outbox)
    staff_view = client_for(alice).get(f"/api/v1/applications/{application.pk}/").json()
    assert (staff_view["guardian_consent"], staff_view["guardian_name"]) == (
        "refused", "Grace Guardian")
    assert client_for(alice).post(
        f"/api/v1/applications/{application.pk}/accept/").json()["code"] == (
        "guardian_consent_required")


def test_the_applicant_sees_the_consent_on_their_application(minor, program):
    application = applied(minor, program)
    answer(link_token(application), "given")

    data = client_for(minor).get(f"/api/v1/applications/{application.pk}/").json()

    assert (data["guardian_consent"], data["guardian_name"], data["guardian_email"]) == (
        "given", "Grace Guardian", "parent@example.net")
    assert data["guardian_answered_at"].endswith("Z")


# --- Personal data ------------------------------------------------------------------------


def test_guardian_data_is_in_the_applicants_export(minor, program):
    answer(link_token(applied(minor, program)), "given")

    data = client_for(minor).get("/api/v1/me/export/").json()

    [row] = [a for a in _find_applications(data)]
    assert (row["guardian_email"], row["guardian_consent"], row["guardian_name"]) == (
        "parent@example.net", "given", "Grace Guardian")


def _find_applications(export) -> list:
    if isinstance(export, dict):
        if "applications" in export:
            return export["applications"]
        for value in export.values():
            found = _find_applications(value)
            if found:
                return found
    return []


def test_guardian_data_is_erased_with_the_applicant(minor, program):
    from participants.privacy import erase_personal_data

    application = applied(minor, program)
    answer(link_token(application), "given")

    erase_personal_data(user=minor)

    application.refresh_from_db()
    assert (application.guardian_email, application.guardian_name,
            application.guardian_consent, application.guardian_token_hash) == ("", "", None, None)
