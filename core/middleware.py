"""Input limits and JSON errors for everything under /api/.

DRF answers its own errors in JSON, but some input is refused before DRF sees it
or by Django itself: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (DRF streams JSON
bodies without that check, Django raises RequestDataTooBig), a query string that
is not UTF-8 or carries NUL bytes (PostgreSQL cannot store or compare NUL), a CSRF
or 404 page rendered by Django. Under /api/ these all answer `{"detail", "code"}`.
"""

from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

API_PREFIX = "/api/"


def _error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _too_large() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(413, _("The request body is larger than %(limit)d bytes.") % {"limit": limit},
                  "request_too_large")


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _query_bytes(request) -> bytes:
    raw = request.META.get("QUERY_STRING", "")
    try:
        raw_bytes = raw.encode("latin-1")  # WSGI hands the raw bytes over as latin-1
    except UnicodeEncodeError:
        raw_bytes = raw.encode()
    return unquote_to_bytes(raw_bytes.replace(b"+", b" "))


def _refusal(request) -> JsonResponse | None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and _declared_length(request) > limit:
        return _too_large()
    try:
        query = _query_bytes(request).decode()
    except UnicodeDecodeError:
        return _error(400, _("The query string is not valid UTF-8."), "invalid_encoding")
    if "\x00" in query:
        return _error(400, _("The query string contains a NUL character."), "null_character")
    return None


_CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found",
          405: "method_not_allowed", 413: "request_too_large", 500: "server_error"}
# What the caller reads, in their language (HTTP's reason phrases are English only).
_DETAILS = {400: gettext_lazy("Bad request."), 403: gettext_lazy("Forbidden."),
            404: gettext_lazy("Not found."), 405: gettext_lazy("Method not allowed."),
            413: gettext_lazy("The request body is too large."),
            500: gettext_lazy("Server error.")}


def _is_json(response) -> bool:
    return "json" in response.get("Content-Type", "")


class ApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = _refusal(request) or self.get_response(request)
        if response.status_code >= 400 and not response.streaming and not _is_json(response):
            # A page Django rendered itself (CSRF failure, bad request, server error).
            status = response.status_code
            detail = str(_DETAILS.get(status, response.reason_phrase))
            response = _error(status, detail, _CODES.get(status, "error"))
        return response

    def process_exception(self, request, exception):
        if request.path.startswith(API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return _too_large()
        return None
