"""Planning reminders and follow-ups into the outbox, and the reminder schedule.

Every function here runs inside the transaction of the change that causes it
(the exchanges signals are sent inside their services' transactions; the session
services call `session_created` / `session_rescheduled` / `session_cancelled`).

Who gets a message is settled twice: here, broadly (every accepted participant,
every scheduled session; for a session of one group, that group's accepted members),
and again by the kind's handler right before sending
(an RSVP "no", attendance, the preference), because those can change after
planning. Dedupe keys make planning idempotent: planning again moves pending rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.validity import in_range
from dialogues.groups.selectors import member_ids
from dialogues.models import DEFAULT_REMINDER_SCHEDULE, ReminderKind, ReminderRule, Session
from exchanges.activity import log_activity
from exchanges.models import Application, ApplicationStatus, Program, ProgramStatus
from exchanges.signals import application_status_changed, program_changed, program_created
from participants.models import Notification, NotificationStatus, User
from participants.outbox.services import cancel_pending

REMINDER_KINDS = tuple(ReminderKind.values)
SESSION_KINDS = (ReminderKind.SESSION_REMINDER, ReminderKind.SESSION_FOLLOWUP)
# A session's facilitators get its reminders too (at the session_reminder offsets), under
# their own kind: their handler checks the assignment, not an application.
FACILITATOR_REMINDER = "facilitator_reminder"
# A year either way is plenty, and keeps due times far from datetime's limits.
MAX_OFFSET_MINUTES = 366 * 24 * 60

Rule = tuple[str, int]


# --- The schedule -----------------------------------------------------------------------


def offset_problem(kind: str, offset_minutes: int) -> str | None:
    """Why this (kind, offset) cannot be in a schedule, or None. The one place for the rule."""
    if kind not in REMINDER_KINDS:
        return _("Choose session_reminder, session_followup or program_followup.")
    if abs(offset_minutes) > MAX_OFFSET_MINUTES:
        return _("An offset can be at most a year (%(max)d minutes).") % {
            "max": MAX_OFFSET_MINUTES}
    if kind == ReminderKind.SESSION_REMINDER and offset_minutes >= 0:
        return _("A session reminder comes before the session: the offset must be negative.")
    if kind != ReminderKind.SESSION_REMINDER and offset_minutes <= 0:
        return _("A follow-up comes after: the offset must be positive.")
    return None


def reminder_schedule(program: Program) -> list[Rule]:
    """Session reminders, then session follow-ups, then program follow-ups; by offset."""
    rules = ReminderRule.objects.filter(program=program).values_list("kind", "offset_minutes")
    return sorted(rules, key=lambda rule: (REMINDER_KINDS.index(rule[0]), rule[1]))


def reminder_schedule_set(*, program: Program, actor: User, rules: Iterable[Rule]) -> list[Rule]:
    """Replace a program's schedule and re-plan its pending messages (sent ones stay sent)."""
    wanted = sorted({(kind, int(offset)) for kind, offset in rules},
                    key=lambda rule: (REMINDER_KINDS.index(rule[0]) if rule[0] in REMINDER_KINDS
                                      else len(REMINDER_KINDS), rule[1]))
    problems = [offset_problem(kind, offset) for kind, offset in wanted]
    if any(problems):
        raise ValidationError({"rules": [p for p in problems if p]})
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if program.status == ProgramStatus.ARCHIVED:
            raise Conflict("invalid_transition", _("An archived program is read-only."))
        before = reminder_schedule(program)
        ReminderRule.objects.filter(program=program).delete()
        ReminderRule.objects.bulk_create(
            ReminderRule(program=program, kind=kind, offset_minutes=offset)
            for kind, offset in wanted
        )
        replan_program(program=program)
        log_activity(actor=actor, verb="program.reminders_changed", target=program,
                     organization_id=program.organization_id,
                     data={"from": [list(r) for r in before], "to": [list(r) for r in wanted]})
    return wanted


@receiver(program_created, dispatch_uid="dialogues.reminders.default_schedule")
def default_schedule(sender, *, program: Program, **kwargs) -> None:
    ReminderRule.objects.bulk_create(
        [ReminderRule(program=program, kind=kind, offset_minutes=offset)
         for kind, offset in DEFAULT_REMINDER_SCHEDULE],
        ignore_conflicts=True,
    )


# --- What to plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    recipient_id: int
    kind: str
    key: str
    due_at: datetime
    context: dict


def program_followup_base(program: Program) -> datetime | None:
    """Program follow-ups count from 00:00 UTC on the day after the program ends (None
    when that day lies beyond the calendar)."""
    try:
        return datetime.combine(program.ends_on + timedelta(days=1), time(0), tzinfo=UTC)
    except OverflowError:
        return None


def _due(anchor: datetime | None, offset_minutes: int) -> datetime | None:
    """anchor + offset, or None when that lies outside the valid years: such a message
    is never planned (a time before 1900 has passed; one after 2200 never comes)."""
    if anchor is None:
        return None
    try:
        due_at = anchor + timedelta(minutes=offset_minutes)
    except OverflowError:
        return None
    return due_at if in_range(due_at) else None


def _session_messages(session: Session, rules: list[Rule], user_ids: list[int]) -> list[Planned]:
    planned = []
    for kind, offset in rules:
        if kind not in SESSION_KINDS:
            continue
        anchor = session.starts_at if kind == ReminderKind.SESSION_REMINDER else session.ends_at
        due_at = _due(anchor, offset)
        if due_at is None:
            continue
        for user_id in user_ids:
            planned.append(Planned(
                recipient_id=user_id, kind=kind,
                key=f"{kind}:{session.pk}:{user_id}:{offset}",
                due_at=due_at,
                context={"session": session.pk, "program": session.program_id, "offset": offset},
            ))
    return planned


def _facilitator_messages(session: Session, rules: list[Rule],
                          user_ids: list[int] | None = None) -> list[Planned]:
    """The session's reminders for its facilitators (all of them unless `user_ids`)."""
    if user_ids is None:
        user_ids = [user.pk for user in session.facilitators.all()]
    planned = []
    for kind, offset in rules:
        due_at = _due(session.starts_at, offset) if kind == ReminderKind.SESSION_REMINDER else None
        if due_at is None:
            continue
        planned += [
            Planned(recipient_id=user_id, kind=FACILITATOR_REMINDER,
                    key=f"{FACILITATOR_REMINDER}:{session.pk}:{user_id}:{offset}",
                    due_at=due_at,
                    context={"session": session.pk, "program": session.program_id,
                             "offset": offset})
            for user_id in user_ids
        ]
    return planned


def _program_messages(program: Program, rules: list[Rule], user_ids: list[int]) -> list[Planned]:
    base = program_followup_base(program)
    due = {(kind, offset): _due(base, offset) for kind, offset in rules
           if kind == ReminderKind.PROGRAM_FOLLOWUP}
    return [
        Planned(recipient_id=user_id, kind=kind, key=f"{kind}:{program.pk}:{user_id}:{offset}",
                due_at=due_at, context={"program": program.pk, "offset": offset})
        for (kind, offset), due_at in due.items() if due_at is not None
        for user_id in user_ids
    ]


def _accepted_ids(program_id: int) -> list[int]:
    return list(
        Application.objects.filter(program_id=program_id, status=ApplicationStatus.ACCEPTED)
        .order_by("applicant_id")
        .values_list("applicant_id", flat=True)
    )


def _scheduled_sessions(program: Program) -> QuerySet[Session]:
    return Session.objects.filter(program=program, status=Session.Status.SCHEDULED)


def session_audience(session: Session, accepted_ids: list[int] | None = None) -> list[int]:
    """Who a session's reminders are for: the accepted participants, or, for a session
    of one group, the accepted members of that group."""
    user_ids = _accepted_ids(session.program_id) if accepted_ids is None else accepted_ids
    if session.group_id is None:
        return user_ids
    members = member_ids(session.group_id)
    return [user_id for user_id in user_ids if user_id in members]


# --- Writing the plan -------------------------------------------------------------------

PAST_WHEN_PLANNED = "its due time had already passed when it was planned"


def _apply(planned: list[Planned], *, organization_id: int) -> None:
    """Create, move or revive rows; a due time already past is never sent.

    Rows that change the same way (e.g. every reminder of a moved session at one
    offset) are updated together: one query per change, not per row.
    """
    now = timezone.now()
    existing: dict[str, Notification] = {}
    keys = [p.key for p in planned]
    for start in range(0, len(keys), 500):
        for row in Notification.objects.filter(dedupe_key__in=keys[start:start + 500]):
            existing[row.dedupe_key] = row
    new, changes = [], defaultdict(list)
    for plan in planned:
        row = existing.get(plan.key)
        if row is None:
            if plan.due_at > now:
                new.append(Notification(
                    recipient_id=plan.recipient_id, organization_id=organization_id,
                    kind=plan.kind, dedupe_key=plan.key, due_at=plan.due_at,
                    context=plan.context))
        elif change := _replanned(row, plan.due_at, now):
            changes[(row.status, tuple(sorted(change.items())))].append(row.pk)
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    for (status, change), pks in changes.items():
        # Conditional on the status read: a row the dispatcher claimed meanwhile is left.
        Notification.objects.filter(pk__in=pks, status=status).update(
            updated_at=now, **dict(change))


def _replanned(row: Notification, due_at: datetime, now: datetime) -> dict:
    """The fields to change on an existing row planned again for `due_at`."""
    if row.status == NotificationStatus.PENDING:
        if due_at <= now:
            return {"status": NotificationStatus.MISSED, "last_error": PAST_WHEN_PLANNED}
        return {"due_at": due_at} if row.due_at != due_at else {}
    if row.status in (NotificationStatus.CANCELLED, NotificationStatus.MISSED) and due_at > now:
        # Planned again for a time still ahead (the session moved, the rule came back):
        # the handler re-checks everything when it is due.
        return {"status": NotificationStatus.PENDING, "due_at": due_at, "attempts": 0,
                "last_error": ""}
    return {}


def _pending_of_program(program_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(
        status=NotificationStatus.PENDING, kind__in=REMINDER_KINDS, context__program=program_id
    )


# --- Events -----------------------------------------------------------------------------


def plan_for_participant(*, application: Application) -> None:
    program = application.program
    rules = reminder_schedule(program)
    user_ids = [application.applicant_id]
    planned = _program_messages(program, rules, user_ids)
    for session in _scheduled_sessions(program):
        planned += _session_messages(session, rules, session_audience(session, user_ids))
    _apply(planned, organization_id=program.organization_id)


def cancel_for_participant(*, application: Application, reason: str) -> int:
    return cancel_pending(
        _pending_of_program(application.program_id).filter(recipient_id=application.applicant_id),
        reason,
    )


@receiver(application_status_changed, dispatch_uid="dialogues.reminders.application_changed")
def application_changed(sender, *, application: Application, previous_status: str,
                        **kwargs) -> None:
    if application.status == ApplicationStatus.ACCEPTED:
        plan_for_participant(application=application)
    elif previous_status == ApplicationStatus.ACCEPTED:
        cancel_for_participant(application=application,
                               reason=f"the application was {application.status}")


def session_created(*, session: Session) -> None:
    """Plan the new session's reminders and follow-ups for every accepted participant."""
    if session.status != Session.Status.SCHEDULED:
        return
    program = session.program
    rules = reminder_schedule(program)
    planned = _session_messages(session, rules, session_audience(session))
    planned += _facilitator_messages(session, rules)
    _apply(planned, organization_id=program.organization_id)


def facilitators_changed(*, session: Session, removed: Iterable[int]) -> None:
    """Facilitators taken off the session lose its pending reminders; those added get
    them (planning again changes nothing for the others)."""
    cancel_pending(
        Notification.objects.filter(kind=FACILITATOR_REMINDER, context__session=session.pk,
                                    status=NotificationStatus.PENDING,
                                    recipient_id__in=list(removed)),
        "the recipient no longer facilitates the session",
    )
    session_created(session=session)


def session_rescheduled(*, session: Session) -> None:
    """Pending rows move with the session; one whose new time is already past is missed."""
    session_created(session=session)


def session_audience_changed(*, session: Session) -> None:
    """The session's group changed, or its members did: plan for who is in, cancel the
    pending messages of who is out."""
    audience = set(session_audience(session))
    cancel_pending(
        Notification.objects.filter(kind__in=SESSION_KINDS, context__session=session.pk,
                                    status=NotificationStatus.PENDING)
        .exclude(recipient_id__in=audience),
        "the recipient is not in the session's group",
    )
    session_created(session=session)


def session_cancelled(*, session: Session) -> int:
    return cancel_pending(
        Notification.objects.filter(kind__in=(*SESSION_KINDS, FACILITATOR_REMINDER),
                                    context__session=session.pk),
        "the session was cancelled",
    )


def replan_program(*, program: Program) -> None:
    """After a schedule change: rows for removed rules are cancelled, new ones planned."""
    rules = reminder_schedule(program)
    kept = set(rules)
    removed = [
        pk for pk, kind, context in _pending_of_program(program.pk)
        .values_list("pk", "kind", "context")
        if (kind, (context or {}).get("offset")) not in kept
    ]
    reminder_offsets = {offset for kind, offset in rules if kind == ReminderKind.SESSION_REMINDER}
    removed += [
        pk for pk, context in Notification.objects.filter(
            status=NotificationStatus.PENDING, kind=FACILITATOR_REMINDER,
            context__program=program.pk).values_list("pk", "context")
        if (context or {}).get("offset") not in reminder_offsets
    ]
    cancel_pending(Notification.objects.filter(pk__in=removed),
                   "removed from the program's reminder schedule")
    user_ids = _accepted_ids(program.pk)
    planned = _program_messages(program, rules, user_ids)
    for session in _scheduled_sessions(program).prefetch_related("facilitators"):
        planned += _session_messages(session, rules, session_audience(session, user_ids))
        planned += _facilitator_messages(session, rules)
    _apply(planned, organization_id=program.organization_id)


@receiver(program_changed, dispatch_uid="dialogues.reminders.program_changed")
def program_dates_changed(sender, *, program: Program, fields: list[str], **kwargs) -> None:
    if "ends_on" in fields:
        replan_program(program=program)


# --- Reads for the settings page --------------------------------------------------------


def upcoming_messages(program: Program, *, limit: int = 50) -> list[Notification]:
    """The next pending reminders and follow-ups of a program, each with `.session` set."""
    rows = list(
        _pending_of_program(program.pk).select_related("recipient").order_by("due_at", "pk")
        [:limit]
    )
    session_ids = {row.context.get("session") for row in rows} - {None}
    sessions = Session.objects.in_bulk(session_ids)
    for row in rows:
        row.session = sessions.get(row.context.get("session"))
    return rows
