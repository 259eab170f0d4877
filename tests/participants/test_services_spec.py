"""People's services, rule by rule: registration, profile, consent and API tokens."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.errors import TooManyRequests
from participants import services
from participants.models import Notification, User
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


# --- What a person reads, and what is queued ------------------------------------------------


def test_registration_refusals_say_why():
    assert refusal(lambda: register(terms_accepted=False)) == {
        "terms_accepted": ["Please accept the terms to sign up."]}
    register(email="taken@example.org")
    assert refusal(lambda: register(email="TAKEN@example.org")) == {
        "email": ["An account with this email already exists."]}


def test_registration_keeps_a_spoken_language_and_the_browsers_zone():
    user = register(language="fr", timezone_name="Asia/Nicosia")
    stored = User.objects.get(pk=user.pk)
    assert (stored.language, stored.timezone) == ("fr", "Asia/Nicosia")
    other = register(email="two@example.org", language="xx", timezone_name="")
    assert (other.language, other.timezone) == ("en", "UTC")


def test_a_weak_password_is_refused_naming_the_password():
    assert refused_field(lambda: register(password="short")) == {"password"}
    assert not User.objects.exists()


def test_a_new_email_needs_the_right_password_and_says_so():
    user = UserFactory(email="me@example.org")
    assert refusal(lambda: services.user_update_profile(user=user, email="new@example.org")) == {
        "password": ["Enter your password to change your email."]}
    user = User.objects.get(pk=user.pk)
    assert refusal(lambda: services.user_update_profile(
        user=user, email="new@example.org", password="wrong")) == {
        "password": ["The password is not correct."]}
    assert User.objects.get(pk=user.pk).email == "me@example.org"


def test_a_new_email_is_told_to_the_old_address_each_time():
    user = UserFactory(email="me@example.org")
    services.user_update_profile(user=user, email="new@example.org", password=PASSWORD)
    services.user_update_profile(user=user, email="newer@example.org", password=PASSWORD)
    notices = Notification.objects.filter(kind="email_changed").order_by("pk")
    assert [(n.recipient_id, n.context) for n in notices] == [
        (user.pk, {"old_email": "me@example.org", "new_email": "new@example.org"}),
        (user.pk, {"old_email": "new@example.org", "new_email": "newer@example.org"})]
    assert all(n.dedupe_key.startswith(f"email-changed:{user.pk}:") for n in notices)
    assert User.objects.get(pk=user.pk).email == "newer@example.org"


def test_an_edit_that_keeps_the_email_queues_nothing():
    user = UserFactory(email="me@example.org")
    services.user_update_profile(user=user, display_name="Me", timezone="Asia/Nicosia")
    assert not Notification.objects.exists()
    assert User.objects.get(pk=user.pk).timezone == "Asia/Nicosia"


def test_a_reset_is_queued_for_an_active_account_with_a_password_only(settings):
    cache.clear()
    user = UserFactory(email="me@example.org")
    services.password_reset_request(email=" ME@example.org", client_address="10.0.0.1")
    services.password_reset_request(email="me@example.org", client_address="10.0.0.1")
    notices = Notification.objects.filter(kind="password_reset")
    assert [n.recipient_id for n in notices] == [user.pk, user.pk]
    assert all(n.dedupe_key.startswith(f"password-reset:{user.pk}:") for n in notices)
    UserFactory(email="nopass@example.org").set_unusable_password()
    User.objects.filter(email="nopass@example.org").update(password="!")
    UserFactory(email="gone@example.org", is_active=False)
    UserFactory(email="erased@example.org", erased_at=timezone.now())
    for email in ("nopass@example.org", "gone@example.org", "erased@example.org",
                  "nobody@example.org"):
        services.password_reset_request(email=email, client_address="10.0.0.2")
    # A fresh query: `notices` was iterated above, and count() would read its cache.
    assert list(Notification.objects.filter(kind="password_reset")
                .values_list("recipient_id", flat=True)) == [user.pk, user.pk]


def test_resets_are_limited_per_email_and_per_address(settings):
    cache.clear()
    settings.PASSWORD_RESET_RATE_EMAIL = "2/hour"
    settings.PASSWORD_RESET_RATE_ADDRESS = "3/hour"
    for _ in range(2):
        services.password_reset_request(email="a@example.org", client_address="10.0.0.1")
    with pytest.raises(TooManyRequests) as err:
        services.password_reset_request(email="A@example.org", client_address="10.0.0.9")
    assert str(err.value) == "Too many password reset requests. Wait an hour, then try again."
    services.password_reset_request(email="b@example.org", client_address="10.0.0.2")
    services.password_reset_request(email="c@example.org", client_address="10.0.0.2")
    services.password_reset_request(email="d@example.org", client_address="10.0.0.2")
    with pytest.raises(TooManyRequests):
        services.password_reset_request(email="e@example.org", client_address="10.0.0.2")


def test_the_language_is_one_parley_speaks():
    user = UserFactory(language="en")
    assert refusal(lambda: services.user_set_language(user=user, language="xx")) == {
        "language": ["Parley does not speak this language."]}
    services.user_set_language(user=user, language="ar")
    assert User.objects.get(pk=user.pk).language == "ar"


def test_setting_the_language_saves_nothing_else():
    user = UserFactory(language="en", display_name="Stored")
    user.display_name = "changed in memory only"
    services.user_set_language(user=user, language="fr")
    stored = User.objects.get(pk=user.pk)
    assert (stored.language, stored.display_name) == ("fr", "Stored")


def test_quick_exit_stores_hiding_and_its_undo_and_nothing_else():
    user = UserFactory(display_name="Stored")
    user.display_name = "changed in memory only"
    services.user_set_hidden(user=user, hidden=True)
    stored = User.objects.get(pk=user.pk)
    assert (stored.hidden_from_participants, stored.display_name) == (True, "Stored")
    services.user_set_hidden(user=stored, hidden=False)
    assert User.objects.get(pk=user.pk).hidden_from_participants is False
