"""People's services, rule by rule: registration, profile, consent and API tokens."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from participants import services
from participants.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "a long and uncommon passphrase"


def register(**overrides):
    fields = {"email": "new@example.org", "password": STRONG, "display_name": "Newcomer"}
    return services.user_register(**{**fields, **overrides})


def refused_field(call) -> set[str]:
    with pytest.raises(ValidationError) as error:
        call()
    return set(error.value.message_dict)


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


# --- Registration ---------------------------------------------------------------------------


def test_registration_stores_a_clean_account_with_the_terms_accepted_now(settings):
    settings.TERMS_VERSION = "2030-01"
    before = timezone.now()
    user = register(email="  New.Person@Example.ORG ", display_name="  Nadia  ")
    stored = User.objects.get(pk=user.pk)
    assert (stored.email, stored.display_name) == ("new.person@example.org", "Nadia")
    assert stored.terms_version == "2030-01"
    assert before <= stored.terms_accepted_at <= timezone.now()
    assert stored.research_consent_at is None
    assert stored.check_password(STRONG)


def test_research_consent_at_registration_is_dated():
    user = register(research_consent=True)
    assert user.research_consent_at == user.terms_accepted_at


def test_registration_without_the_terms_is_refused():
    assert refused_field(lambda: register(terms_accepted=False)) == {"terms_accepted"}
    assert not User.objects.exists()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"email": "not an address"}, "email"),
    ({"display_name": "   "}, "display_name"),
    ({"password": "123"}, "password"),
    ({"password": "new@example.org"}, "password"),  # too like the email
])
def test_bad_registration_fields_are_refused_naming_the_field(overrides, field):
    assert field in refused_field(lambda: register(**overrides))
    assert not User.objects.exists()


def test_an_email_already_registered_in_any_case_is_refused():
    UserFactory(email="taken@example.org")
    assert refusal(lambda: register(email="TAKEN@example.org")) == {
        "email": ["An account with this email already exists."]}
    assert User.objects.count() == 1


def test_a_taken_email_is_reported_before_the_password_is_judged():
    UserFactory(email="taken@example.org")
    assert refused_field(lambda: register(email="taken@example.org", password="123")) == {
        "email"}


def test_a_concurrent_registration_with_the_same_email_is_a_duplicate(monkeypatch):
    def lost_the_race(self, *args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: participants_user.email")

    monkeypatch.setattr(User, "save", lost_the_race)
    assert refused_field(register) == {"email"}


# --- Profile --------------------------------------------------------------------------------


def test_a_profile_edit_strips_text_and_saves_only_the_fields_given():
    user = UserFactory(legal_name="Old Legal")
    user.legal_name = "changed in memory only"
    services.user_update_profile(user=user, display_name="  Nadia ", notify_email=False)
    stored = User.objects.get(pk=user.pk)
    assert (stored.display_name, stored.notify_email, stored.legal_name) == (
        "Nadia", False, "Old Legal")


def test_a_profile_edit_refuses_unknown_fields():
    user = UserFactory()
    with pytest.raises(TypeError, match="is_staff"):
        services.user_update_profile(user=user, display_name="X", is_staff=True)
    assert not User.objects.get(pk=user.pk).is_staff


def test_a_profile_edit_is_validated_naming_the_field():
    user = UserFactory(email="me@example.org")
    assert refused_field(
        lambda: services.user_update_profile(user=user, email="nope")) == {"email"}
    assert User.objects.get(pk=user.pk).email == "me@example.org"


def test_an_email_taken_by_someone_else_is_refused_but_ones_own_is_kept():
    UserFactory(email="other@example.org")
    user = UserFactory(email="me@example.org")
    assert refused_field(lambda: services.user_update_profile(
        user=user, email="Other@example.org", password=PASSWORD)) == {"email"}
    user = User.objects.get(pk=user.pk)  # the refused call left its changes on the object
    services.user_update_profile(user=user, email="me@example.org", display_name="Me")
    assert User.objects.get(pk=user.pk).display_name == "Me"


def test_a_concurrent_profile_edit_to_a_taken_email_is_a_duplicate(monkeypatch):
    user = UserFactory()

    def lost_the_race(self, *args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: participants_user.email")

    monkeypatch.setattr(User, "save", lost_the_race)
    assert refused_field(lambda: services.user_update_profile(
        user=user, email="fresh@example.org", password=PASSWORD)) == {"email"}


# --- Research consent -----------------------------------------------------------------------


def test_consent_keeps_the_time_it_was_first_given():
    first = timezone.now() - timedelta(days=30)
    user = UserFactory(research_consent_at=first)
    services.user_set_research_consent(user=user, consent=True)
    assert User.objects.get(pk=user.pk).research_consent_at == first


def test_consent_saves_nothing_else():
    user = UserFactory(display_name="Stored")
    user.display_name = "only in memory"
    services.user_set_research_consent(user=user, consent=True)
    assert User.objects.get(pk=user.pk).display_name == "Stored"


def test_consent_given_now_is_dated_now_and_withdrawing_clears_it():
    user = UserFactory(research_consent_at=None)
    before = timezone.now()
    services.user_set_research_consent(user=user, consent=True)
    assert before <= User.objects.get(pk=user.pk).research_consent_at <= timezone.now()
    services.user_set_research_consent(user=user, consent=False)
    assert User.objects.get(pk=user.pk).research_consent_at is None


# --- API tokens -----------------------------------------------------------------------------


def test_a_new_api_token_replaces_the_old_one_and_revoking_removes_it():
    user, other = UserFactory(), UserFactory()
    other_token = services.api_token_create(user=other)
    old = services.api_token_create(user=user)
    new = services.api_token_create(user=user)
    assert list(Token.objects.filter(user=user)) == [new]
    assert new.key != old.key
    services.api_token_revoke(user=user)
    assert not Token.objects.filter(user=user).exists()
    assert Token.objects.filter(pk=other_token.pk).exists()
