"""Notices about a person's own application, and invitations to join an organization:
always sent (no preference applies).

Registered from ExchangesConfig.ready(). Each handler re-checks, right before
sending, that what the notice says is still true.
"""

from django.utils.translation import gettext_lazy as _

from core import content
from exchanges.models import (
    Application,
    ApplicationStatus,
    GuardianConsent,
    Membership,
    Program,
)
from exchanges.selectors import is_staff_of
from exchanges.services.guardians import REFUSED_NOTICE, REQUEST_NOTICE
from exchanges.services.invitations import INVITATION_NOTICE
from participants.models import Notification
from participants.outbox import kinds

# kind -> the status the application must still have for the notice to be true
# (None: any status but withdrawn).
APPLICATION_NOTICES = {
    "application_received": (_("Application received"), None),
    "application_accepted": (_("Application accepted"), ApplicationStatus.ACCEPTED),
    "application_promoted": (_("Moved up from the waitlist"), ApplicationStatus.ACCEPTED),
    "application_waitlisted": (_("Application waitlisted"), ApplicationStatus.WAITLISTED),
    "application_declined": (_("Application declined"), ApplicationStatus.DECLINED),
}


def _applications():
    return Application.objects.select_related("program__organization", "side")


def prefetch_applications(notifications: list[Notification]) -> None:
    """The applications of a batch of notices in one query (the dispatcher calls it)."""
    ids = {n.context.get("application") for n in notifications}
    found = _applications().in_bulk([pk for pk in ids if isinstance(pk, int)])
    for notification in notifications:
        notification.prefetched_application = found.get(notification.context.get("application"))


def build_application_notice(notification: Notification) -> kinds.Email:
    if hasattr(notification, "prefetched_application"):
        application = notification.prefetched_application
    else:
        application = _applications().filter(pk=notification.context.get("application")).first()
    if application is None:
        raise kinds.NotRelevant("the application no longer exists")
    _label, required = APPLICATION_NOTICES[notification.kind]
    if application.status == ApplicationStatus.WITHDRAWN or (
        required is not None and application.status != required
    ):
        raise kinds.NotRelevant(f"the application is now {application.status}")
    return kinds.render_email(notification.kind, application_context(application,
                                                                      notification.recipient))


def application_context(application: Application, recipient) -> dict:
    """What an application notice shows: the same for everyone on the side, the name
    aside, so a batch renders it once per side and language (kinds.render_cache)."""
    return {"recipient": recipient, "side": application.side, "program": application.program,
            "organization": application.program.organization}


def program_titles(ids: set[int]) -> dict[int, str]:
    return content.titles(Program.objects.filter(pk__in=ids))


def build_invitation(notification: Notification) -> kinds.Email:
    """To the invited address (no account is looked up): the organization, the role and
    the link; no one's name, not even the inviter's."""
    invitation = (
        Membership.seats.select_related("organization")
        .filter(pk=notification.context.get("invitation"))
        .first()
    )
    if invitation is None or not invitation.is_open_invitation:
        raise kinds.NotRelevant("the invitation is no longer open")
    return kinds.render_email(INVITATION_NOTICE, {
        "recipient": None,
        "organization": invitation.organization,
        "role": invitation.get_role_display(),
        "expires_at": invitation.expires_at,
        "path": f"/invitations/{invitation.invitation_token}/",
    })


def _guardian_application(notification: Notification) -> Application:
    application = (
        Application.objects.select_related("program__organization")
        .filter(pk=notification.context.get("application"))
        .first()
    )
    if application is None:
        raise kinds.NotRelevant("the application no longer exists")
    return application


def build_guardian_consent_request(notification: Notification) -> kinds.Email:
    """To the guardian's address: the program and the link, not the applicant's name (an
    address can be mistyped; the page behind the link names them)."""
    application = _guardian_application(notification)
    if application.guardian_link_status != GuardianConsent.PENDING:
        raise kinds.NotRelevant("the guardian's link no longer works")
    return kinds.render_email(REQUEST_NOTICE, {
        "recipient": None,
        "program": application.program,
        "organization": application.program.organization,
        "expires_at": application.guardian_link_expires_at,
        "path": f"/guardian-consent/{application.guardian_token}/",
    })


def build_guardian_consent_refused(notification: Notification) -> kinds.Email:
    application = _guardian_application(notification)
    if application.guardian_consent != GuardianConsent.REFUSED:
        raise kinds.NotRelevant("the guardian's answer is no longer a refusal")
    if not is_staff_of(notification.recipient, application.program.organization_id):
        raise kinds.NotRelevant("the recipient no longer runs the program")
    return kinds.render_email(REFUSED_NOTICE, {
        "recipient": notification.recipient,
        "program": application.program,
        "organization": application.program.organization,
    })


def register() -> None:
    kinds.register_about("program", program_titles)
    for kind, (label, _required) in APPLICATION_NOTICES.items():
        kinds.register(kind, label=label, build=build_application_notice, optional=False,
                       prefetch=prefetch_applications)
    kinds.register(INVITATION_NOTICE, label=_("Invitation to join an organization"),
                   build=build_invitation, optional=False)
    kinds.register(REQUEST_NOTICE, label=_("A guardian's consent asked"),
                   build=build_guardian_consent_request, optional=False)
    kinds.register(REFUSED_NOTICE, label=_("A guardian refused consent"),
                   build=build_guardian_consent_refused, optional=False)
