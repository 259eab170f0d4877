"""Organizations, memberships, programs, sides, applications and the activity log."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("owner")
    COORDINATOR = "coordinator", _("coordinator")
    FACILITATOR = "facilitator", _("facilitator")


STAFF_ROLES = (Role.OWNER, Role.COORDINATOR)


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    require_two_factor = models.BooleanField(_("staff must use two-factor sign-in"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization", "user"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.organization} ({self.role})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


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
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    applications_close_at = models.DateTimeField(_("applications close at"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
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
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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
        ]
        indexes = [models.Index(fields=["status", "starts_on"], name="program_status_start")]

    def __str__(self):
        return self.title

    @property
    def is_open_for_applications(self) -> bool:
        if self.status != ProgramStatus.PUBLISHED:
            return False
        return self.applications_close_at is None or timezone.now() < self.applications_close_at


class Side(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sides")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

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


class Application(models.Model):
    Status = ApplicationStatus

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
    motivation = models.TextField(_("motivation"), max_length=4000, blank=True)
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

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
        ]
        indexes = [
            models.Index(fields=["program", "side", "status"], name="application_seat_count"),
        ]

    def __str__(self):
        return f"{self.applicant} → {self.program} ({self.side}, {self.status})"


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
