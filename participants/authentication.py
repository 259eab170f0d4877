"""How a sign-in names its account, which API tokens still let their holder in, and
the language a token caller is answered in."""

from django.conf import settings
from django.db.models import F, OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core import prepared
from participants.middleware import activate_user_language
from participants.models import User, normalize_email
from participants.two_factor import lacks_required_authenticator_of


def sign_in_email(request, credentials: dict | None = None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: the lock counts per account, not per spelling."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "data", request.POST).get(field)
    return normalize_email(raw if isinstance(raw, str) else "")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's tokens, refused (401) while the holder lacks a second factor they must use.

    Tokens are checked inside the view, after every middleware has run, so the
    caller's profile language (what UserLanguageMiddleware gives a browser session) is
    chosen here; a caller without a token keeps its Accept-Language."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_user_language(request._request, result[0])
        return result

    def authenticate_credentials(self, key):
        """DRF's checks, with the second-factor rule read in the token's query (compiled
        once: core.prepared)."""
        found = prepared.statement("api-token", _holder, (prepared.STR_SLOTS[0],)).dicts((key,))
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = found[0]
        user = User.from_db("default", _USER_COLUMNS, [row[name] for name in _USER_COLUMNS])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if row["lacks_authenticator"]:
            raise exceptions.AuthenticationFailed(
                _("Two-factor sign-in is required: set up an authenticator app on the "
                  "website, then use this token again."), code="two_factor_required")
        token = self.get_model().from_db("default", ["key", "user_id", "created"],
                                         [key, user.pk, row["token_created"]])
        token.user = user
        return user, token


_USER_COLUMNS = [field.attname for field in User._meta.concrete_fields]


def _holder(key: str):
    """The user a token names, the token's creation time, and whether they lack a
    second factor a policy requires of them."""
    return User.objects.filter(auth_token__key=key).values(
        *_USER_COLUMNS, token_created=F("auth_token__created"),
        lacks_authenticator=lacks_required_authenticator_of(OuterRef("pk")))
