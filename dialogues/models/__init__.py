"""Sessions, RSVPs and attendance, outcomes, reminder schedules, calendar feeds.

A capability with models of its own keeps them in a module beside this one
(`dialogues/models/<capability>.py`), imported at the end of this file so that
Django registers them and `from dialogues.models import X` works for every model.
"""

import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.content import ContentManager
from core.validity import (
    day_end,
    day_start,
    in_range,
    known_timezones,
    validate_date,
    validate_instant,
)
from participants.models import validate_timezone

MAX_SESSION_LENGTH = timedelta(hours=24)


class SessionFormat(models.TextChoices):
    STORYTELLING = "storytelling", _("storytelling")
    JOINT_BRAINSTORMING = "joint_brainstorming", _("joint brainstorming")
    PROBLEM_SOLVING_WORKSHOP = "problem_solving_workshop", _("problem-solving workshop")
    SUSTAINED_DIALOGUE = "sustained_dialogue", _("sustained dialogue")
    CULTURAL_EVENT = "cultural_event", _("cultural event")
    SPORTS_MATCH = "sports_match", _("sports match")
    LECTURE = "lecture", _("lecture")
    SOCIAL = "social", _("social")


class Confidentiality(models.TextChoices):
    OPEN = "open", _("Open")
    CHATHAM_HOUSE = "chatham_house", _("Chatham House")
    OFF_RECORD = "off_record", _("Off the record")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    CANCELLED = "cancelled", _("cancelled")
    COMPLETED = "completed", _("completed")


class Session(models.Model):
    Format = SessionFormat
    Confidentiality = Confidentiality
    Status = SessionStatus

    program = models.ForeignKey(
        "exchanges.Program", on_delete=models.CASCADE, related_name="sessions"
    )
    title = models.CharField(_("title"), max_length=200)
    format = models.CharField(_("format"), max_length=30, choices=SessionFormat.choices)
    starts_at = models.DateTimeField(_("starts at"), validators=[validate_instant])
    ends_at = models.DateTimeField(_("ends at"), validators=[validate_instant])
    timezone = models.CharField(_("timezone"), max_length=64, validators=[validate_timezone])
    location = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), max_length=500, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    confidentiality = models.CharField(
        _("confidentiality rule"),
        max_length=20,
        choices=Confidentiality.choices,
        default=Confidentiality.OPEN,
    )
    ground_rules = models.TextField(_("ground rules"), max_length=5000, blank=True)
    # When set, only this group's members may answer, get its reminders and attend.
    group = models.ForeignKey(
        "dialogues.DialogueGroup", on_delete=models.RESTRICT, null=True, blank=True,
        related_name="sessions", verbose_name=_("group"),
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="facilitated_sessions"
    )
    # Only "scheduled" and "cancelled" are stored; "completed" is derived from ends_at.
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ContentManager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gte=1),
                name="session_capacity_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["scheduled", "cancelled"]),
                name="session_stored_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(confidentiality__in=Confidentiality.values),
                name="session_confidentiality_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=SessionFormat.values), name="session_format_valid"
            ),
        ]
        indexes = [models.Index(fields=["program", "starts_at"], name="session_program_start")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if getattr(self, "venue_masked", False):
            raise RuntimeError("This session was prepared for a viewer (dialogues.venue.show); "
                               "load it again to change it.")
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        session = super().from_db(db, field_names, values)
        session._stored_schedule = session._schedule()
        return session

    def _schedule(self) -> tuple:
        return tuple(self.__dict__.get(name) for name in ("starts_at", "ends_at", "timezone"))

    def clean(self):
        """When a new or moved session may be: after its start, for at most 24 hours,
        within its program's dates and not in the past. Compares instants (UTC), never
        wall clocks. A session that stays put is not judged again."""
        if not (_is_aware_instant(self.starts_at) and _is_aware_instant(self.ends_at)):
            return  # the fields' own validators say why
        self.starts_at = self.starts_at.astimezone(UTC)
        self.ends_at = self.ends_at.astimezone(UTC)
        stored = getattr(self, "_stored_schedule", None)
        if stored is not None and self._schedule() == stored:
            return
        errors: dict[str, list] = {}
        if self.ends_at <= self.starts_at:
            errors["ends_at"] = [_("The end must be after the start.")]
        elif self.ends_at - self.starts_at > MAX_SESSION_LENGTH:
            errors["ends_at"] = [_("A session lasts at most 24 hours.")]
        for field, message in self._program_date_errors().items():
            errors.setdefault(field, []).append(message)
        if (stored is None or self.starts_at != stored[0]) and self.starts_at < timezone.now():
            errors.setdefault("starts_at", []).append(_("A session cannot start in the past."))
        if errors:
            raise ValidationError(errors)

    def program_bounds(self, program=None) -> tuple[datetime, datetime] | None:
        """The first instant of the program's first day and the end of its last day, in
        this session's timezone; None when either cannot be known."""
        program = program or (self.program if self.program_id else None)
        if program is None or self.timezone not in known_timezones():
            return None
        try:
            validate_date(program.starts_on)
            validate_date(program.ends_on)
        except (ValidationError, AttributeError):  # a program stored before the rule
            return None
        return day_start(program.starts_on, self.timezone), day_end(program.ends_on,
                                                                      self.timezone)

    def _program_date_errors(self) -> dict:
        bounds = self.program_bounds()
        if bounds is None:
            return {}
        first, after_last = bounds
        dates = {"start": self.program.starts_on.isoformat(),
                 "end": self.program.ends_on.isoformat(), "zone": self.timezone}
        if not first <= self.starts_at < after_last:
            return {"starts_at": _(
                "A session takes place within its program's dates: %(start)s to %(end)s "
                "(in %(zone)s)."
            ) % dates}
        if self.ends_at > after_last:
            return {"ends_at": _(
                "A session ends by the end of its program's last day, %(end)s (in %(zone)s)."
            ) % dates}
        return {}

    @property
    def venue_disclosed_at(self) -> datetime | None:
        """When participants are shown the place and link (None: at once)."""
        from dialogues.venue import disclosed_at

        return disclosed_at(self)

    @property
    def effective_status(self) -> str:
        if self.status == SessionStatus.SCHEDULED and self.ends_at <= timezone.now():
            return SessionStatus.COMPLETED
        return self.status

    @property
    def is_attributed(self) -> bool:
        return self.confidentiality == Confidentiality.OPEN


def _is_aware_instant(value) -> bool:
    return hasattr(value, "tzinfo") and timezone.is_aware(value) and in_range(value)


class RSVPResponse(models.TextChoices):
    YES = "yes", _("yes")
    NO = "no", _("no")


class RSVP(models.Model):
    Response = RSVPResponse

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="rsvps")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    response = models.CharField(_("response"), max_length=3, choices=RSVPResponse.choices)
    ground_rules_accepted_at = models.DateTimeField(
        _("ground rules accepted at"), null=True, blank=True
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), default=timezone.now)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="rsvp_one_per_session"),
            models.CheckConstraint(
                condition=models.Q(response__in=RSVPResponse.values), name="rsvp_response_valid"
            ),
        ]

    def __str__(self):
        return f"{self.participant} · {self.session}: {self.response}"


class OutcomeKind(models.TextChoices):
    IDEA = "idea", _("idea")
    AGREEMENT = "agreement", _("agreement")
    ACTION = "action", _("action")


class Outcome(models.Model):
    Kind = OutcomeKind

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(_("kind"), max_length=10, choices=OutcomeKind.choices)
    text = models.TextField(_("text"), max_length=5000)
    # Never stored under a non-open rule, so a later change of rule cannot reveal it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OutcomeKind.values), name="outcome_kind_valid"
            ),
        ]

    def __str__(self):
        # Not the text: the admin's log copies this, and keeps it after a deletion.
        return f"{self.get_kind_display()} #{self.pk}"


class ReminderKind(models.TextChoices):
    SESSION_REMINDER = "session_reminder", _("session reminder (before each session)")
    SESSION_FOLLOWUP = "session_followup", _("session follow-up (after each session)")
    PROGRAM_FOLLOWUP = "program_followup", _("program follow-up (after the program ends)")


DEFAULT_REMINDER_SCHEDULE = (
    (ReminderKind.SESSION_REMINDER, -1440),
    (ReminderKind.SESSION_REMINDER, -60),
    (ReminderKind.SESSION_FOLLOWUP, 1440),
    (ReminderKind.PROGRAM_FOLLOWUP, 43200),
    (ReminderKind.PROGRAM_FOLLOWUP, 129600),
)


class ReminderRule(models.Model):
    Kind = ReminderKind

    program = models.ForeignKey(
        "exchanges.Program", on_delete=models.CASCADE, related_name="reminder_rules"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    offset_minutes = models.IntegerField(_("offset in minutes"))

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["program", "kind", "offset_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "offset_minutes"], name="reminder_rule_unique"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="session_reminder", offset_minutes__lt=0)
                    | models.Q(
                        kind__in=["session_followup", "program_followup"], offset_minutes__gt=0
                    )
                ),
                name="reminder_rule_offset_direction",
                violation_error_message=_(
                    "Session reminders come before the session (negative offset); "
                    "follow-ups come after (positive offset)."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.offset_minutes:+d} min"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's private calendar-feed URL; revoking it issues a new token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"calendar feed of {self.user_id}"


from dialogues.models.evaluation import (  # noqa: E402, F401 - the capability's models
    MAX_FOLLOWUP_MONTHS,
    WAVE_NAMES,
    Evaluation,
    Respondent,
    SurveyResponse,
    Wave,
)
from dialogues.models.groups import DialogueGroup, GroupMember, GroupRound  # noqa: E402, F401
