"""Membership by consent: an owner invites an email; the person holding the link accepts.

Nothing is granted until acceptance, and nothing tells the inviter whether the address
has an account: the same row, response and email whatever the address. An invitation
is a Membership row with status "invited" (see Membership), so it shares the members'
id space and keeps its id when accepted.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from exchanges.activity import log_activity
from exchanges.models import INVITATION_DAYS, Membership, MembershipStatus, Organization, Role
from exchanges.selectors import invitation_by_token, require_owner
from participants.models import Notification, User
from participants.outbox.services import cancel_pending, enqueue

INVITATION_NOTICE = "membership_invitation"


def membership_invite(
    *, organization: Organization, actor: User, email: str, role: str
) -> Membership:
    """Invite `email` to `role`; the returned row carries `.token` for the inviter's answer.

    The email is sent through the outbox to the address itself, never to an account
    looked up by it.
    """
    require_owner(actor, organization.pk)
    check_role(role)
    email = User.objects.normalize_email(email.strip()).lower()
    _check_daily_limit(actor)
    nonce = secrets.token_urlsafe(32)
    invitation = Membership(
        organization=organization, role=role, status=MembershipStatus.INVITED, email=email,
        invited_by=actor, expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        token_nonce=nonce,
    )
    invitation.token_hash = Membership.hash_token(invitation.invitation_token)
    invitation.full_clean(exclude=["user", "invited_by", "organization"],
                          validate_constraints=False)
    with transaction.atomic():
        invitation.save()
        enqueue(recipient_email=email, kind=INVITATION_NOTICE,
                dedupe_key=f"{INVITATION_NOTICE}:{invitation.pk}",
                organization_id=organization.pk, context={"invitation": invitation.pk})
        # No address in the log: it may belong to someone who never joins.
        log_activity(actor=actor, verb="membership.invited", target=invitation,
                     organization_id=organization.pk, data={"role": role})
    invitation.token = invitation.invitation_token
    return invitation


def _check_daily_limit(actor: User) -> None:
    # Anyone may found an organization: without a cap, invitations would send mail
    # from Parley to any address in bulk.
    since = timezone.now() - timedelta(days=1)
    sent = Membership.seats.filter(invited_by=actor, created_at__gte=since).count()
    if sent >= settings.INVITATIONS_PER_DAY:
        raise ValidationError({"email": _(
            "You have sent %(n)d invitations in the last 24 hours, the most allowed. "
            "Try again tomorrow.") % {"n": sent}})


def check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose owner, coordinator or facilitator.")})


def _lock(token: str) -> Membership:
    invitation = invitation_by_token(token)
    if invitation is None:
        raise Membership.DoesNotExist
    return (Membership.seats.select_for_update(of=("self",)).select_related("organization")
            .get(pk=invitation.pk))


def _ensure_open(invitation: Membership) -> None:
    if not invitation.is_open_invitation:
        raise Conflict("invalid_transition", _("This invitation is %(status)s; it no longer "
                                               "works. Ask the organization for a new one.")
                       % {"status": _status_label(invitation)})


def _status_label(invitation: Membership) -> str:
    return {"accepted": _("already used"), "declined": _("declined"),
            "revoked": _("withdrawn"), "expired": _("expired")}.get(
        invitation.invitation_status, invitation.invitation_status)


def invitation_accept(*, token: str, user: User) -> Membership:
    """The caller becomes the member: holding the emailed link is the consent.

    Raises Membership.DoesNotExist for an unknown token, Conflict otherwise.
    """
    with transaction.atomic():
        invitation = _lock(token)
        _ensure_open(invitation)
        if Membership.objects.filter(organization_id=invitation.organization_id,
                                     user=user).exists():
            raise Conflict("already_member", _("You are already a member of %(name)s.")
                           % {"name": invitation.organization.name})
        invitation.user, invitation.status, invitation.email = user, MembershipStatus.ACTIVE, ""
        try:
            with transaction.atomic():
                invitation.save(update_fields=["user", "status", "email"])
        except IntegrityError as exc:  # a concurrent acceptance of another invitation
            raise Conflict("already_member", _("You are already a member of %(name)s.")
                           % {"name": invitation.organization.name}) from exc
        log_activity(actor=user, verb="membership.accepted", target=invitation,
                     organization_id=invitation.organization_id,
                     data={"role": invitation.role, "user": user.pk})
    return invitation


def invitation_decline(*, token: str, actor=None) -> Membership:
    """Anyone holding the link may decline it; the link stops working."""
    with transaction.atomic():
        invitation = _lock(token)
        _ensure_open(invitation)
        _close(invitation, MembershipStatus.DECLINED)
        log_activity(actor=actor, verb="membership.declined", target=invitation,
                     organization_id=invitation.organization_id, data={"role": invitation.role})
    return invitation


def invitation_revoke(*, invitation: Membership, actor: User) -> None:
    require_owner(actor, invitation.organization_id)
    with transaction.atomic():
        invitation = Membership.seats.select_for_update().get(pk=invitation.pk)
        _ensure_open(invitation)
        _close(invitation, MembershipStatus.REVOKED)
        log_activity(actor=actor, verb="membership.revoked", target=invitation,
                     organization_id=invitation.organization_id, data={"role": invitation.role})


def _close(invitation: Membership, status: str) -> None:
    # The address is no longer needed: keep only what answers the link (its status).
    invitation.status, invitation.email = status, ""
    invitation.save(update_fields=["status", "email"])
    cancel_pending(Notification.objects.filter(
        dedupe_key=f"{INVITATION_NOTICE}:{invitation.pk}"), f"invitation {status}")
