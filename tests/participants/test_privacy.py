"""Download my data, erase my account, consents, and the log of sign-ins."""

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core import serializers
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from core.errors import Conflict
from exchanges import services
from exchanges.models import ActivityLog, Application, Membership
from participants.models import Notification
from participants.privacy import erase_account, export_personal_data
from participants.services import user_register, user_set_research_consent
from tests.factories import PASSWORD, ApplicationFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db


@pytest.fixture
def eleni(org):
    """An accepted participant with a motivation, a message, a token and a signed-in IP."""
    person = UserFactory(email="eleni@example.org", display_name="Eleni",
                         legal_name="Eleni Georgiou-Pavlou")
    program = program_with_sides(organization=org, capacity=2)
    application = services.application_submit(
        program=program, side=program.sides.first(), applicant=person,
        motivation="My grandmother lived in Kyrenia until 1974.")
    services.application_accept(application=application, actor=org.memberships.first().user)
    Token.objects.create(user=person)
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.77")
    assert authenticate(request, username="eleni@example.org", password=PASSWORD) == person
    from django.contrib.auth.signals import user_logged_in
    user_logged_in.send(sender=type(person), request=request, user=person)
    return person


def everything_stored() -> str:
    """Every row of every table, as text."""
    chunks = []
    for model in apps.get_models():
        chunks.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(chunks)


def test_export_holds_every_record_about_the_person(eleni):
    data = export_personal_data(user=eleni, ip_address="198.51.100.1")
    assert data["profile"]["email"] == "eleni@example.org"
    assert data["profile"]["legal_name"] == "Eleni Georgiou-Pavlou"
    assert data["consents"]["terms_version"] == eleni.terms_version
    assert [a["status"] for a in data["applications"]] == ["accepted"]
    assert data["applications"][0]["motivation"] == "My grandmother lived in Kyrenia until 1974."
    assert sorted(m["kind"] for m in data["messages"]) == ["application_accepted",
                                                           "application_received"]
    verbs = [entry["verb"] for entry in data["activity"]]
    assert "application.submitted" in verbs and "auth.signed_in" in verbs
    log = ActivityLog.objects.get(verb="personal_data.exported")
    assert (log.actor, log.data) == (eleni, {})


def test_erasure_needs_the_password_and_changes_nothing_without_it(eleni):
    with pytest.raises(ValidationError) as error:
        erase_account(user=eleni, password="wrong")
    assert "password" in error.value.message_dict
    eleni.refresh_from_db()
    assert eleni.email == "eleni@example.org" and eleni.is_active


def test_sole_owner_cannot_erase_their_account(org, alice):
    with pytest.raises(Conflict) as error:
        erase_account(user=alice, password=PASSWORD)
    assert error.value.code == "sole_owner"
    alice.refresh_from_db()
    assert alice.erased_at is None
    assert Membership.objects.filter(user=alice).exists()


def test_erasure_removes_personal_data_from_every_table(eleni):
    erase_account(user=eleni, password=PASSWORD, ip_address="203.0.113.77")
    stored = everything_stored()
    for secret in ["eleni@example.org", "Eleni Georgiou-Pavlou", "Kyrenia", "203.0.113.77"]:
        assert secret not in stored, secret
    eleni.refresh_from_db()
    assert eleni.display_name == "Former participant"
    assert eleni.erased_at is not None
    assert ActivityLog.objects.filter(verb="account.erased").count() == 1


def test_erasure_ends_sign_in_tokens_and_sessions(eleni, client):
    client.force_login(eleni)
    erase_account(user=eleni, password=PASSWORD)
    assert not Token.objects.filter(user=eleni).exists()
    assert authenticate(RequestFactory().post("/"), username="eleni@example.org",
                        password=PASSWORD) is None
    assert client.get("/").wsgi_request.user.is_anonymous


def test_erasure_keeps_anonymous_counts_and_frees_the_seat(eleni, org):
    application = Application.objects.get(applicant=eleni)
    program, side = application.program, application.side
    waiting = ApplicationFactory(program=program, side=side, status="waitlisted")
    erase_account(user=eleni, password=PASSWORD)
    application.refresh_from_db()
    waiting.refresh_from_db()
    assert application.status == "withdrawn"
    assert Application.objects.filter(program=program, side=side).count() == 2
    assert waiting.status == "accepted"


def test_erasure_cancels_pending_messages(eleni):
    Notification.objects.filter(recipient=eleni).update(status="pending")
    erase_account(user=eleni, password=PASSWORD)
    assert set(Notification.objects.filter(recipient=eleni).values_list("status", flat=True)) \
        == {"cancelled"}


def test_erased_email_can_register_again_as_a_new_person(eleni):
    erase_account(user=eleni, password=PASSWORD)
    again = user_register(email="Eleni@example.org", password="another-Long-pass-42",
                          display_name="Eleni again")
    assert again.pk != eleni.pk
    assert not Application.objects.filter(applicant=again).exists()


def test_research_consent_can_be_withdrawn_without_affecting_participation(eleni):
    user_set_research_consent(user=eleni, consent=True)
    assert eleni.research_consent_at is not None
    user_set_research_consent(user=eleni, consent=False)
    eleni.refresh_from_db()
    assert eleni.research_consent_at is None
    assert Application.objects.get(applicant=eleni).status == "accepted"


def test_sign_ins_and_failures_are_logged_with_the_address(eleni):
    signed_in = ActivityLog.objects.get(verb="auth.signed_in")
    assert (signed_in.actor, signed_in.ip_address) == (eleni, "203.0.113.77")
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.9")
    assert authenticate(request, username="eleni@example.org", password="nope") is None
    failed = ActivityLog.objects.get(verb="auth.sign_in_failed")
    assert (failed.actor, failed.ip_address, failed.data) == (
        None, "192.0.2.9", {"email": "eleni@example.org"})
