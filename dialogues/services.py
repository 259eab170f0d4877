"""Every state change of sessions, RSVPs, attendance, outcomes and calendar feeds.

Each function takes keyword arguments, runs in one transaction and writes the
activity log. Field errors raise Django's ValidationError (a dict naming the
field); state conflicts raise core.errors.Conflict with the API's code; acting
on a session one can see but may not change raises PermissionDenied.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import content
from core.errors import Conflict
from core.validity import canonical_timezone
from dialogues.groups.selectors import group_of_program, is_in_group
from dialogues.models import (
    RSVP,
    CalendarFeed,
    Confidentiality,
    Outcome,
    OutcomeKind,
    RSVPResponse,
    Session,
    SessionStatus,
    new_feed_token,
)
from dialogues.reminders import services as reminders
from dialogues.selectors import program_access
from exchanges.activity import log_activity
from exchanges.models import Application, ApplicationStatus, Membership, Program
from exchanges.selectors import is_accepted_to, require_staff
from exchanges.signals import (
    membership_ending,
    program_dates_changing,
    program_languages_changed,
)
from participants.models import User
from participants.outbox.services import enqueue

SESSION_FIELDS = (
    "title", "format", "starts_at", "ends_at", "timezone", "location", "online_url",
    "capacity", "confidentiality", "ground_rules", "group",
)
TIME_FIELDS = ("starts_at", "ends_at")


class ItemErrors(ValidationError):
    """A list input failed: `items` holds one error dict per input item, in order."""

    def __init__(self, items: list[dict[str, list[str]]]):
        super().__init__(_("Some rows could not be saved; nothing was changed."))
        self.items = items


def default_ground_rules(rule: str) -> str:
    if rule == Confidentiality.CHATHAM_HOUSE:
        return _(
            "We speak under the Chatham House rule: what is said here may be used, but no "
            "one is quoted or identified. We listen without interrupting and speak for "
            "ourselves, not for our side."
        )
    if rule == Confidentiality.OFF_RECORD:
        return _(
            "Off the record: nothing said here leaves the room. No notes, recordings or "
            "photos. We listen without interrupting and speak for ourselves."
        )
    return _(
        "What is said here may be quoted and attributed. We listen without interrupting, "
        "speak for ourselves, and treat each other with respect."
    )


# --- Sessions ---


def session_create(
    *, program: Program, actor: User, facilitators: Iterable[int | User] = (),
    translations: dict | None = None, **fields: Any
) -> Session:
    """`title` and `ground_rules` are the texts in the program's main language;
    `translations` ({field: {language: text}}) adds its other languages."""
    require_staff(actor, program.organization_id)
    session = Session(program=program)
    _assign(session, fields)
    _write_texts(session, program, translations)
    if not content.main_text(session, "ground_rules").strip():
        session.ground_rules = default_ground_rules(session.confidentiality)
    content.align_columns(session, program.languages)
    facilitator_ids = _ids(facilitators)
    _validate(session, program, facilitator_ids)
    with transaction.atomic():
        session.save()
        session.facilitators.set(facilitator_ids)
        reminders.session_created(session=session)
        _notify_assigned(session, facilitator_ids)
        log_activity(actor=actor, verb="session.created", target=session,
                     organization_id=program.organization_id,
                     data={"program": program.pk, "facilitators": facilitator_ids})
    return session


def session_update(
    *, session: Session, actor: User, facilitators: Iterable[int | User] | None = None,
    translations: dict | None = None, **fields: Any
) -> Session:
    with transaction.atomic():
        session = _lock_session(session)
        program = session.program
        access = program_access(actor, program)
        if not access.is_staff:
            _ensure_facilitator_edit(access, session, _with_translations(fields, translations),
                                     facilitators)
        if session.status == SessionStatus.CANCELLED:
            raise Conflict("invalid_transition", _("A cancelled session cannot be changed."))
        before = {name: getattr(session, name)
                  for name in (*TIME_FIELDS, "confidentiality", "group_id")}
        old_default = default_ground_rules(session.confidentiality)
        _assign(session, fields)
        _write_texts(session, program, translations)
        _refresh_ground_rules(session, _with_translations(fields, translations), old_default)
        content.align_columns(session, program.languages)
        facilitator_ids = _ids(facilitators) if facilitators is not None else None
        _validate(session, program, facilitator_ids)
        _validate_capacity_against_yes(session)
        previous_facilitators = set(session.facilitators.values_list("pk", flat=True))
        session.save()
        if facilitator_ids is not None:
            session.facilitators.set(facilitator_ids)
        rescheduled = any(getattr(session, name) != before[name] for name in TIME_FIELDS)
        if rescheduled:
            reminders.session_rescheduled(session=session)
        if facilitator_ids is not None and set(facilitator_ids) != previous_facilitators:
            reminders.facilitators_changed(session=session,
                                           removed=previous_facilitators - set(facilitator_ids))
            _notify_assigned(session, set(facilitator_ids) - previous_facilitators)
        if session.group_id != before["group_id"]:
            reminders.session_audience_changed(session=session)
        log_activity(
            actor=actor, verb="session.rescheduled" if rescheduled else "session.updated",
            target=session, organization_id=program.organization_id,
            data=_change_data(session, before, _with_translations(fields, translations),
                              facilitator_ids),
        )
    return session


def session_cancel(*, session: Session, actor: User, reason: str = "") -> Session:
    with transaction.atomic():
        session = _lock_session(session)
        require_staff(actor, session.program.organization_id)
        if session.effective_status != SessionStatus.SCHEDULED:
            raise Conflict("invalid_transition", _("Only a scheduled session can be cancelled."))
        session.status = SessionStatus.CANCELLED
        session.cancel_reason = reason.strip()[:500]
        session.save(update_fields=["status", "cancel_reason", "updated_at"])
        _notify_cancelled(session)
        log_activity(actor=actor, verb="session.cancelled", target=session,
                     organization_id=session.program.organization_id,
                     data={"reason": session.cancel_reason})
    return session


def _cancellation_audience(session: Session) -> list[int]:
    """Everyone who might come: accepted participants who had not answered "no", and
    the session's facilitators."""
    said_no = RSVP.objects.filter(session=session, response=RSVPResponse.NO)
    accepted = (
        Application.objects.filter(program_id=session.program_id, status=ApplicationStatus.ACCEPTED)
        .exclude(applicant_id__in=said_no.values("participant_id"))
        .values_list("applicant_id", flat=True)
    )
    facilitators = session.facilitators.values_list("pk", flat=True)
    return sorted(set(accepted) | set(facilitators))


def _notify_cancelled(session: Session) -> None:
    organization_id = session.program.organization_id
    for user_id in _cancellation_audience(session):
        enqueue(recipient_id=user_id, kind="session_cancelled",
                dedupe_key=f"session_cancelled:{session.pk}:{user_id}",
                organization_id=organization_id,
                context={"session": session.pk, "program": session.program_id})
    reminders.session_cancelled(session=session)


def _notify_assigned(session: Session, user_ids: Iterable[int]) -> None:
    """Tell facilitators newly assigned to the session (their reminders are planned by
    the reminder service)."""
    stamp = int(timezone.now().timestamp())
    for user_id in sorted(user_ids):
        enqueue(recipient_id=user_id, kind="facilitator_assigned",
                dedupe_key=f"facilitator_assigned:{session.pk}:{user_id}:{stamp}",
                organization_id=session.program.organization_id,
                context={"session": session.pk, "program": session.program_id})


def _assign(session: Session, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown session fields: {sorted(unknown)}")
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "capacity" and value == "":
            value = None
        if name == "timezone":
            value = canonical_timezone(value)
        if name == "group":  # a group, its id, or None
            name, value = "group_id", getattr(value, "pk", value)
        setattr(session, name, value)


def _with_translations(fields: dict[str, Any], translations: dict | None) -> dict[str, Any]:
    """The fields a request writes, a translated text counting as its field."""
    return {**{name: True for name in translations or {}}, **fields}


def _write_texts(session: Session, program: Program, translations: dict | None) -> None:
    problems = content.foreign_languages(translations, program.languages)
    if problems:
        raise ValidationError({"translations": problems})
    content.write(session, translations, main=program.main_language)


@receiver(program_languages_changed, dispatch_uid="dialogues.services.session_languages")
def _sessions_follow_program_languages(sender, program, old_languages, **kwargs) -> None:
    for session in Session.objects.filter(program=program):
        content.realign(session, old_languages, program.languages)
        session.save(update_fields=content.columns_of(session))


def _refresh_ground_rules(session: Session, fields: dict[str, Any], old_default: str) -> None:
    """Empty rules get the rule's default; so do untouched defaults when the rule changes."""
    rules = content.main_text(session, "ground_rules")
    untouched_default = "ground_rules" not in fields and rules == old_default
    if not rules.strip() or untouched_default:
        session.ground_rules = default_ground_rules(session.confidentiality)


def _validate(session: Session, program: Program, facilitator_ids: list[int] | None) -> None:
    errors: dict[str, list[str]] = {}
    for name in TIME_FIELDS:
        value = getattr(session, name)
        if isinstance(value, datetime) and timezone.is_naive(value):
            errors[name] = [_("Give the time with its UTC offset.")]
    try:
        # Session.clean() holds the rules of when a session may be (core.validity).
        session.full_clean(exclude=["program", "group", *errors], validate_unique=False,
                           validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if session.group_id is not None and group_of_program(program.pk, session.group_id) is None:
        errors["group"] = [_("Choose a group of this program's rounds, or none.")]
    if facilitator_ids and _non_members(program, facilitator_ids):
        errors["facilitators"] = [
            _("Facilitators must be members of the program's organization.")
        ]
    if errors:
        raise ValidationError(errors)


@receiver(program_dates_changing, dispatch_uid="dialogues.services.sessions_within_program")
def sessions_within_program(sender, *, program: Program, **kwargs) -> dict[str, str]:
    """New program dates must still hold its scheduled sessions (past ones included)."""
    early = late = 0
    for session in Session.objects.filter(program_id=program.pk,
                                          status=SessionStatus.SCHEDULED):
        bounds = session.program_bounds(program)
        if bounds is None:
            continue
        early += session.starts_at < bounds[0]
        late += session.ends_at > bounds[1]
    problems = {}
    if early:
        problems["starts_on"] = ngettext(
            "%(n)d session takes place before this date: move or cancel it first.",
            "%(n)d sessions take place before this date: move or cancel them first.",
            early) % {"n": early}
    if late:
        problems["ends_on"] = ngettext(
            "%(n)d session takes place after this date: move or cancel it first.",
            "%(n)d sessions take place after this date: move or cancel them first.",
            late) % {"n": late}
    return problems


def _non_members(program: Program, user_ids: list[int]) -> set[int]:
    members = set(
        Membership.objects.filter(organization_id=program.organization_id, user_id__in=user_ids)
        .values_list("user_id", flat=True)
    )
    return set(user_ids) - members


def _validate_capacity_against_yes(session: Session) -> None:
    if session.capacity is None:
        return
    yes = RSVP.objects.filter(session=session, response=RSVPResponse.YES,
                              participant__erased_at__isnull=True).count()
    if session.capacity < yes:
        raise ValidationError({"capacity": _(
            "The capacity cannot be below the number who already said yes (%(n)d)."
        ) % {"n": yes}})


def _ensure_facilitator_edit(access, session, fields, facilitators) -> None:
    if not access.is_facilitator(session):
        raise PermissionDenied(_("Only the program's staff can change this session."))
    if set(fields) - {"ground_rules"} or facilitators is not None:
        raise PermissionDenied(_("Facilitators can change only the ground rules."))


def _change_data(session, before, fields, facilitator_ids) -> dict[str, Any]:
    data: dict[str, Any] = {"fields": sorted(fields)}
    if facilitator_ids is not None:
        data["facilitators"] = facilitator_ids
    for name in TIME_FIELDS:
        if getattr(session, name) != before[name]:
            data[f"{name}_from"] = before[name].isoformat()
    return data


def _ids(users: Iterable[int | User]) -> list[int]:
    ids = [user.pk if isinstance(user, User) else int(user) for user in users]
    return list(dict.fromkeys(ids))


def _lock_session(session: Session) -> Session:
    """The one lock a transaction takes: RSVP counts and state changes happen under it."""
    return Session.objects.select_for_update().select_related("program").get(pk=session.pk)


def _ensure_can_run(actor: User, session: Session) -> None:
    if not program_access(actor, session.program).can_run(session):
        raise PermissionDenied(_("Only the program's staff and this session's facilitators "
                                 "can do this."))


# --- Leaving an organization ---


@receiver(membership_ending, dispatch_uid="dialogues.services.drop_facilitation")
def drop_facilitation(sender, *, membership: Membership, actor=None, **kwargs) -> None:
    """Whoever leaves an organization stops facilitating its sessions, in the same
    transaction as the removal."""
    assignments = Session.facilitators.through.objects.filter(
        user_id=membership.user_id,
        session__program__organization_id=membership.organization_id,
    )
    session_ids = sorted(assignments.values_list("session_id", flat=True))
    if not session_ids:
        return
    assignments.delete()
    log_activity(actor=actor, verb="session.facilitator_removed", target=None,
                 organization_id=membership.organization_id,
                 data={"user": membership.user_id, "sessions": session_ids})


# --- RSVP ---


def rsvp_respond(
    *, session: Session, participant: User, response: str, accept_ground_rules: bool = False
) -> RSVP:
    if response not in RSVPResponse.values:
        raise ValidationError({"response": _("Answer yes or no.")})
    with transaction.atomic():
        session = _lock_session(session)
        if not is_accepted_to(participant, session.program_id):
            raise Conflict("not_accepted",
                           _("Only accepted participants of this program can answer."))
        if session.group_id is not None and not is_in_group(participant, session.group_id):
            raise Conflict("not_in_group",
                           _("This session is for the members of %(group)s only.")
                           % {"group": session.group.name})
        if session.effective_status != SessionStatus.SCHEDULED:
            raise Conflict("invalid_transition",
                           _("This session is %(status)s; it takes no answers.")
                           % {"status": SessionStatus(session.effective_status).label})
        rsvp = RSVP.objects.filter(session=session, participant=participant).first()
        rsvp = rsvp or RSVP(session=session, participant=participant)
        if accept_ground_rules and rsvp.ground_rules_accepted_at is None:
            rsvp.ground_rules_accepted_at = timezone.now()
        if response == RSVPResponse.YES:
            _ensure_can_say_yes(session, rsvp)
        rsvp.response = response
        rsvp.responded_at = timezone.now()
        rsvp.save()
        log_activity(actor=participant, verb="session.rsvp", target=session,
                     organization_id=session.program.organization_id,
                     data={"response": response})
    return rsvp


def _ensure_can_say_yes(session: Session, rsvp: RSVP) -> None:
    if session.confidentiality != Confidentiality.OPEN and rsvp.ground_rules_accepted_at is None:
        raise Conflict("ground_rules_required",
                       _("Accept the session's ground rules before saying yes."))
    if session.capacity is None or rsvp.response == RSVPResponse.YES:
        return
    yes = RSVP.objects.filter(session=session, response=RSVPResponse.YES,
                              participant__erased_at__isnull=True).count()
    if yes >= session.capacity:
        raise Conflict("capacity_full", _("This session is full."))


# --- Attendance ---


def attendance_mark(
    *, session: Session, actor: User, marks: Sequence[dict[str, Any]]
) -> list[RSVP]:
    """Mark who attended: `marks` is [{"participant": user id, "attended": bool|None}].

    All or nothing: any bad row raises ItemErrors with one dict per row, in order.
    """
    _ensure_can_run(actor, session)
    with transaction.atomic():
        session = _lock_session(session)
        if session.status == SessionStatus.CANCELLED:
            raise Conflict("invalid_transition", _("A cancelled session has no attendance."))
        rsvps = {r.participant_id: r for r in
                 RSVP.objects.filter(session=session).select_related("participant")}
        errors, seen, changed = [], set(), []
        for mark in marks:
            errors.append(_mark_error(mark, rsvps, seen))
            if not errors[-1]:
                rsvp = rsvps[mark["participant"]]
                rsvp.attended = mark["attended"]
                changed.append(rsvp)
        if any(errors):
            raise ItemErrors(errors)
        RSVP.objects.bulk_update(changed, ["attended"])
        log_activity(actor=actor, verb="session.attendance_marked", target=session,
                     organization_id=session.program.organization_id,
                     data={"marks": [[r.participant_id, r.attended] for r in changed]})
    return changed


def _mark_error(mark: dict[str, Any], rsvps: dict[int, RSVP], seen: set[int]) -> dict:
    participant = mark.get("participant")
    if participant not in rsvps:
        return {"participant": [_("This person has not answered this session's invitation.")]}
    if participant in seen:
        return {"participant": [_("This person is listed twice.")]}
    if rsvps[participant].participant.erased_at is not None:
        return {"participant": [_("This person erased their account: their attendance "
                                  "is no longer recorded.")]}
    seen.add(participant)
    if mark.get("attended") not in (True, False, None):
        return {"attended": [_("Give true, false or null.")]}
    return {}


def attendees_export(*, session: Session, actor: User) -> None:
    """Record an export of the attendee list; only open sessions may be exported."""
    _ensure_can_run(actor, session)
    if session.confidentiality != Confidentiality.OPEN:
        raise Conflict("confidential",
                       _("The attendee list of a confidential session cannot be exported."))
    with transaction.atomic():
        log_activity(actor=actor, verb="session.attendees_exported", target=session,
                     organization_id=session.program.organization_id)


# --- Outcomes ---


def outcome_record(*, session: Session, actor: User, kind: str, text: str) -> Outcome:
    _ensure_can_run(actor, session)
    if session.status == SessionStatus.CANCELLED:
        raise Conflict("invalid_transition", _("A cancelled session has no outcomes."))
    outcome = Outcome(session=session, kind=kind, text=(text or "").strip())
    # Who recorded it is never stored under a non-open rule (here or in the activity
    # log), so a later change of rule cannot reveal it.
    outcome.author = actor if session.confidentiality == Confidentiality.OPEN else None
    if kind not in OutcomeKind.values:
        raise ValidationError({"kind": _("Choose idea, agreement or action.")})
    outcome.full_clean(exclude=["session", "author"], validate_constraints=False)
    with transaction.atomic():
        outcome.save()
        # The target is the session: an outcome's text must not be copied into the log.
        log_activity(actor=outcome.author, verb="outcome.recorded", target=session,
                     organization_id=session.program.organization_id,
                     data={"outcome": outcome.pk, "kind": kind})
    return outcome


# --- Calendar feeds ---


def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    with transaction.atomic():
        feed, created = CalendarFeed.objects.get_or_create(user=user)
        if created:
            log_activity(actor=user, verb="calendar_feed.created", target=None)
    return feed


def calendar_feed_revoke(*, user: User) -> CalendarFeed:
    with transaction.atomic():
        feed, _created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        feed.token = new_feed_token()
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
        log_activity(actor=user, verb="calendar_feed.revoked", target=None)
    return feed
