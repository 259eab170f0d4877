"""Reminders, follow-ups and cancellation notices: relevance checks and emails.

Registered from DialoguesConfig.ready(). The dispatcher calls a handler right
before sending, inside the recipient's language and timezone; a handler raises
NotRelevant when the message must not go out any more.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from core import content
from core.templatetags.parley_time import format_time
from dialogues import venue
from dialogues.calendar import session_ics
from dialogues.groups.selectors import is_in_group
from dialogues.models import RSVP, ReminderKind, RSVPResponse, Session, SessionStatus
from dialogues.selectors import program_access
from exchanges.models import Membership, Program
from exchanges.selectors import is_accepted_to
from participants.models import Notification, NotificationStatus
from participants.outbox import kinds


def _sessions():
    return Session.objects.select_related("program__organization")


def prefetch_sessions(notifications: list[Notification]) -> None:
    """The sessions of a batch of messages in one query (the dispatcher calls it)."""
    ids = {n.context.get("session") for n in notifications}
    found = _sessions().in_bulk([pk for pk in ids if isinstance(pk, int)])
    for notification in notifications:
        notification.prefetched_session = found.get(notification.context.get("session"))


def _session(notification: Notification) -> Session:
    if hasattr(notification, "prefetched_session"):
        session = notification.prefetched_session
    else:
        session = _sessions().filter(pk=notification.context.get("session")).first()
    if session is None:
        raise kinds.NotRelevant("the session no longer exists")
    return session


def _ensure_accepted(notification: Notification, program_id: int) -> None:
    if not is_accepted_to(notification.recipient, program_id):
        raise kinds.NotRelevant("the recipient is no longer accepted to the program")


def _ensure_in_group(notification: Notification, session: Session) -> None:
    if session.group_id is not None and not is_in_group(notification.recipient,
                                                        session.group_id):
        raise kinds.NotRelevant("the recipient is not in the session's group")


def _session_context(notification: Notification, session: Session) -> dict:
    when = format_time(session.starts_at, event_tz=session.timezone)
    return {
        "recipient": notification.recipient,
        "session": session,
        "program": session.program,
        "organization": session.program.organization,
        "when_html": when,
        "when_text": strip_tags(when),
        "when_short": strip_tags(format_time(session.starts_at)),
    }


def build_session_reminder(notification: Notification) -> kinds.Email:
    session = _upcoming_session(notification)
    _ensure_accepted(notification, session.program_id)
    _ensure_in_group(notification, session)
    rsvp = RSVP.objects.filter(session=session, participant_id=notification.recipient_id).first()
    if rsvp is not None and rsvp.response == RSVPResponse.NO:
        raise kinds.NotRelevant("the recipient answered no")
    _show_venue_to_recipient(notification, session)
    email = kinds.render_email("session_reminder", {
        **_session_context(notification, session), "rsvp": rsvp,
    })
    email.attachments.append(("session.ics", session_ics(session), "text/calendar"))
    return email


def build_session_followup(notification: Notification) -> kinds.Email:
    session = _session(notification)
    if session.status == SessionStatus.CANCELLED:
        raise kinds.NotRelevant("the session was cancelled")
    _ensure_accepted(notification, session.program_id)
    _ensure_in_group(notification, session)
    rsvps = RSVP.objects.filter(session=session)
    attendance_taken = rsvps.filter(attended__isnull=False).exists()
    mine = rsvps.filter(participant_id=notification.recipient_id).first()
    if attendance_taken and not (mine is not None and mine.attended):
        raise kinds.NotRelevant("the recipient was not marked as attending")
    if not attendance_taken and not (mine is not None and mine.response == RSVPResponse.YES):
        raise kinds.NotRelevant("no attendance was taken and the recipient did not answer yes")
    return kinds.render_email("session_followup", _session_context(notification, session))


def build_program_followup(notification: Notification) -> kinds.Email:
    program = (
        Program.objects.select_related("organization")
        .filter(pk=notification.context.get("program"))
        .first()
    )
    if program is None:
        raise kinds.NotRelevant("the program no longer exists")
    _ensure_accepted(notification, program.pk)
    days = int(notification.context.get("offset", 0)) // (24 * 60)
    return kinds.render_email("program_followup", {
        "recipient": notification.recipient, "program": program,
        "organization": program.organization, "days": days,
    })


def build_session_cancelled(notification: Notification) -> kinds.Email:
    session = _session(notification)
    return kinds.render_email("session_cancelled", _session_context(notification, session))


def _ensure_facilitating(notification: Notification, session: Session) -> None:
    """Still assigned to the session and still a member of its organization."""
    recipient_id = notification.recipient_id
    if not (session.facilitators.filter(pk=recipient_id).exists()
            and Membership.objects.filter(user_id=recipient_id,
                                          organization_id=session.program.organization_id)
            .exists()):
        raise kinds.NotRelevant("the recipient no longer facilitates the session")


def _upcoming_session(notification: Notification) -> Session:
    """The reminder's session, unless it was cancelled or has started (then missed)."""
    session = _session(notification)
    if session.status == SessionStatus.CANCELLED:
        raise kinds.NotRelevant("the session was cancelled")
    if session.starts_at <= timezone.now():
        raise kinds.NotRelevant("the session had already started",
                                   status=NotificationStatus.MISSED)
    return session


def _show_venue_to_recipient(notification: Notification, session: Session) -> None:
    """Decided now, at sending: a message sent after the venue's disclosure carries it
    (facilitators and staff see it early)."""
    venue.show(session, program_access(notification.recipient, session.program).venue(session))


def build_facilitator_assigned(notification: Notification) -> kinds.Email:
    session = _session(notification)
    if session.effective_status != SessionStatus.SCHEDULED:
        raise kinds.NotRelevant("the session is no longer scheduled")
    _ensure_facilitating(notification, session)
    _show_venue_to_recipient(notification, session)
    email = kinds.render_email("facilitator_assigned", _session_context(notification, session))
    email.attachments.append(("session.ics", session_ics(session), "text/calendar"))
    return email


def build_facilitator_reminder(notification: Notification) -> kinds.Email:
    session = _upcoming_session(notification)
    _ensure_facilitating(notification, session)
    _show_venue_to_recipient(notification, session)
    return kinds.render_email("facilitator_reminder", _session_context(notification, session))


def session_titles(ids: set[int]) -> dict[int, str]:
    return content.titles(Session.objects.filter(pk__in=ids))


def register() -> None:
    kinds.register_about("session", session_titles, before="program")
    kinds.register(ReminderKind.SESSION_REMINDER, label=_("Session reminder"),
                      build=build_session_reminder, optional=True, prefetch=prefetch_sessions)
    kinds.register(ReminderKind.SESSION_FOLLOWUP, label=_("Session follow-up"),
                      build=build_session_followup, optional=True, prefetch=prefetch_sessions)
    kinds.register(ReminderKind.PROGRAM_FOLLOWUP, label=_("Program follow-up"),
                      build=build_program_followup, optional=True)
    kinds.register("session_cancelled", label=_("Session cancelled"),
                      build=build_session_cancelled, optional=False, prefetch=prefetch_sessions)
    kinds.register("facilitator_assigned", label=_("You facilitate a session"),
                   build=build_facilitator_assigned, optional=False)
    kinds.register("facilitator_reminder", label=_("Reminder of a session you facilitate"),
                   build=build_facilitator_reminder, optional=True)
