"""What `exchanges` holds about a person: exported, erased, and the log of both.

Registered with participants.privacy from ExchangesConfig.ready().
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import Conflict
from exchanges.activity import log_activity
from exchanges.identity.selectors import reveals_about
from exchanges.models import (
    ActivityLog,
    Application,
    ApplicationStatus,
    Membership,
    Role,
)
from exchanges.services.guardians import erase_guardian_data
from participants import protection
from participants.models import User
from participants.privacy import ERASED_DISPLAY_NAME

LIVE_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.ACCEPTED,
                 ApplicationStatus.WAITLISTED)


def _iso(value):
    return value.isoformat() if value else None


def export_applications(user: User) -> list[dict]:
    return [
        {"id": a.pk, "program": a.program.title, "organization": a.program.organization.name,
         "side": a.side.name, "status": a.status, "motivation": a.motivation,
         "created_at": _iso(a.created_at), "decided_at": _iso(a.decided_at),
         "guardian_email": a.guardian_email or None, "guardian_consent": a.guardian_consent,
         "guardian_name": a.guardian_name or None,
         "guardian_answered_at": _iso(a.guardian_answered_at)}
        for a in Application.objects.filter(applicant=user)
        .select_related("program__organization", "side").order_by("created_at", "id")
    ]


def export_memberships(user: User) -> list[dict]:
    return [
        {"organization": m.organization.name, "role": m.role, "since": _iso(m.created_at)}
        for m in Membership.objects.filter(user=user).select_related("organization")
    ]


def protected_applicants(user_ids: list[int]) -> set[int]:
    """People who applied to an organization with identity protection on."""
    return set(Application.objects.filter(
        applicant_id__in=user_ids, program__organization__identity_protection=True)
        .values_list("applicant_id", flat=True))


def export_reveals(user: User) -> list[dict]:
    """Who saw the person's legal name and email under identity protection: role, display
    name, when and why."""
    return [
        {"role": r.actor_role, "display_name": r.actor_display_name,
         "organization": r.organization.name if r.organization else None,
         "program": r.application.program.title if r.application else None,
         "reason": r.reason, "at": _iso(r.created_at)}
        for r in reveals_about(user)
    ]


def _about(user: User) -> Q:
    application_ids = [str(pk) for pk in Application.objects.filter(applicant=user)
                       .values_list("pk", flat=True)]
    membership_ids = [str(pk) for pk in Membership.objects.filter(user=user)
                      .values_list("pk", flat=True)]
    return (
        Q(actor=user)
        | Q(target_type="application", target_id__in=application_ids)
        | Q(target_type="membership", target_id__in=membership_ids)
        | Q(target_type="user", target_id=str(user.pk))
        | Q(data__email__iexact=user.email)
    )


def export_activity(user: User) -> list[dict]:
    return [
        {"time": _iso(e.created_at), "verb": e.verb, "target": e.target_repr,
         "by_you": e.actor_id == user.pk, "ip_address": e.ip_address if e.actor_id == user.pk
         else None}
        for e in ActivityLog.objects.filter(_about(user)).order_by("created_at", "id")
    ]


def erase(user: User) -> None:
    """Withdraw live applications (freed seats promote the waitlist), leave every
    organization, and scrub what the log copied about the person."""
    from exchanges.services import application_withdraw, membership_end

    sole_owner_of = [
        m.organization.name for m in Membership.objects.filter(user=user, role=Role.OWNER)
        .select_related("organization")
        if not Membership.objects.filter(organization_id=m.organization_id, role=Role.OWNER)
        .exclude(user=user).exists()
    ]
    if sole_owner_of:
        raise Conflict("sole_owner", _(
            "You are the only owner of %(names)s. Make someone else an owner first."
        ) % {"names": ", ".join(sole_owner_of)})
    for application in Application.objects.filter(applicant=user, status__in=LIVE_STATUSES):
        application_withdraw(application=application, actor=user)
    about = _about(user)
    ActivityLog.objects.filter(about).update(target_repr=ERASED_DISPLAY_NAME)
    ActivityLog.objects.filter(about & Q(data__has_key="email")).update(data={})
    ActivityLog.objects.filter(actor=user).update(ip_address=None)
    Application.objects.filter(applicant=user).update(motivation="")
    erase_guardian_data(user)
    for membership in Membership.objects.filter(user=user):
        membership_end(membership, actor=user)


def log_export(sender, user, ip_address=None, **kwargs):
    log_activity(actor=user, verb="personal_data.exported", target=user, ip_address=ip_address)


def log_erasure(sender, user, ip_address=None, **kwargs):
    # Written after the scrub: it names the (already anonymous) account, no data.
    log_activity(actor=None, verb="account.erased", target=user)


def log_sign_in(sender, request, user, **kwargs):
    log_activity(actor=user, verb="auth.signed_in", target=user, ip_address=_ip(request))


def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    log_activity(actor=None, verb="auth.sign_in_failed",
                 data={"email": str(credentials.get("username", ""))[:254]},
                 ip_address=_ip(request))


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def connect() -> None:
    from participants import privacy
    from participants.signals import account_erased, personal_data_exported

    privacy.register_exporter("applications", export_applications)
    privacy.register_exporter("memberships", export_memberships)
    privacy.register_exporter("activity", export_activity)
    privacy.register_exporter("identity_reveals", export_reveals)
    protection.register(protected_applicants)
    privacy.register_data_page_section("identity_reveals", "exchanges/identity/_my_reveals.html",
                                       lambda user: {"reveals": list(reveals_about(user))})
    privacy.register_eraser(erase)
    personal_data_exported.connect(log_export, dispatch_uid="exchanges.log_export")
    account_erased.connect(log_erasure, dispatch_uid="exchanges.log_erasure")
    user_logged_in.connect(log_sign_in, dispatch_uid="exchanges.log_sign_in")
    user_login_failed.connect(log_failed_sign_in, dispatch_uid="exchanges.log_failed_sign_in")
