"""Every state change of people: registration and profile edits.

Keyword-only arguments, one transaction. Field errors raise Django's
ValidationError as a dict naming the field.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from participants.models import User

PROFILE_FIELDS = (
    "email", "display_name", "legal_name", "country", "languages", "institution", "birth_date",
    "timezone", "language", "notify_email",
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
) -> User:
    if not terms_accepted:
        raise ValidationError({"terms_accepted": _("Please accept the terms to sign up.")})
    now = timezone.now()
    user = User(
        email=User.objects.normalize_email(email.strip()).lower(),
        display_name=display_name.strip(),
        terms_version=settings.TERMS_VERSION,
        terms_accepted_at=now,
        research_consent_at=now if research_consent else None,
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


def user_update_profile(*, user: User, **fields: Any) -> User:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    user.full_clean(exclude=["password"], validate_constraints=False)
    if "email" in fields and _email_taken(user.email, exclude_pk=user.pk):
        raise _duplicate_email()
    try:
        with transaction.atomic():
            user.save(update_fields=sorted(fields))
    except IntegrityError as exc:
        raise _duplicate_email() from exc
    return user


def user_set_research_consent(*, user: User, consent: bool) -> User:
    """Give or withdraw consent to research surveys; the time of consent is kept."""
    if consent and user.research_consent_at is None:
        user.research_consent_at = timezone.now()
    elif not consent:
        user.research_consent_at = None
    user.save(update_fields=["research_consent_at"])
    return user


def api_token_create(*, user: User) -> Token:
    """A new API token; any older one stops working."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def api_token_revoke(*, user: User) -> None:
    """Called on revocation and on every password change or reset."""
    Token.objects.filter(user=user).delete()
