"""Text people wrote keeps its own direction: on every page (and in HTML emails) each
piece of it sits inside <bdi> or an element with a dir attribute, so an Arabic title in
an English sentence, or a Latin name in a Hebrew one, never reorders the words around
it. Form fields get the same from the stylesheet (unicode-bidi: plaintext)."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone, translation

from dialogues.models import RSVP, Outcome
from exchanges import services as exchanges
from participants.models import Notification
from participants.outbox import kinds
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db
MARK = "مرحبا"  # every piece of people's text below contains it
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Isolation(HTMLParser):
    """Collects each text node with MARK that is not inside <bdi> or an element with dir."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.loose = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, "dir" in dict(attrs) and tag != "html"))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if MARK not in data:
            return
        tags = [tag for tag, _ in self.stack]
        if {"title", "option", "textarea"} & set(tags):
            return  # plain text only; the stylesheet isolates form fields
        if "bdi" not in tags and not any(has_dir for _, has_dir in self.stack):
            self.loose.append(" ".join(data.split()))


def loose_text(html: str) -> list[str]:
    parser = _Isolation()
    parser.feed(html)
    return parser.loose


@pytest.fixture
def world():
    staff = UserFactory(display_name=f"{MARK} Despina", language="ar")
    org = OrganizationFactory(name=f"{MARK} org", slug="marked")
    MembershipFactory(organization=org, user=staff, role="owner")
    program = program_with_sides(f"{MARK} north", f"{MARK} south", organization=org,
                                 title=f"{MARK} title", summary=f"{MARK} summary",
                                 description=f"{MARK} one\n\n{MARK} two",
                                 location=f"{MARK} place", status="published")
    reader = UserFactory(display_name=f"{MARK} Nur", legal_name=f"{MARK} legal", language="ar")
    application = ApplicationFactory(program=program, side=program.sides.first(),
                                     applicant=reader, status="pending",
                                     motivation=f"{MARK} motivation")
    exchanges.application_accept(application=application, actor=staff)
    session = SessionFactory(program=program, title=f"{MARK} session", location=f"{MARK} room",
                             ground_rules=f"{MARK} rules", starts_at=timezone.now()
                             + timedelta(days=3))
    session.facilitators.set([staff])
    RSVP.objects.create(session=session, participant=reader, response="yes")
    Outcome.objects.create(session=session, kind="idea", text=f"{MARK} outcome", author=staff)
    return {"staff": staff, "reader": reader, "program": program, "session": session,
            "org": org, "application": application}


def _pages(world):
    program, session = world["program"], world["session"]
    return {
        world["reader"]: ["/", "/programs/", f"/programs/{program.pk}/", "/me/programs/",
                          "/me/sessions/", f"/programs/{program.pk}/sessions/",
                          f"/sessions/{session.pk}/", "/me/messages/"],
        world["staff"]: [f"/sessions/{session.pk}/", f"/programs/{program.pk}/applications/",
                         "/orgs/marked/", "/orgs/marked/members/", "/orgs/marked/activity/",
                         f"/programs/{program.pk}/reminders/", f"/programs/{program.pk}/edit/",
                         f"/sessions/{session.pk}/cancel/", "/orgs/"],
    }


def test_peoples_text_is_isolated_on_every_page(client, world):
    checked = 0
    for viewer, paths in _pages(world).items():
        client.force_login(viewer)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            html = response.content.decode()
            checked += html.count(MARK)
            assert loose_text(html) == [], path
    assert checked > 60


def test_peoples_text_is_isolated_in_html_emails(world):
    session, application = world["session"], world["application"]
    reader = world["reader"]
    for kind, context in {"application_accepted": {"application": application.pk},
                          "session_reminder": {"session": session.pk, "offset": -60},
                          "session_cancelled": {"session": session.pk}}.items():
        notification = Notification(recipient=reader, kind=kind, context=context,
                                    dedupe_key=kind, due_at=timezone.now())
        with translation.override("ar"):
            html = kinds.kind(kind).build(notification).html
        assert MARK in html
        assert 'dir="rtl"' in html
        assert loose_text(html) == [], kind


def test_the_check_finds_text_that_is_not_isolated():
    assert loose_text(f"<p>Hello <bdi>{MARK}</bdi></p><p dir='auto'>{MARK}</p>") == []
    assert loose_text(f"<h1>{MARK} title</h1>") == [f"{MARK} title"]
    assert loose_text(f"<html dir='rtl'><p>{MARK}</p></html>") == [MARK]
