"""Done when: in every language, the main pages and every email carry no English string
of ours.

Each page (and email) is rendered in English and in the language; every piece of our
English text (a catalogue msgid, split at its placeholders and markup) that the
English rendering shows must be gone from the translated one. The world below is
written without English words, so people's content never looks like ours; a piece
of text that the language's own catalogue also contains (a proper name such as
Parley, "Chatham House" in French) cannot be told apart and is not checked.
"""

import functools
import re
from datetime import timedelta
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone, translation

from core.catalogues import catalogue_files
from dialogues.models import RSVP
from participants.models import Notification
from participants.outbox import kinds
from participants.outbox.dispatch import dispatch_outbox
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
SPLIT = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>|&[a-z]+;")
VISIBLE_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "data-confirm"}


@functools.cache
def _catalogue(lang):
    [path] = [p for p in catalogue_files() if p.parent.parent.name == lang]
    return [e for e in polib.pofile(str(path)) if not e.obsolete]


def _pieces(text: str) -> set[str]:
    return {p.strip(" .,:;·—–()“”\"'") for p in SPLIT.split(text)} - {""}


def _ours() -> set[str]:
    """Every piece of English text of ours, at least two letters long."""
    pieces = set()
    for entry in _catalogue(LANGUAGES[0]):
        for text in filter(None, (entry.msgid, entry.msgid_plural)):
            pieces |= {p for p in _pieces(text) if len(re.findall(r"[A-Za-z]", p)) >= 2}
    return pieces


@functools.cache
def _undetectable(lang) -> set[str]:
    """English pieces that the language's own translations also contain."""
    translations = " ".join(
        " ".join(filter(None, [e.msgstr, *e.msgstr_plural.values()])) for e in _catalogue(lang))
    return {piece for piece in OURS if piece in translations}


OURS = _ours()


class _Text(HTMLParser):
    """The text a reader sees or hears: text nodes and the visible attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        # IANA zone names are not ours; the switcher names each language in itself.
        if tag in {"script", "style"} or (tag == "select" and (
                attrs.get("name") == "timezone" or attrs.get("id") == "footer-language")):
            self._skip.append(tag)
        self.parts.extend(v for k, v in attrs.items() if k in VISIBLE_ATTRIBUTES and v)

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " | ".join(" ".join(part.split()) for part in parser.parts)


def shown(text: str, piece: str) -> bool:
    """A piece shows as a phrase, not inside another word."""
    return re.search(rf"(?<![\w]){re.escape(piece)}(?![\w])", text) is not None


def english_left(english: str, translated: str, lang: str) -> tuple[list[str], list[str]]:
    skip = _undetectable(lang)
    in_english = [p for p in OURS if p not in skip and shown(english, p)]
    return in_english, sorted(p for p in in_english if shown(translated, p))


# --- The world, without English words -----------------------------------------------------

@pytest.fixture
def world():
    staff = UserFactory(display_name="Despina")
    org = OrganizationFactory(name="Gefyra Köprü", slug="gefyra")
    MembershipFactory(organization=org, user=staff, role="owner")
    program = program_with_sides("Vorreia", "Notia", organization=org, title="Zafiri Kalimera",
                                 summary="Kalimera zafiri.", description="Ela ela.",
                                 location="Lefkosia", status="published")
    reader = UserFactory(display_name="Nurdan", language="en")
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=reader, status="accepted",
                                     motivation="Merhaba dostlar.")
    session = SessionFactory(program=program, title="Kyklos", location="Ledra",
                             ground_rules="Sevgi ve saygi.",
                             starts_at=timezone.now() + timedelta(days=3))
    session.facilitators.set([staff])
    return {"staff": staff, "org": org, "program": program, "reader": reader,
            "application": application, "session": session}


def _page(client, world, name, lang):
    reader, program, session = world["reader"], world["program"], world["session"]
    visitor_pages = {"sign-in": "/accounts/login/", "sign-up": "/accounts/signup/",
                     "home": "/", "catalogue": "/programs/"}
    if name in visitor_pages:
        client.logout()
        return client.get(visitor_pages[name], HTTP_ACCEPT_LANGUAGE=lang)
    reader.language = lang
    reader.save(update_fields=["language"])
    client.force_login(reader)
    path = {"program": f"/programs/{program.pk}/", "session": f"/sessions/{session.pk}/",
            "my data": "/me/data/", "my programs": "/me/programs/",
            "my sessions": "/me/sessions/", "profile": "/me/profile/",
            "messages": "/me/messages/"}[name]
    return client.get(path, HTTP_ACCEPT_LANGUAGE="en")


PAGES = ["sign-in", "sign-up", "home", "catalogue", "program", "session", "my data",
         "my programs", "my sessions", "profile", "messages"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_pages_carry_no_english_of_ours(client, world, name, lang):
    english = _page(client, world, name, "en")
    translated = _page(client, world, name, lang)
    assert english.status_code == translated.status_code == 200
    assert translated.headers["Content-Language"] == lang
    checked, left = english_left(visible_text(english.content.decode()),
                                 visible_text(translated.content.decode()), lang)
    assert len(checked) >= 5, "the English page shows too little of ours to compare"
    assert left == []


# --- Emails ---------------------------------------------------------------------------------

def _email_contexts(world):
    session, program, application = world["session"], world["program"], world["application"]
    RSVP.objects.create(session=session, participant=world["reader"], response="yes")
    return {
        "application_received": {"application": application.pk},
        "application_accepted": {"application": application.pk},
        "application_promoted": {"application": application.pk},
        "session_reminder": {"session": session.pk, "program": program.pk, "offset": -60},
        "session_followup": {"session": session.pk, "program": program.pk, "offset": 60},
        "program_followup": {"program": program.pk, "offset": 30 * 24 * 60},
        "session_cancelled": {"session": session.pk},
    }


def _email(world, kind, context, lang) -> str:
    reader = world["reader"]
    reader.language = lang
    notification = Notification(recipient=reader, kind=kind, context=context,
                                dedupe_key=f"{kind}:{lang}", due_at=timezone.now())
    with translation.override(lang), timezone.override(reader.tzinfo):
        email = kinds.kind(kind).build(notification)
    return " | ".join([email.subject, " ".join(email.text.split()), visible_text(email.html)])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_email_kind_carries_no_english_of_ours(world, lang):
    contexts = _email_contexts(world)
    application = world["application"]
    for status, kinds_of_status in {"waitlisted": ["application_waitlisted"],
                                    "declined": ["application_declined"]}.items():
        contexts[kinds_of_status[0]] = {"application": application.pk, "status": status}
    for kind, context in contexts.items():
        status = context.pop("status", "accepted")
        type(application).objects.filter(pk=application.pk).update(status=status)
        checked, left = english_left(_email(world, kind, context, "en"),
                                     _email(world, kind, context, lang), lang)
        assert len(checked) >= 3, kind
        assert left == [], kind


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_password_reset_email_carries_no_english_of_ours(client, world, lang):
    """The link goes through the outbox, in the language of the account it resets."""
    texts, reader = {}, world["reader"]
    for code in ("en", lang):
        cache.clear()  # the reset limits count in the cache
        mail.outbox.clear()
        reader.language = code
        reader.save(update_fields=["language"])
        client.post("/accounts/password_reset/", {"email": reader.email})
        dispatch_outbox()
        [message] = mail.outbox
        texts[code] = f"{message.subject} | {' '.join(message.body.split())}"
    checked, left = english_left(texts["en"], texts[lang], lang)
    assert len(checked) >= 3
    assert left == []


def test_the_check_finds_english_left_in_a_translation():
    english = visible_text("<h1>My sessions</h1><p>No past sessions yet.</p>")
    translated = visible_text("<h1>Οι συναντήσεις μου</h1><p>No past sessions yet.</p>")
    checked, left = english_left(english, translated, "el")
    assert set(checked) == {"My sessions", "No past sessions yet"}
    assert left == ["No past sessions yet"]
