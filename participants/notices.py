"""Notices about a person's own account: always sent (no preference applies).

Registered from ParticipantsConfig.ready(). Like every message they go through the
outbox, so a mail server that is down delays them instead of losing them.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from participants.models import Notification, NotificationStatus
from participants.outbox import kinds


def build_email_changed(notification: Notification) -> kinds.Email:
    """Sent to the address the person left, so a takeover does not go unnoticed."""
    old_email = notification.context.get("old_email")
    if not old_email:
        raise kinds.NotRelevant("the old address is no longer known")
    email = kinds.render_email("email_changed", {
        "recipient": notification.recipient, "old_email": old_email,
        "new_email": notification.context.get("new_email", ""),
    })
    email.to = old_email
    return email


def build_password_reset(notification: Notification) -> kinds.Email:
    """The link is made when the email is, so no reset token is ever stored."""
    user = notification.recipient
    if not user.is_active or not user.has_usable_password():
        raise kinds.NotRelevant("the account can no longer reset its password")
    lifetime = timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    if notification.created_at < timezone.now() - lifetime:
        raise kinds.NotRelevant("asked for longer ago than a reset link lives",
                                   status=NotificationStatus.MISSED)
    return kinds.render_email("password_reset", {
        "recipient": user, "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    })


def register() -> None:
    kinds.register("email_changed", label=_("Email address changed"),
                      build=build_email_changed, optional=False)
    kinds.register("password_reset", label=_("Password reset link"),
                      build=build_password_reset, optional=False)
