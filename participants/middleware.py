from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

from participants.models import supported_language


def activate_user_language(request, user) -> None:
    """Answer a signed-in person in their profile's language, whatever the browser asks for.

    Called for browser sessions by UserLanguageMiddleware and for API token callers
    by participants.authentication.TokenAuthentication.
    """
    language = supported_language(getattr(user, "language", None))
    translation.activate(language)
    request.LANGUAGE_CODE = language


class UserLanguageMiddleware:
    """Signed-in people get their profile's language on every page.

    Runs after AuthenticationMiddleware; LocaleMiddleware, before it, has already
    chosen for everyone else: the switcher's cookie, then the browser's
    Accept-Language, then English. LocaleMiddleware's response half, which runs
    after this one, sets Content-Language to the language chosen here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_user_language(request, user)
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the signed-in person's own timezone (UTC for everyone else)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PrivateResponsesMiddleware:
    """Nothing personal is kept by browsers or caches: `Cache-Control: no-store, private`.

    Every API answer (profiles, exports, applications, tokens) and every response to a
    signed-in person (pages, CSV exports, downloads) gets it, unless the view chose its
    own Cache-Control. Public pages for anonymous visitors stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        # DRF sets request.user from the API token too, so this runs after the view.
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
