"""Notices about a person's own application, and invitations to join an organization:
always sent (no preference applies).

Registered from ExchangesConfig.ready(). Each handler re-checks, right before
sending, that what the notice says is still true.
"""

from django.utils.translation import gettext_lazy as _

from exchanges.models import Application, ApplicationStatus, Membership
from exchanges.services.invitations import INVITATION_NOTICE
from participants import messages
from participants.models import Notification

# kind -> the status the application must still have for the notice to be true
# (None: any status but withdrawn).
APPLICATION_NOTICES = {
    "application_received": (_("Application received"), None),
    "application_accepted": (_("Application accepted"), ApplicationStatus.ACCEPTED),
    "application_promoted": (_("Moved up from the waitlist"), ApplicationStatus.ACCEPTED),
    "application_waitlisted": (_("Application waitlisted"), ApplicationStatus.WAITLISTED),
    "application_declined": (_("Application declined"), ApplicationStatus.DECLINED),
}


def build_application_notice(notification: Notification) -> messages.Email:
    application = (
        Application.objects.select_related("program__organization", "side")
        .filter(pk=notification.context.get("application"))
        .first()
    )
    if application is None:
        raise messages.NotRelevant("the application no longer exists")
    _label, required = APPLICATION_NOTICES[notification.kind]
    if application.status == ApplicationStatus.WITHDRAWN or (
        required is not None and application.status != required
    ):
        raise messages.NotRelevant(f"the application is now {application.status}")
    return messages.render_email(notification.kind, {
        "recipient": notification.recipient,
        "application": application,
        "program": application.program,
        "organization": application.program.organization,
    })


def build_invitation(notification: Notification) -> messages.Email:
    """To the invited address (no account is looked up): the organization, the role and
    the link; no one's name, not even the inviter's."""
    invitation = (
        Membership.seats.select_related("organization")
        .filter(pk=notification.context.get("invitation"))
        .first()
    )
    if invitation is None or not invitation.is_open_invitation:
        raise messages.NotRelevant("the invitation is no longer open")
    return messages.render_email(INVITATION_NOTICE, {
        "recipient": None,
        "organization": invitation.organization,
        "role": invitation.get_role_display(),
        "expires_at": invitation.expires_at,
        "path": f"/invitations/{invitation.invitation_token}/",
    })


def register() -> None:
    for kind, (label, _required) in APPLICATION_NOTICES.items():
        messages.register(kind, label=label, build=build_application_notice, optional=False)
    messages.register(INVITATION_NOTICE, label=_("Invitation to join an organization"),
                      build=build_invitation, optional=False)
