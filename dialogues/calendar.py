""".ics files: one session, or a person's private feed of all their sessions.

Calendar files carry no participant's name: only the session's own fields.
"""

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlparse

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from dialogues.models import Session, SessionStatus

PRODID = "-//Parley//Sessions//EN"


def _host() -> str:
    return urlparse(settings.SITE_URL).hostname or "parley.invalid"


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{_host()}"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def session_event(session: Session) -> Event:
    """A session prepared by dialogues.venue.show: only what its viewer may see."""
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", _utc(session.updated_at or session.created_at))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", session.title)
    link = session.online_url
    if not session.venue.withheld:  # before disclosure: no LOCATION at all
        event.add("location", session.location or link or _("Online"))
    description = [session.program.title]
    if link:
        description.append(link)
        event.add("url", link)
    event.add("description", "\n".join(description))
    if session.status == SessionStatus.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def calendar_bytes(events: Iterable[Event], *, name: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def session_ics(session: Session) -> bytes:
    return calendar_bytes([session_event(session)])


def feed_ics(sessions: Iterable[Session], *, name: str) -> bytes:
    return calendar_bytes((session_event(s) for s in sessions), name=name)


def ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
