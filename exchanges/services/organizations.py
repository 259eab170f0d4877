"""Organizations and their members: create, update, change role, remove.

(Members join by invitation: exchanges.services.invitations.)
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.errors import Conflict
from exchanges.activity import log_activity
from exchanges.models import Membership, Organization, Role
from exchanges.selectors import require_owner
from exchanges.services.invitations import check_role
from exchanges.signals import membership_ending
from participants.models import User

# Attempts at a free slug when concurrent creations keep taking the next one.
SLUG_ATTEMPTS = 20


def organization_create(
    *, actor: User, name: str, slug: str = "", description: str = "", website: str = ""
) -> Organization:
    """The slug is the one given, or one made from the name, free at the time of saving.

    Another organization can take the slug between the check and the insert; the
    unique constraint then refuses ours: a chosen slug answers 400 naming it, a
    made-up one moves on to the next free slug.
    """
    for _attempt in range(SLUG_ATTEMPTS):
        organization = Organization(name=name, slug=slug or _free_slug(name),
                                    description=description, website=website)
        organization.full_clean(validate_unique=False)  # the constraint decides, below
        try:
            with transaction.atomic():
                organization.save()
                Membership.objects.create(organization=organization, user=actor, role=Role.OWNER)
                log_activity(actor=actor, verb="organization.created", target=organization,
                             organization_id=organization.pk)
            return organization
        except IntegrityError:
            if not Organization.objects.filter(slug=organization.slug).exists():
                raise  # not the slug: a real fault
            if slug:
                raise ValidationError(
                    {"slug": organization.unique_error_message(Organization, ("slug",))}
                ) from None
    raise ValidationError({"slug": _("No free slug was found for this name; choose one.")})


def _free_slug(name: str) -> str:
    base = slugify(name)[:50] or "organization"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def organization_update(*, organization: Organization, actor: User, **fields: Any) -> Organization:
    require_owner(actor, organization.pk)
    protection_before = organization.identity_protection
    for name in ("name", "description", "website", "require_two_factor",
                 "identity_protection"):
        if name in fields:
            setattr(organization, name, fields[name])
    organization.full_clean()
    data: dict[str, Any] = {"fields": sorted(fields)}
    if organization.identity_protection != protection_before:
        data["identity_protection"] = organization.identity_protection
    with transaction.atomic():
        organization.save()
        log_activity(actor=actor, verb="organization.updated", target=organization,
                     organization_id=organization.pk, data=data)
    return organization


def membership_change_role(*, membership: Membership, actor: User, role: str) -> Membership:
    require_owner(actor, membership.organization_id)
    check_role(role)
    with transaction.atomic():
        membership = _lock_memberships(membership)
        if membership.role == Role.OWNER and role != Role.OWNER:
            _ensure_another_owner(membership)
        previous, membership.role = membership.role, role
        membership.save(update_fields=["role"])
        log_activity(actor=actor, verb="membership.role_changed", target=membership,
                     organization_id=membership.organization_id,
                     data={"from": previous, "to": role, "user": membership.user_id})
    return membership


def membership_remove(*, membership: Membership, actor: User) -> None:
    """The person loses every power at once, the sessions they facilitated included."""
    require_owner(actor, membership.organization_id)
    with transaction.atomic():
        membership = _lock_memberships(membership)
        if membership.role == Role.OWNER:
            _ensure_another_owner(membership)
        log_activity(actor=actor, verb="membership.removed", target=membership,
                     organization_id=membership.organization_id,
                     data={"user": membership.user_id, "role": membership.role})
        membership_end(membership, actor=actor)


def membership_end(membership: Membership, *, actor: User) -> None:
    """Delete a membership and what it gave; inside the caller's transaction."""
    membership_ending.send(sender=Membership, membership=membership, actor=actor)
    membership.delete()


def _lock_memberships(membership: Membership) -> Membership:
    # Lock the organization so two owners cannot demote each other at once.
    Organization.objects.select_for_update().get(pk=membership.organization_id)
    return Membership.objects.select_related("user", "organization").get(pk=membership.pk)


def _ensure_another_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(organization_id=membership.organization_id,
                                       role=Role.OWNER).exclude(pk=membership.pk)
    if not owners.exists():
        raise Conflict("sole_owner", _("An organization needs at least one owner."))
