"""The registry of message kinds, and how a message becomes an email.

`participants` sits at the bottom of the apps, so it cannot know what a "session
reminder" is. Each higher app registers its kinds from its AppConfig.ready(): a
handler that re-checks, right before sending, whether the message is still
relevant, and builds the email. The dispatcher only talks to this registry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.functional import Promise

from participants.models import Notification, NotificationStatus


class NotRelevant(Exception):  # noqa: N818 - a verdict, not an error
    """Raised by a handler: the message must not be sent (cancelled or missed)."""

    def __init__(self, reason: str, *, status: str = NotificationStatus.CANCELLED):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class Email:
    subject: str
    text: str
    html: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    # Another address than the recipient's own (a notice to the address they just left).
    to: str | None = None


Handler = Callable[[Notification], Email]


@dataclass(frozen=True)
class MessageKind:
    name: str
    label: str | Promise
    build: Handler
    # Reminders and follow-ups respect the recipient's notify_email; notices about
    # their own application and cancellations are always sent.
    optional: bool


_KINDS: dict[str, MessageKind] = {}


def register(name: str, *, label: str | Promise, build: Handler, optional: bool) -> None:
    _KINDS[name] = MessageKind(name=name, label=label, build=build, optional=optional)


def kind(name: str) -> MessageKind | None:
    return _KINDS.get(name)


def kind_label(name: str) -> str:
    registered = _KINDS.get(name)
    return str(registered.label) if registered else name


def render_email(template: str, context: dict) -> Email:
    """Subject, plain text and HTML from templates/emails/<template>_subject.txt, .txt, .html.

    The caller has activated the recipient's language and timezone.
    """
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    return Email(
        subject=" ".join(subject.split())[:250],
        text=render_to_string(f"emails/{template}.txt", context),
        html=render_to_string(f"emails/{template}.html", context),
    )


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "parley.invalid"


def message_id(dedupe_key: str) -> str:
    """Stable across retries and re-sends, so receivers can drop a duplicate."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@{site_domain()}>"
