"""Late venue disclosure (API.md "Safety"): the one rule for who sees a session's place
and online link, and from when.

A program may set `venue_disclosure_hours`: until that many hours before a session
starts, its place and link are withheld from everyone but the organization's staff
(owners, coordinators), its custodians and the session's facilitators — anonymous
readers, applicants and accepted participants included. The online link is, besides,
only ever shown to accepted participants and those who run the session.

Every surface that shows a session (pages, API, calendar files, the calendar feed,
reminder emails) asks `venue_for` (or `ProgramAccess.venue`) and shows only what it
answers; `show` puts that answer on the in-memory session for templates and calendar
files, and marks it so that it can never be saved.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class ShownVenue:
    """What one viewer is shown of a session's venue, at one moment."""

    location: str | None  # None: withheld (or, for the link, not for this viewer)
    online_url: str | None
    withheld: bool  # hidden from this viewer until `disclosed_at`
    disclosed_at: datetime | None  # None: the program discloses at once
    link_for_others: bool  # a link exists that this viewer may not see (not withheld)
    disclosed: bool  # participants see it by now


def disclosed_at(session) -> datetime | None:
    """When the venue is disclosed to participants; None when the program has no delay."""
    hours = session.program.venue_disclosure_hours
    if hours is None:
        return None
    return session.starts_at - timedelta(hours=hours)


def is_disclosed(session, now: datetime | None = None) -> bool:
    at = disclosed_at(session)
    return at is None or (now or timezone.now()) >= at


def venue_for(session, *, sees_early: bool, sees_link: bool,
              now: datetime | None = None) -> ShownVenue:
    """The rule. `sees_early`: staff, custodian or the session's facilitator;
    `sees_link`: may see the online link at all (accepted participants and runners)."""
    at = disclosed_at(session)
    disclosed = is_disclosed(session, now)
    if not sees_early and not disclosed:
        return ShownVenue(location=None, online_url=None, withheld=True, disclosed_at=at,
                          link_for_others=False, disclosed=False)
    link = session.online_url if sees_link else ""
    return ShownVenue(location=session.location, online_url=link or None, withheld=False,
                      disclosed_at=at, link_for_others=bool(session.online_url) and not sees_link,
                      disclosed=disclosed)


def show(session, venue: ShownVenue):
    """Put what the viewer may see on the in-memory session (`session.venue`, and the
    place and link fields blanked where withheld). The session can no longer be saved."""
    session.location = venue.location or ""
    session.online_url = venue.online_url or ""
    session.venue = venue
    session.venue_masked = True
    return session


def show_all(sessions, access_of, now: datetime | None = None) -> list:
    """`show` for each session, with `access_of(session)` the viewer's ProgramAccess."""
    now = now or timezone.now()
    return [show(s, access_of(s).venue(s, now)) for s in sessions]
