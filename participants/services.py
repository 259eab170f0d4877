"""Every state change of people: registration, profile edits, password resets.

Keyword-only arguments, one transaction. Field errors raise Django's
ValidationError as a dict naming the field.
"""

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core.errors import TooManyRequests
from core.throttling import over_limit
from core.validity import canonical_timezone
from participants.models import User, normalize_email, supported_language
from participants.outbox.services import enqueue

PROFILE_FIELDS = (
    "email", "display_name", "legal_name", "country", "languages", "institution", "birth_date",
    "timezone", "language", "notify_email", "hidden_from_participants",
)


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


def _duplicate_email() -> ValidationError:
    return ValidationError({"email": _("An account with this email already exists.")})


def user_register(
    *,
    email: str,
    password: str,
    display_name: str,
    terms_accepted: bool = True,
    research_consent: bool = False,
    language: str | None = None,
    timezone_name: str = "UTC",
) -> User:
    """A new person; `language` is the one they were browsing in (English when Parley
    does not speak it), `timezone_name` their browser's zone when it sent one."""
    if not terms_accepted:
        raise ValidationError({"terms_accepted": _("Please accept the terms to sign up.")})
    now = timezone.now()
    user = User(
        email=normalize_email(email),
        display_name=display_name.strip(),
        terms_version=settings.TERMS_VERSION,
        terms_accepted_at=now,
        research_consent_at=now if research_consent else None,
        language=supported_language(language),
        timezone=timezone_name or "UTC",
    )
    user.full_clean(exclude=["password"], validate_constraints=False)
    if _email_taken(user.email):
        raise _duplicate_email()
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        raise _duplicate_email() from exc
    return user


def user_update_profile(*, user: User, password: str | None = None, **fields: Any) -> User:
    """Changes the profile; a new email needs the password and is told to the old address."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    old_email = user.email
    for name, value in fields.items():
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    user.timezone = canonical_timezone(user.timezone)
    user.full_clean(exclude=["password"], validate_constraints=False)
    email_changed = user.email != old_email
    if email_changed:
        # Before the duplicate check: without the password, nothing is learnt about others.
        _check_password(user, password)
        if _email_taken(user.email, exclude_pk=user.pk):
            raise _duplicate_email()
    try:
        with transaction.atomic():
            user.save(update_fields=sorted(fields))
            if email_changed:
                enqueue(recipient_id=user.pk, kind="email_changed",
                        dedupe_key=f"email-changed:{user.pk}:{uuid.uuid4().hex}",
                        context={"old_email": old_email, "new_email": user.email})
    except IntegrityError as exc:
        raise _duplicate_email() from exc
    return user


def _check_password(user: User, password: str | None) -> None:
    if not password:
        raise ValidationError({"password": _("Enter your password to change your email.")})
    if not user.check_password(password):
        raise ValidationError({"password": _("The password is not correct.")})


def password_reset_request(*, email: str, client_address: str) -> None:
    """Queues a reset link for the account with this email, if there is one.

    The caller answers the same either way. The limits count the email asked about
    whether or not it has an account, so hitting one tells nothing about it either.
    """
    email = normalize_email(email)
    digest = hashlib.sha256(email.encode()).hexdigest()
    limits = [over_limit(f"password-reset:email:{digest}", settings.PASSWORD_RESET_RATE_EMAIL),
              over_limit(f"password-reset:address:{client_address}",
                         settings.PASSWORD_RESET_RATE_ADDRESS)]
    if any(limits):
        raise TooManyRequests(_("Too many password reset requests. Wait an hour, then try "
                                "again."))
    user = User.objects.filter(email=email, is_active=True, erased_at__isnull=True).first()
    if user is None or not user.has_usable_password():
        return
    enqueue(recipient_id=user.pk, kind="password_reset",
            dedupe_key=f"password-reset:{user.pk}:{uuid.uuid4().hex}")


def user_set_language(*, user: User, language: str) -> User:
    """The language of every page and email for this person (the footer's switcher)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Parley does not speak this language.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


def user_set_research_consent(*, user: User, consent: bool) -> User:
    """Give or withdraw consent to research surveys; the time of consent is kept."""
    if consent and user.research_consent_at is None:
        user.research_consent_at = timezone.now()
    elif not consent:
        user.research_consent_at = None
    user.save(update_fields=["research_consent_at"])
    return user


def user_set_hidden(*, user: User, hidden: bool) -> User:
    """Quick exit (`hidden`) and its undo: whether the person's display name is left out of
    the lists other participants see. Staff still see them: they run the sessions."""
    user.hidden_from_participants = hidden
    user.save(update_fields=["hidden_from_participants"])
    return user


def api_token_create(*, user: User) -> Token:
    """A new API token; any older one stops working."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def api_token_revoke(*, user: User) -> None:
    """Called on revocation and on every password change or reset."""
    Token.objects.filter(user=user).delete()
