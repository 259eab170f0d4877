"""Rendering once for many recipients (kinds.render_cache) gives each the very email a
render of their own would: their name, escaped in HTML, in their language."""

import pytest
from django.utils import timezone, translation

from dialogues.notices import build_session_cancelled, build_session_reminder
from exchanges.notices import build_application_notice
from participants.outbox import kinds
from tests.factories import (
    ApplicationFactory,
    NotificationFactory,
    RSVPFactory,
    SessionFactory,
    accepted_participant,
)

pytestmark = pytest.mark.django_db

NAMES = ["Ayşe O'Brien <b>&amp;</b>", 'Nikos "Nick" & Co', "דנה"]


@pytest.fixture
def renders(monkeypatch):
    calls = []
    original = kinds._render_parts

    def counted(template, context):
        calls.append(template)
        return original(template, context)

    monkeypatch.setattr(kinds, "_render_parts", counted)
    return calls


def application_notices(program=None, names=NAMES):
    program = program or ApplicationFactory().program
    rows = []
    for name in names:
        application = ApplicationFactory(program=program, side=program.sides.first(),
                                          applicant__display_name=name)
        rows.append(NotificationFactory(
            recipient=application.applicant, kind="application_received",
            context={"application": application.pk, "program": program.pk}))
    return rows


def fields(email):
    return (email.subject, email.text, email.html, email.attachments)


def cancellations(session, names=NAMES, **user_fields):
    people = [accepted_participant(session.program, display_name=name, **user_fields)
              for name in names]
    return [NotificationFactory(recipient=person, kind="session_cancelled",
                                context={"session": session.pk}) for person in people]


def test_shared_rendering_gives_each_recipient_their_own_email(renders):
    rows = cancellations(SessionFactory())
    alone = [fields(build_session_cancelled(row)) for row in rows]
    assert len(renders) == len(rows)
    renders.clear()
    with kinds.render_cache():
        shared = [fields(build_session_cancelled(row)) for row in rows]
    assert shared == alone
    assert len(renders) == 1  # rendered once for three recipients
    assert "Ayşe O&#x27;Brien &lt;b&gt;&amp;amp;&lt;/b&gt;" in shared[0][2]
    assert "Ayşe O'Brien <b>&amp;</b>" in shared[0][1]


def test_application_notices_on_one_side_render_once_and_equal_their_own(renders):
    rows = application_notices()
    alone = [fields(build_application_notice(row)) for row in rows]
    renders.clear()
    with kinds.render_cache():
        assert [fields(build_application_notice(row)) for row in rows] == alone
    assert len(renders) == 1
    assert "Hello Ayşe O'Brien <b>&amp;</b>," in alone[0][1]


def test_application_notices_render_once_per_side(renders):
    program = ApplicationFactory().program
    other_side = program.sides.create(name="South bank")
    rows = application_notices(program, names=["Ana", "Ben"])
    moved = rows[1].recipient.applications.get()
    moved.side = other_side
    moved.save()
    with kinds.render_cache():
        emails = [build_application_notice(row) for row in rows]
    assert len(renders) == 2
    assert f"(side: {other_side.name})" in emails[1].text
    assert f"(side: {other_side.name})" not in emails[0].text


def test_each_language_zone_and_session_is_rendered_on_its_own(renders):
    first, second = SessionFactory(), SessionFactory()
    rows = (cancellations(first, ["Ana", "Ben"]) + cancellations(second, ["Cem"])
            + cancellations(first, ["Dan"], timezone="America/New_York"))
    with kinds.render_cache():
        with translation.override("fr"):
            french = build_session_cancelled(rows[0])
        english = []
        for row in rows:
            with timezone.override(row.recipient.tzinfo):
                english.append(build_session_cancelled(row))
    assert len(renders) == 3 + 1  # French; English for each session; New York's zone
    assert french.subject != english[0].subject
    assert english[0].subject == english[1].subject != english[2].subject


def test_outside_the_cache_every_email_is_rendered(renders):
    rows = application_notices(names=["Ana", "Ben"])
    for row in rows:
        build_application_notice(row)
    assert len(renders) == 2


def test_a_recipient_without_a_name_is_rendered_on_their_own(renders):
    rows = cancellations(SessionFactory(), ["", "Ben"])
    with kinds.render_cache():
        nameless, named = (build_session_cancelled(row) for row in rows)
    assert "Hello ," in nameless.text or "Hello," in nameless.text
    assert kinds.NAME_MARK not in nameless.html + nameless.text
    assert "Hello Ben," in named.text


def test_session_emails_shared_equal_their_own(renders):
    session = SessionFactory()
    people = [accepted_participant(session.program, display_name=name) for name in NAMES]
    RSVPFactory(session=session, participant=people[0], response="yes")
    rows = [NotificationFactory(recipient=person, kind=kind, context={"session": session.pk})
            for person in people for kind in ("session_reminder", "session_cancelled")]
    builders = {"session_reminder": build_session_reminder,
                "session_cancelled": build_session_cancelled}
    alone = [fields(builders[row.kind](row)) for row in rows]
    with kinds.render_cache():
        shared = [fields(builders[row.kind](row)) for row in rows]
    assert shared == alone


def test_a_template_reading_more_than_the_name_is_not_shared(renders, settings, tmp_path):
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "spec_more_subject.txt").write_text("For {{ recipient.email }}")
    (folder / "spec_more.txt").write_text("Hello {{ recipient.display_name }}")
    (folder / "spec_more.html").write_text("<p>{{ recipient.display_name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    rows = application_notices(names=["Ana", "Ben"])
    with kinds.render_cache():
        subjects = [kinds.render_email("spec_more", {"recipient": row.recipient}).subject
                    for row in rows]
    assert subjects == [f"For {row.recipient.email}" for row in rows]
    assert len(renders) == 3  # the stand-in's render, thrown away, then one per recipient


def test_a_context_value_that_cannot_be_named_is_not_shared(renders):
    rows = application_notices(names=["Ana", "Ben"])
    application = rows[0].recipient.applications.get()
    with kinds.render_cache():
        for row in rows:
            kinds.render_email("application_received", {
                "recipient": row.recipient, "application": application,
                "program": application.program, "organization": application.program.organization,
                "extra": ["a list"]})
    assert len(renders) == 2
