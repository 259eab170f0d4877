"""The registry of message kinds, and how a message becomes an email.

`participants` sits at the bottom of the apps, so it cannot know what a "session
reminder" is. Each higher app registers its kinds from its AppConfig.ready(): a
handler that re-checks, right before sending, whether the message is still
relevant, and builds the email. The dispatcher only talks to this registry.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Model
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

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

    The caller has activated the recipient's language and timezone. Inside
    render_cache(), emails that differ only in the recipient's name are rendered once.
    """
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    parts = _shared_parts(template, context)
    if parts is None:
        parts = _render_parts(template, context)
    subject, text, html = parts
    return Email(subject=" ".join(subject.split())[:250], text=text, html=html)


def _render_parts(template: str, context: dict) -> tuple[str, str, str]:
    return (render_plain_text(f"emails/{template}_subject.txt", context),
            render_plain_text(f"emails/{template}.txt", context),
            render_to_string(f"emails/{template}.html", context))


# --- Rendering once for many recipients ------------------------------------------------

_CACHE: ContextVar[dict | None] = ContextVar("outbox_render_cache", default=None)
# Stands for the recipient's name in an email rendered to share: plain letters, which
# neither escaping nor <bdi> changes.
NAME_MARK = "ParleyRecipientNameMarkQz7"


@contextmanager
def render_cache():
    """Within it, emails that share everything but the recipient's name are rendered once.

    An email is shared when its context (the recipient aside) holds only model rows,
    named by their primary key, and plain values, and its templates read nothing of
    the recipient but the name; the name is put in per recipient, escaped for HTML.
    """
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


class _NameOnly:
    """The recipient while an email is rendered to share: reading more marks it unfit."""

    def __init__(self):
        self.display_name = NAME_MARK
        self.read_more = False

    def __getattr__(self, name):
        self.read_more = True
        raise AttributeError(name)


def _shared_parts(template: str, context: dict) -> tuple[str, str, str] | None:
    cache = _CACHE.get()
    recipient = context.get("recipient")
    name = getattr(recipient, "display_name", None)
    if cache is None or recipient is None or not name:
        return None
    key = _cache_key(template, context)
    if key is None:
        return None
    if key not in cache:
        stand_in = _NameOnly()
        parts = _render_parts(template, {**context, "recipient": stand_in})
        cache[key] = None if stand_in.read_more else parts
    if cache[key] is None:
        return None
    subject, text, html = cache[key]
    return (subject.replace(NAME_MARK, name), text.replace(NAME_MARK, name),
            html.replace(NAME_MARK, conditional_escape(name)))


_PLAIN = (str, int, float, bool, type(None), date, datetime, time)


def _cache_key(template: str, context: dict) -> tuple | None:
    """What an email's content depends on, or None when that cannot be told."""
    parts = []
    for name, value in sorted(context.items()):
        if name == "recipient":
            continue
        if isinstance(value, Model):
            parts.append((name, value._meta.label, value.pk))
        elif isinstance(value, _PLAIN):
            parts.append((name, value))
        else:
            return None
    return (template, get_language(), get_current_timezone_name(), tuple(parts))


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
