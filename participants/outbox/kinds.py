"""The registry of message kinds, and how a message becomes an email.

`participants` sits at the bottom of the apps, so it cannot know what a "session
reminder" is. Each higher app registers its kinds from its AppConfig.ready(): a
handler that re-checks, right before sending, whether the message is still
relevant, and builds the email. The dispatcher only talks to this registry.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils.functional import Promise

from participants.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)


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
# Loads what a batch of messages of one kind is about in one query, for its handler to
# find on each notification (see exchanges.notices.prefetch_applications).
Prefetch = Callable[[list[Notification]], None]


@dataclass(frozen=True)
class MessageKind:
    name: str
    label: str | Promise
    build: Handler
    # Reminders and follow-ups respect the recipient's notify_email; notices about
    # their own application and cancellations are always sent.
    optional: bool
    prefetch: Prefetch | None = None


_KINDS: dict[str, MessageKind] = {}


def register(name: str, *, label: str | Promise, build: Handler, optional: bool,
             prefetch: Prefetch | None = None) -> None:
    _KINDS[name] = MessageKind(name=name, label=label, build=build, optional=optional,
                               prefetch=prefetch)


def prefetch(notifications: list[Notification]) -> None:
    """Let each kind load what a batch's messages are about, one query per kind instead
    of one per message. A prefetch that fails is logged; the handlers then look each
    message up on their own."""
    by_kind: dict[str, list[Notification]] = {}
    for notification in notifications:
        by_kind.setdefault(notification.kind, []).append(notification)
    for name, rows in by_kind.items():
        registered = _KINDS.get(name)
        if registered is None or registered.prefetch is None:
            continue
        try:
            registered.prefetch(rows)
        except Exception:
            logger.exception("outbox: prefetching %d %s messages failed", len(rows), name)


# What a message is about, for lists of messages: the apps that own sessions and
# programs register how to title them, most specific first ("session", "program").
TitlesOf = Callable[[set[int]], dict[int, str]]
_ABOUT: list[tuple[str, TitlesOf]] = []


def register_about(context_key: str, titles_of: TitlesOf, *, before: str | None = None) -> None:
    entry = (context_key, titles_of)
    keys = [key for key, _titles in _ABOUT]
    if context_key in keys:
        _ABOUT[keys.index(context_key)] = entry
    elif before in keys:
        _ABOUT.insert(keys.index(before), entry)
    else:
        _ABOUT.append(entry)


def describe(rows: list[Notification]) -> None:
    """Set `row.label` (the kind) and `row.about` ("Circle · Football & Dialogue") on each
    row, with one query per registered context key whatever the number of rows."""
    parts: dict[int, list[str]] = {row.pk: [] for row in rows}
    for key, titles_of in _ABOUT:
        ids = {row.context.get(key) for row in rows} - {None}
        titles = titles_of(ids) if ids else {}
        for row in rows:
            if title := titles.get(row.context.get(key)):
                parts[row.pk].append(title)
    for row in rows:
        row.label = kind_label(row.kind)
        row.about = " · ".join(parts[row.pk])


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
    subject = render_plain_text(f"emails/{template}_subject.txt", context)
    return Email(
        subject=" ".join(subject.split())[:250],
        text=render_plain_text(f"emails/{template}.txt", context),
        html=render_to_string(f"emails/{template}.html", context),
    )


def render_plain_text(template_name: str, context: dict) -> str:
    """Render a subject or plain-text body: text, not HTML, so nothing is HTML-escaped
    ("Women's Football & Dialogue", not "Women&#x27;s Football &amp; Dialogue")."""
    template = engines["django"].get_template(template_name).template
    return template.render(Context(context, autoescape=False))


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "parley.invalid"


def message_id(dedupe_key: str) -> str:
    """Stable across retries and re-sends, so receivers can drop a duplicate."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@{site_domain()}>"


@contextmanager
def render_cache():
    """Within it, emails that share everything but the recipient's name are rendered once."""
    yield
