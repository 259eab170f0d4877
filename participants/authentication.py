"""API authentication: a token caller is answered in their profile's language."""

from rest_framework import authentication

from participants.middleware import activate_user_language


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, plus the language a browser session gets from
    UserLanguageMiddleware: tokens are checked inside the view, after every middleware
    has run, so the language is chosen here. A caller without a token keeps the
    language of its Accept-Language header."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_user_language(request._request, result[0])
        return result
