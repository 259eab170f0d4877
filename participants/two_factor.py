"""Who must prove a second factor (an authenticator app's code) when signing in.

One rule for every way in: the pages and the session API (exchanges.two_factor's
middleware), the Django admin (participants.admin_site), `auth/token/` and API tokens
(participants.authentication). A person must prove it when they have confirmed an
authenticator, or when a policy requires it: platform admins while
ADMIN_REQUIRE_TWO_FACTOR is on, and any reason a higher app registers (membership of
an organization that requires it, registered by `exchanges`).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Value
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from participants.models import User

# Conditions on User rows, each one a reason the person must use a second factor.
_REQUIREMENTS: list[Q] = []


def register_requirement(condition: Q) -> None:
    if condition not in _REQUIREMENTS:
        _REQUIREMENTS.append(condition)


def _has_authenticator() -> Q:
    return Q(Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))


def _policy() -> Q | None:
    conditions = list(_REQUIREMENTS)
    if settings.ADMIN_REQUIRE_TWO_FACTOR:
        conditions.append(Q(is_staff=True) | Q(is_superuser=True))
    if not conditions:
        return None
    policy = conditions[0]
    for condition in conditions[1:]:
        policy |= condition
    return policy


def _matches(user, condition: Q | None) -> bool:
    if condition is None or not user.is_authenticated:
        return False
    return User.objects.filter(condition, pk=user.pk).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def must_prove_second_factor(user) -> bool:
    policy = _policy()
    return _matches(user, _has_authenticator() if policy is None
                    else policy | _has_authenticator())


def _lacking() -> Q | None:
    """User rows a policy requires a second factor of, without an authenticator yet."""
    policy = _policy()
    return None if policy is None else policy & ~_has_authenticator()


def lacks_required_authenticator_of(user_id: OuterRef) -> Exists | Value:
    """A policy requires a second factor of the user a row names by `user_id`, and they
    have not set one up yet: their API tokens stop working until they do (401). An
    expression, so the token and this rule come in one query."""
    lacking = _lacking()
    if lacking is None:
        return Value(False)
    return Exists(User.objects.filter(lacking, pk=user_id))


def second_factor_missing(user) -> bool:
    """Signed in on the pages without the second factor they must prove."""
    is_verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    verified = bool(is_verified and is_verified())
    return user.is_authenticated and not verified and must_prove_second_factor(user)


def check_sign_in_code(user, code: str) -> None:
    """For a sign-in without pages (auth/token/): 400 `{"otp": [...]}` unless the person
    needs no second factor or gave a current code of their authenticator (used once)."""
    if not must_prove_second_factor(user):
        return
    device = confirmed_device(user)
    if device is None:
        raise ValidationError({"otp": _(
            "Two-factor sign-in is required for this account: set up an authenticator app "
            "on the website first.")})
    if not code:
        raise ValidationError({"otp": _("Enter the current code of your authenticator app.")})
    if not device.verify_token(code.strip()):
        raise ValidationError({"otp": _(
            "That code did not match. Check your phone's clock and try the newest code.")})
