"""Organizations, memberships, programs, sides, applications and the activity log.

A capability with models of its own keeps them in a module beside this one
(`exchanges/models/<capability>.py`), imported at the end of this file so that
Django registers them and `from exchanges.models import X` works for every model.
"""

import hashlib
from base64 import urlsafe_b64encode
from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.content import ContentManager, validate_languages
from core.encryption import EncryptedEmailField
from core.validity import day_end, validate_canonical_timezone, validate_date, validate_instant


def link_token(purpose: str, nonce: str) -> str:
    """An emailed link's token: derived from a random nonce with the site's secret key, so
    the database holds neither the token nor anything that gives it without that key."""
    digest = salted_hmac(purpose, nonce, algorithm="sha256").digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_link_token(token: str) -> str:
    """What the database stores to find a link's row: a hash of its token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Role(models.TextChoices):
    OWNER = "owner", _("owner")
    COORDINATOR = "coordinator", _("coordinator")
    FACILITATOR = "facilitator", _("facilitator")
    CUSTODIAN = "custodian", _("custodian")


# Who may do what, in one place (exchanges.selectors asks these; so may other branches):
# staff change programs, applications and sessions; readers see them as staff do (the
# custodian reads without changing anything); only custodians reveal a protected identity.
STAFF_ROLES = (Role.OWNER, Role.COORDINATOR)
READER_ROLES = (*STAFF_ROLES, Role.CUSTODIAN)
REVEALER_ROLES = (Role.CUSTODIAN,)

# An applicant's fields that identity protection hides from every organization role
# outside a reveal, with the application's guardian_email (hidden with them wherever
# an application is shown to staff).
PROTECTED_APPLICANT_FIELDS = ("email", "legal_name", "birth_date", "institution")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    require_two_factor = models.BooleanField(_("staff must use two-factor sign-in"), default=False)
    identity_protection = models.BooleanField(
        _("identity protection"),
        default=False,
        help_text=_(
            "Only custodians see applicants' names and contact details, one person at a time, "
            "with a reason."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class MembershipStatus(models.TextChoices):
    INVITED = "invited", _("invited")
    ACTIVE = "active", _("active")
    DECLINED = "declined", _("declined")
    REVOKED = "revoked", _("revoked")


INVITATION_DAYS = 14


class ActiveMembershipManager(models.Manager):
    """Only people who are members: an invitation grants nothing until it is accepted."""

    def get_queryset(self):
        return super().get_queryset().filter(status=MembershipStatus.ACTIVE)


class SeatManager(models.Manager):
    """Members and invitations, open or closed."""


class Membership(models.Model):
    """A seat in an organization: an invitation that becomes the membership when accepted.

    Invitations and members live in one table so that they share one id space (the
    API's `members/{id}/` names either) and an accepted invitation keeps its id. The
    default manager `objects` sees active members only, and a constraint ties `user` to
    the active status, so every "is X a member" question stays safe by default;
    `Membership.seats` sees invitations too.
    """

    Status = MembershipStatus

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The invitation: the address it went to (kept while it is open), who sent it,
    # until when it works, and its token (only a hash of it; see invitation_token()).
    email = models.EmailField(_("invited email"), max_length=254, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("invitation expires at"), null=True, blank=True)
    token_nonce = models.CharField(max_length=64, blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    objects = ActiveMembershipManager()
    seats = SeatManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization", "user"]
        base_manager_name = "seats"
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MembershipStatus.values),
                name="membership_status_valid",
            ),
            # A person is attached only to an active membership; every invitation has a
            # token and an expiry.
            models.CheckConstraint(
                condition=(
                    models.Q(status=MembershipStatus.ACTIVE, user__isnull=False)
                    | (
                        ~models.Q(status=MembershipStatus.ACTIVE)
                        & models.Q(user__isnull=True, token_hash__isnull=False,
                                   expires_at__isnull=False)
                    )
                ),
                name="membership_user_iff_active",
            ),
        ]

    def __str__(self):
        if self.user_id is None:
            return f"{_('invitation')} · {self.organization} ({self.role})"
        return f"{self.user} · {self.organization} ({self.role})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def invitation_status(self) -> str:
        """What the invitation's link says: invited, accepted, declined, revoked, expired."""
        if self.status == MembershipStatus.ACTIVE:
            return "accepted"
        if self.status == MembershipStatus.INVITED and self.is_expired:
            return "expired"
        return self.status

    @property
    def is_open_invitation(self) -> bool:
        return self.invitation_status == MembershipStatus.INVITED

    @property
    def invitation_token(self) -> str:
        """The link's token, derived from a random nonce with the site's secret key: the
        database holds neither the token nor anything that gives it without that key,
        and the email built later from the outbox still gets the same link."""
        return link_token("parley.invitation", self.token_nonce)

    @staticmethod
    def hash_token(token: str) -> str:
        return hash_link_token(token)


class ProgramKind(models.TextChoices):
    STUDENT_EXCHANGE = "student_exchange", _("student exchange")
    FACULTY_EXCHANGE = "faculty_exchange", _("faculty exchange")
    FAITH = "faith", _("faith / church program")
    SPORTS = "sports", _("sports")
    CULTURAL = "cultural", _("cultural")
    SCIENTIFIC = "scientific", _("scientific")
    DIALOGUE = "dialogue", _("track-two dialogue")


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    CLOSED = "closed", _("closed")
    ARCHIVED = "archived", _("archived")


class Balance(models.TextChoices):
    PARITY = "parity", _("parity: equal seats per side")
    NONE = "none", _("none: only the total capacity counts")


MAX_PROGRAM_CAPACITY = 100_000
MAX_RETENTION_DAYS = 36_500
MAX_VENUE_DISCLOSURE_HOURS = 720
MIN_GUARDIAN_CONSENT_AGE, MAX_GUARDIAN_CONSENT_AGE = 1, 25
# Applications may close until the program's last day has ended everywhere on Earth:
# the latest zone (UTC-12) ends it last. Programs have no timezone of their own.
LAST_ZONE_ON_EARTH = "Etc/GMT+12"


# Programs everyone sees, and the catalogue's order: published ones, then closed ones.
PUBLIC_STATUSES = (ProgramStatus.PUBLISHED, ProgramStatus.CLOSED)
CLOSED_LAST = models.Case(
    models.When(status=ProgramStatus.CLOSED, then=models.Value(1)),
    default=models.Value(0),
    output_field=models.IntegerField(),
)


# Every text a program search looks in, as one expression: PostgreSQL's trigram index
# (migration 0013, the same text) and exchanges.selectors.search_programs use it. SQL,
# not a Concat of ~30 fields: that nests too deep for SQLite's parser.
SEARCH_TEXT_COLUMNS = (
    *(f"{field}{suffix}" for field in ("title", "summary", "description")
      for suffix in ("", *(f"_{code.replace('-', '_')}" for code, _name in settings.LANGUAGES))),
    "location",
)


def search_text_sql(table: str = "") -> str:
    """The expression; `table` qualifies its columns in a query that joins others."""
    prefix = f'"{table}".' if table else ""
    return " || ' ' || ".join(f"COALESCE({prefix}{column}, '')"
                              for column in SEARCH_TEXT_COLUMNS)


def default_languages() -> list[str]:
    return [settings.LANGUAGE_CODE]


class Program(models.Model):
    Kind = ProgramKind
    Status = ProgramStatus

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="programs"
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ProgramKind.choices)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), max_length=20000, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    is_online = models.BooleanField(_("online"), default=False)
    starts_on = models.DateField(_("starts on"), validators=[validate_date])
    ends_on = models.DateField(_("ends on"), validators=[validate_date])
    applications_close_at = models.DateTimeField(
        _("applications close at"), null=True, blank=True, validators=[validate_instant]
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PROGRAM_CAPACITY)],
    )
    # Where the program happens: its sessions are scheduled in this zone by default.
    timezone = models.CharField(
        _("timezone"), max_length=64, default="UTC", validators=[validate_canonical_timezone]
    )
    balance = models.CharField(
        _("balance rule"), max_length=10, choices=Balance.choices, default=Balance.PARITY
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT
    )
    retention_days = models.PositiveIntegerField(
        _("erase participants' personal data this many days after the program ends"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
    )
    venue_disclosure_hours = models.PositiveIntegerField(
        _("disclose each session's place and link this many hours before it starts"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_VENUE_DISCLOSURE_HOURS)],
    )
    guardian_consent_under = models.PositiveIntegerField(
        _("applicants younger than this need a guardian's consent"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_GUARDIAN_CONSENT_AGE),
                    MaxValueValidator(MAX_GUARDIAN_CONSENT_AGE)],
    )
    # The languages staff write this program's texts in; the first is its main language,
    # the one readers of other languages see (core.content).
    languages = models.JSONField(_("languages"), default=default_languages,
                                 validators=[validate_languages])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ContentManager()

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="program_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="program_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ProgramKind.values), name="program_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ProgramStatus.values), name="program_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(balance__in=Balance.values), name="program_balance_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(venue_disclosure_hours__isnull=True)
                | models.Q(venue_disclosure_hours__gte=0,
                           venue_disclosure_hours__lte=MAX_VENUE_DISCLOSURE_HOURS),
                name="program_venue_disclosure_hours_range",
            ),
            models.CheckConstraint(
                condition=models.Q(guardian_consent_under__isnull=True)
                | models.Q(guardian_consent_under__gte=MIN_GUARDIAN_CONSENT_AGE,
                           guardian_consent_under__lte=MAX_GUARDIAN_CONSENT_AGE),
                name="program_guardian_consent_age_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_on"], name="program_status_start"),
            # Each list's filter and order (exchanges.selectors): the whole table by start
            # (a signed-in reader's list), the public ones (anonymous list), the catalogue's
            # published-then-closed order, and one organization's programs.
            models.Index(fields=["starts_on", "id"], name="program_start"),
            models.Index(fields=["starts_on", "id"], name="program_public_start",
                         condition=models.Q(status__in=PUBLIC_STATUSES)),
            models.Index(CLOSED_LAST, "starts_on", "id", name="program_catalogue_order",
                         condition=models.Q(status__in=PUBLIC_STATUSES)),
            models.Index(fields=["organization", "starts_on", "id"], name="program_org_start"),
        ]

    def __str__(self):
        return self.title

    @property
    def main_language(self) -> str:
        return self.languages[0] if self.languages else settings.LANGUAGE_CODE

    def clean(self):
        """The rules across this row's fields; each field's own range is its validator."""
        errors = {}
        dates_valid = all(_valid(validate_date, d) for d in (self.starts_on, self.ends_on))
        if dates_valid and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The end date cannot be before the start date.")
        close = self.applications_close_at
        if dates_valid and close and _valid(validate_instant, close):
            last = day_end(self.ends_on, LAST_ZONE_ON_EARTH)
            if close.astimezone(UTC) > last:
                errors["applications_close_at"] = _(
                    "Applications must close by the end of the program's last day "
                    "(%(date)s)."
                ) % {"date": self.ends_on.isoformat()}
        if errors:
            raise ValidationError(errors)

    @property
    def is_open_for_applications(self) -> bool:
        if self.status != ProgramStatus.PUBLISHED:
            return False
        return self.applications_close_at is None or timezone.now() < self.applications_close_at


class ProgramTally(models.Model):
    """How many programs each organization has, public or not: the program lists' exact
    `count` without counting rows (exchanges.selectors.programs_visible_to).

    PostgreSQL keeps it with statement-level triggers on exchanges_program (migration
    0013), so bulk writes and raw SQL count too. On SQLite it stays empty and the lists
    COUNT(*). A plain integer, not a foreign key: a row outlives nothing it refers to
    (programs protect their organization) and needs no join.
    """

    organization_id = models.BigIntegerField()
    public = models.BooleanField()  # status in PUBLIC_STATUSES
    programs = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization_id", "public"],
                                    name="program_tally_unique"),
        ]

    def __str__(self):
        return f"{self.organization_id}/{'public' if self.public else 'other'}: {self.programs}"


def _valid(validator, value) -> bool:
    """The value has the right type and passes the validator (clean() runs either way)."""
    try:
        validator(value)
    except (ValidationError, TypeError, AttributeError):
        return False
    return True


class Side(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sides")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ContentManager()

    class Meta:
        verbose_name = _("side")
        verbose_name_plural = _("sides")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                "program",
                Lower("name"),
                name="side_name_unique_in_program",
                violation_error_message=_("Side names must be unique within a program."),
            ),
        ]

    def __str__(self):
        return self.name


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    WAITLISTED = "waitlisted", _("waitlisted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")


class GuardianConsent(models.TextChoices):
    PENDING = "pending", _("waiting for the guardian")
    GIVEN = "given", _("given by the guardian")
    REFUSED = "refused", _("refused by the guardian")


GUARDIAN_LINK_DAYS = 30


class Application(models.Model):
    Status = ApplicationStatus
    Consent = GuardianConsent

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="applications")
    side = models.ForeignKey(Side, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
    )
    # A TextField's max_length only sizes form widgets; the validator makes full_clean()
    # (and so every service) enforce it too.
    motivation = models.TextField(_("motivation"), max_length=4000, blank=True,
                                  validators=[MaxLengthValidator(4000)])
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Guardian consent (exchanges/services/guardians.py): null where none is needed. The
    # link's token is derived from the nonce (see link_token); only its hash is stored.
    # Encrypted at rest (core.encryption): never filter or sort on it in the database.
    guardian_email = EncryptedEmailField(_("guardian's email"), max_length=254, blank=True)
    guardian_consent = models.CharField(
        _("guardian's consent"), max_length=10, choices=GuardianConsent.choices,
        null=True, blank=True,
    )
    guardian_name = models.CharField(_("guardian's name"), max_length=200, blank=True)
    guardian_answered_at = models.DateTimeField(_("guardian answered at"), null=True,
                                                blank=True)
    guardian_link_expires_at = models.DateTimeField(null=True, blank=True)
    guardian_token_nonce = models.CharField(max_length=64, blank=True)
    guardian_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "applicant"],
                name="application_one_per_program",
                violation_error_message=_("You have already applied to this program."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicationStatus.values),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(guardian_consent__isnull=True)
                | models.Q(guardian_consent__in=GuardianConsent.values),
                name="application_guardian_consent_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "side", "status"], name="application_seat_count"),
            models.Index(fields=["program", "status"], name="application_program_status"),
        ]

    def __str__(self):
        return f"{self.applicant} → {self.program} ({self.side}, {self.status})"

    @property
    def guardian_token(self) -> str:
        return link_token("parley.guardian-consent", self.guardian_token_nonce)

    @property
    def needs_guardian_consent(self) -> bool:
        """Accepting waits for a guardian who has not (yet) consented."""
        return self.guardian_consent not in (None, GuardianConsent.GIVEN)

    @property
    def guardian_link_status(self) -> str:
        """What the guardian's link says: pending, given, refused, expired or closed (the
        application was withdrawn or declined before the guardian answered)."""
        if self.guardian_consent != GuardianConsent.PENDING:
            return self.guardian_consent or "closed"
        if self.status in (ApplicationStatus.WITHDRAWN, ApplicationStatus.DECLINED):
            return "closed"
        if self.guardian_link_expires_at and self.guardian_link_expires_at <= timezone.now():
            return "expired"
        return GuardianConsent.PENDING


class ActivityLog(models.Model):
    """Who did what, when. Written by services inside their transaction; read-only after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activity",
    )
    verb = models.CharField(_("verb"), max_length=60)
    target_type = models.CharField(_("target type"), max_length=60, blank=True)
    target_id = models.CharField(_("target id"), max_length=40, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="activity_org_time")]

    def __str__(self):
        return f"{self.verb_label} {self.target_repr}".strip()

    @property
    def verb_label(self) -> str:
        from exchanges.activity import verb_label  # the labels live beside log_activity

        return verb_label(self.verb)


class RevealOutcome(models.TextChoices):
    REVEALED = "revealed", _("revealed")
    REFUSED = "refused", _("refused")


class Reveal(models.Model):
    """One request to see a protected person's legal name and email: granted to a
    custodian (or a platform admin) with a reason, refused otherwise. Both are kept: a
    refused attempt is evidence too. Written by exchanges.identity.services only."""

    Outcome = RevealOutcome

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    # What the person concerned is shown about who asked, kept as it was at the time.
    actor_role = models.CharField(_("role"), max_length=20)
    actor_display_name = models.CharField(_("display name"), max_length=80, blank=True)
    application = models.ForeignKey(Application, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="reveals")
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="reveals_about")
    organization = models.ForeignKey(Organization, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="reveals")
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=RevealOutcome.choices)
    refusal = models.CharField(_("why refused"), max_length=30, blank=True)
    via = models.CharField(_("via"), max_length=10)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("identity reveal")
        verbose_name_plural = _("identity reveals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(outcome__in=RevealOutcome.values),
                                   name="reveal_outcome_valid"),
            # A reveal always has its reason; only a refusal may lack one.
            models.CheckConstraint(
                condition=models.Q(outcome=RevealOutcome.REFUSED) | ~models.Q(reason=""),
                name="reveal_has_reason"),
        ]
        indexes = [models.Index(fields=["subject", "-created_at"], name="reveal_subject_time")]

    def __str__(self):
        return f"{self.outcome}: {self.actor_display_name} ({self.actor_role})"
from exchanges.models.incidents import (  # noqa: E402, F401 - the capability's models
    Incident,
    IncidentKind,
    IncidentStatus,
)
