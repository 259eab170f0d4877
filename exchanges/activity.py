"""The activity log: one call, inside the service's transaction, and what each verb means.

A verb is a stable code (`program.published`), stored and answered by the API as is;
people read its label, in their language, on the activity pages, in their filter
and in the admin. A new verb gets its label here (tests/i18n/test_activity_labels.py fails
on a verb written anywhere without one).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from exchanges.models import ActivityLog

VERBS = {
    "account.erased": _("Erased an account"),
    "application.accepted": _("Accepted an application"),
    "application.declined": _("Declined an application"),
    "application.guardian_consent_given": _("A guardian consented to an application"),
    "application.guardian_consent_refused": _("A guardian refused an application"),
    "application.guardian_consent_requested": _("Asked a guardian to consent to an "
                                                "application"),
    "application.promoted": _("Moved an application up from the waitlist"),
    "application.submitted": _("Submitted an application"),
    "application.waitlisted": _("Put an application on the waitlist"),
    "application.withdrawn": _("Withdrew an application"),
    "applications.exported": _("Exported a program's applications"),
    "auth.sign_in_failed": _("Failed to sign in"),
    "auth.signed_in": _("Signed in"),
    "calendar_feed.created": _("Made a private calendar address"),
    "calendar_feed.revoked": _("Revoked a private calendar address"),
    "evaluation.changed": _("Changed a program's evaluation surveys"),
    "evaluation.created": _("Set up evaluation surveys for a program"),
    "evaluation.responses_exported": _("Exported a program's survey answers"),
    "evaluation.wave_closed": _("Closed a survey wave"),
    "evaluation.wave_opened": _("Opened a survey wave"),
    "groups.exported": _("Exported a round of dialogue groups"),
    "groups.member_moved": _("Moved a participant to another dialogue group"),
    "groups.round_created": _("Formed a round of dialogue groups"),
    "groups.round_repaired": _("Rebalanced a round of dialogue groups"),
    "identity.reveal_refused": _("Was refused a person's identity"),
    "identity.revealed": _("Revealed a person's identity"),
    "membership.accepted": _("Accepted an invitation to the organization"),
    "membership.added": _("Added a member"),
    "membership.declined": _("Declined an invitation to the organization"),
    "membership.invited": _("Invited someone to the organization"),
    "membership.removed": _("Removed a member"),
    "membership.revoked": _("Revoked an invitation to the organization"),
    "membership.role_changed": _("Changed a member's role"),
    "organization.created": _("Created the organization"),
    "organization.updated": _("Changed the organization's settings"),
    "outcome.recorded": _("Recorded an outcome"),
    "personal_data.exported": _("Downloaded their personal data"),
    "personal_data.viewed": _("Viewed participants' personal data"),
    "program.archived": _("Archived a program"),
    "program.closed": _("Closed a program to new applications"),
    "program.created": _("Created a program"),
    "program.deleted": _("Deleted a draft program"),
    "program.published": _("Published a program"),
    "program.reminders_changed": _("Changed a program's reminders"),
    "program.updated": _("Edited a program"),
    "session.attendance_marked": _("Took attendance"),
    "session.attendees_exported": _("Exported a session's attendees"),
    "session.cancelled": _("Cancelled a session"),
    "session.created": _("Scheduled a session"),
    "session.facilitator_removed": _("Removed a departing member from the sessions they "
                                     "facilitated"),
    "session.rescheduled": _("Rescheduled a session"),
    "session.rsvp": _("Answered whether they are coming to a session"),
    "session.updated": _("Edited a session"),
    "two_factor.enabled": _("Turned on two-factor sign-in"),
    "two_factor.failed": _("Entered a wrong sign-in code"),
}


def verb_label(verb: str) -> str:
    """What `verb` means, in the active language (the code itself if it has no label)."""
    label = VERBS.get(verb)
    return str(label) if label is not None else verb


def log_activity(
    *,
    actor,
    verb: str,
    target: models.Model | None = None,
    organization_id: int | None = None,
    data: dict | None = None,
    ip_address: str | None = None,
) -> ActivityLog:
    return ActivityLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        organization_id=organization_id,
        data=data or {},
        ip_address=ip_address,
    )
