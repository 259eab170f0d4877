from django.utils import timezone
from django.utils.cache import add_never_cache_headers


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
