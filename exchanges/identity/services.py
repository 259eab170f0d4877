"""Reveals: the one way to see a protected person's legal name and email.

Every attempt is written down, granted or refused: a `Reveal` row and an activity entry.
A refusal is committed before the error is raised, so the caller's error cannot roll it
back.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from exchanges.activity import log_activity
from exchanges.models import REVEALER_ROLES, Application, Reveal, RevealOutcome
from exchanges.selectors import role_in
from participants.models import User

PLATFORM_ADMIN = "platform_admin"
MAX_REASON = 2000

# Why an attempt was refused (the Reveal's `refusal`).
NO_REASON = "no_reason"
NOT_CUSTODIAN = "not_custodian"
NOT_IN_ORGANIZATION = "not_in_organization"


class RevealRefused(PermissionDenied):
    """A refused reveal; `code` says why (entry points answer 404 for NOT_IN_ORGANIZATION,
    403 for NOT_CUSTODIAN, 400 on `reason` for NO_REASON)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RevealedIdentity:
    email: str
    legal_name: str
    reveal: Reveal


def identity_reveal(*, application: Application, actor: User, reason: str,
                    via: str) -> RevealedIdentity:
    """Show `actor` the applicant's legal name and email: custodians of the program's
    organization (and platform admins, from the admin: `via="admin"`), with a reason."""
    organization_id = application.program.organization_id
    role = role_in(actor, organization_id)
    if via == "admin" and actor.is_staff and actor.is_active:
        role = PLATFORM_ADMIN
    reason = (reason or "").strip()
    if role is None:
        _refuse(application, actor, role, reason, via, NOT_IN_ORGANIZATION,
                _("You cannot see this application."))
    if role not in (*REVEALER_ROLES, PLATFORM_ADMIN):
        _refuse(application, actor, role, reason, via, NOT_CUSTODIAN,
                _("Only the organization's custodians can reveal a person's identity."))
    if not reason:
        _refuse(application, actor, role, reason, via, NO_REASON,
                _("Say why you need to see this person's identity."))
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("Keep the reason under %(n)d characters.")
                               % {"n": MAX_REASON}})
    with transaction.atomic():
        reveal = _record(application, actor, role, reason, via, RevealOutcome.REVEALED, "")
        log_activity(actor=actor, verb="identity.revealed", target=application,
                     organization_id=organization_id,
                     data={"reveal": reveal.pk, "applicant": application.applicant_id,
                           "reason": reason, "via": via, "role": role})
    person = application.applicant
    return RevealedIdentity(email=person.email, legal_name=person.legal_name, reveal=reveal)


def _refuse(application, actor, role, reason, via, code, message):
    with transaction.atomic():
        reveal = _record(application, actor, role or "", reason[:MAX_REASON], via,
                         RevealOutcome.REFUSED, code)
        # The organization's own log shows refusals by its members; an outsider's attempt
        # is logged without an organization (platform admins see it), so it tells the
        # organization nothing it could not know.
        log_activity(actor=actor, verb="identity.reveal_refused", target=application,
                     organization_id=application.program.organization_id if role else None,
                     data={"reveal": reveal.pk, "applicant": application.applicant_id,
                           "reason": reason[:MAX_REASON], "via": via, "refusal": code})
    if code == NO_REASON:
        raise ValidationError({"reason": message})
    raise RevealRefused(code, message)


def _record(application, actor, role, reason, via, outcome, refusal) -> Reveal:
    return Reveal.objects.create(
        actor=actor, actor_role=role, actor_display_name=actor.display_name[:80],
        application=application, subject_id=application.applicant_id,
        organization_id=application.program.organization_id, reason=reason,
        outcome=outcome, refusal=refusal, via=via)

