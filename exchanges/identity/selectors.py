"""Read queries for reveals."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from exchanges.models import Reveal, RevealOutcome, Role


def reveals_about(person) -> QuerySet[Reveal]:
    """The granted reveals of `person`'s identity, newest first: what they are shown."""
    return (Reveal.objects.filter(subject=person, outcome=RevealOutcome.REVEALED)
            .select_related("organization", "application__program")
            .order_by("-created_at", "-id"))


def role_label(role: str) -> str:
    if role == "platform_admin":
        return _("platform admin")
    return str(Role(role).label) if role in Role.values else role
