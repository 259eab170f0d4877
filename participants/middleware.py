from django.utils import timezone, translation

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
