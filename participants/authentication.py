"""How a sign-in attempt names its account, for every way in (pages, admin, API)."""

from django.conf import settings

from participants.models import normalize_email


def sign_in_email(request, credentials: dict | None = None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: the lock counts per account, not per spelling."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "data", request.POST).get(field)
    return normalize_email(raw if isinstance(raw, str) else "")
