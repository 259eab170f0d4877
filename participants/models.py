"""People: the User (email login) with its participant profile, and the outbox."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedCharField, EncryptedDateField

# The timezone rule lives in core.validity; migrations name it here.
from core.validity import validate_timezone

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def validate_birth_date(value) -> None:
    if value < EARLIEST_BIRTH_DATE or value > dj_timezone.localdate():
        raise ValidationError(
            _("Give a date of birth between 1900-01-01 and today."), code="invalid_birth_date"
        )



def normalize_email(value: str | None) -> str:
    """The one spelling of an email that Parley stores and compares: stripped, lower-case.

    Used wherever an email comes in (sign-up, profile, admin, sign-in and its lock), so
    `Sara@x`, ` sara@x` and `sara@x` are one account with one count of failed sign-ins.
    """
    return (value or "").strip().lower()


def supported_language(code: str | None) -> str:
    """`code` when Parley speaks it, else the default language (English)."""
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        return normalize_email(email)

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=normalize_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The profile lives on the user: every person is a participant.

    `display_name` is what other participants see (it may be a pseudonym);
    `email`, `legal_name`, `institution` and `birth_date` are private to the person
    and to the staff of organizations they applied to.
    """

    email = models.EmailField(_("email"), max_length=254)
    display_name = models.CharField(_("display name"), max_length=80)
    # Encrypted at rest (core.encryption): never filter or sort on them in the database.
    legal_name = EncryptedCharField(_("legal name"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    institution = models.CharField(
        _("institution"), max_length=200, blank=True,
        help_text=_("School, club, congregation or employer."),
    )
    birth_date = EncryptedDateField(
        _("date of birth"), null=True, blank=True, validators=[validate_birth_date]
    )
    languages = models.CharField(
        _("languages"), max_length=200, blank=True, help_text=_("Comma-separated, e.g. en, el, tr")
    )
    timezone = models.CharField(
        _("timezone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    notify_email = models.BooleanField(
        _("reminder and follow-up emails"),
        default=True,
        help_text=_("Notices about your own applications and cancellations are always sent."),
    )
    # Quick exit: the person's name leaves every list other participants see (staff still
    # see them: they run the sessions) until they undo it.
    hidden_from_participants = models.BooleanField(
        _("hidden from other participants"), default=False,
        help_text=_("Your display name is left out of every list other participants see. "
                    "Organizers still see you."),
    )
    terms_version = models.CharField(_("terms version accepted"), max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    research_consent_at = models.DateTimeField(
        _("research consent given at"), null=True, blank=True
    )
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    is_staff = models.BooleanField(_("platform admin"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_unique_ci",
                violation_error_message=_("An account with this email already exists.")),
            models.CheckConstraint(condition=models.Q(email=Lower(Trim("email"))),
                                   name="user_email_normalized"),
        ]

    def __str__(self):
        return self.display_name or f"user {self.pk}"

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")
    MISSED = "missed", _("missed")
    FAILED = "failed", _("failed")


class Notification(models.Model):
    """One outgoing message in the transactional outbox.

    Written in the same transaction as the change that causes it; the dispatcher
    claims due pending rows and sends them. `dedupe_key` makes planning idempotent
    and gives the email its stable Message-ID. A message goes to a person
    (`recipient`) or, for the few that must reach an address whether or not it has an
    account (an invitation), to `recipient_email` alone.
    """

    Status = NotificationStatus

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient_email = models.EmailField(_("recipient email"), max_length=254, blank=True)
    organization = models.ForeignKey(
        "exchanges.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default="pending"
    )
    context = models.JSONField(_("context"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("outbox")
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_key_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=NotificationStatus.values),
                name="notification_status_valid",
            ),
            models.CheckConstraint(
                condition=(models.Q(recipient__isnull=False, recipient_email="")
                           | models.Q(recipient__isnull=True) & ~models.Q(recipient_email="")),
                name="notification_one_recipient",
            ),
        ]
        indexes = [
            # The dispatcher's claim: due pending rows, oldest first. Partial, so its
            # size follows the pending backlog, not the whole history.
            models.Index(
                fields=["due_at"],
                name="notification_pending_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["status", "claimed_at"], name="notification_status_claimed"),
            models.Index(fields=["recipient", "-due_at"], name="notification_recipient_due"),
        ]

    def __str__(self):
        to = self.recipient_id or _("an address")
        return f"{self.kind} → {to} @ {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def address(self) -> str:
        return self.recipient.email if self.recipient_id else self.recipient_email


class Heartbeat(models.Model):
    """When a periodic job last ran (one row per job, e.g. "beat"), for /healthz and
    /metrics. In the database, so every web process sees the same time."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
