"""Incidents: a threat, harassment, doxxing or a safeguarding concern reported in a program.

Only the organization's custodians and owners see them (and each reporter their own);
see exchanges/incidents/selectors.py for the one visibility rule.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MAX_DESCRIPTION = 5000
MAX_RESOLUTION = 5000


class IncidentKind(models.TextChoices):
    HARASSMENT = "harassment", _("harassment")
    THREAT = "threat", _("threat")
    DOXXING = "doxxing", _("doxxing (personal details published)")
    SAFEGUARDING = "safeguarding", _("safeguarding concern")
    OTHER = "other", _("other")


class IncidentStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("incident status", "open")
    REVIEWING = "reviewing", pgettext_lazy("incident status", "reviewing")
    CLOSED = "closed", pgettext_lazy("incident status", "closed")


class Incident(models.Model):
    Kind = IncidentKind
    Status = IncidentStatus

    program = models.ForeignKey("exchanges.Program", on_delete=models.CASCADE,
                                related_name="incidents")
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    # A TextField's max_length only sizes widgets; the validator makes full_clean() check it.
    description = models.TextField(_("what happened"), max_length=MAX_DESCRIPTION,
                                   validators=[MaxLengthValidator(MAX_DESCRIPTION)])
    about = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("about"))
    anonymous = models.BooleanField(_("name not shown to owners"), default=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="incidents_reported",
                                 verbose_name=_("reported by"))
    status = models.CharField(_("status"), max_length=10, choices=IncidentStatus.choices,
                              default=IncidentStatus.OPEN)
    resolution = models.TextField(_("resolution"), max_length=MAX_RESOLUTION, blank=True,
                                  validators=[MaxLengthValidator(MAX_RESOLUTION)])
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=IncidentKind.values),
                                   name="incident_kind_valid"),
            models.CheckConstraint(condition=models.Q(status__in=IncidentStatus.values),
                                   name="incident_status_valid"),
            # A closed incident says how it was resolved and when; an open one was not closed.
            models.CheckConstraint(
                condition=(models.Q(status=IncidentStatus.CLOSED, closed_at__isnull=False)
                           & ~models.Q(resolution=""))
                | (~models.Q(status=IncidentStatus.CLOSED) & models.Q(closed_at__isnull=True)),
                name="incident_closed_with_resolution"),
        ]
        indexes = [models.Index(fields=["program", "-created_at"], name="incident_program_time")]

    def __str__(self):
        # No description, no names: this string may reach the admin's lists and logs.
        return f"{_('incident')} #{self.pk} ({self.kind})"
