"""Shared pieces of the v1 API: fields that take JSON types strictly, pagination, the
error shape and the JSON 404.

Services raise Django's ValidationError (400, `{"field": ["message"]}`) and
core.errors.Conflict (409, `{"detail", "code"}`); this handler translates both,
so API views call services without try/except.
"""

from datetime import UTC, datetime

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.content import CONTENT_LANGUAGES
from core.errors import Conflict
from core.paging import CountedPaginator
from core.validity import validate_instant

# The largest id either database stores (a signed 64-bit integer); a larger one in a
# filter or a body would overflow the query instead of matching nothing.
MAX_ID = 2**63 - 1


class ErrorSerializer(serializers.Serializer):
    """The body of a 409 (and other single-message errors): `{"detail", "code"}`."""

    detail = serializers.CharField()
    code = serializers.CharField()


class JSONStringMixin:
    """Takes a JSON string only (DRF's text fields also take a number and store its text),
    and no longer than max_length as sent: DRF counts after trimming the whitespace off."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class TextField(JSONStringMixin, serializers.CharField):
    """A JSON string."""


class SlugField(JSONStringMixin, serializers.SlugField):
    """A slug, given as a JSON string."""


class EmailField(JSONStringMixin, serializers.EmailField):
    """An email address, given as a JSON string."""


def _is_json_integer(data) -> bool:
    return isinstance(data, int) and not isinstance(data, bool)


class IntegerField(serializers.IntegerField):
    """A JSON integer. DRF's also takes "5", 5.0 and the like."""

    def to_internal_value(self, data):
        if not _is_json_integer(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    """A JSON true or false. DRF's also takes 0, 1, "yes", "off" and the like."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A row's id as a JSON integer. DRF's also takes "5"."""

    def to_internal_value(self, data):
        if not _is_json_integer(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class TimeField(serializers.DateTimeField):
    """A time: ISO 8601 with an offset in (the offset fixes the instant; a time without
    one is refused), UTC ("Z") out. core.validity decides which times exist."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2027-03-29T09:00:00+03:00."),
    }

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def to_internal_value(self, value):
        parsed = value
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well-formed but impossible (minute 99): refused below
                parsed = None
        if isinstance(parsed, datetime):
            if parsed.tzinfo is None:
                self.fail("naive")
            try:  # before DRF converts it, which overflows past year 9999 in UTC
                validate_instant(parsed)
            except DjangoValidationError as exc:
                raise ValidationError(exc.messages, code=exc.code) from None
        return super().to_internal_value(value)


class Pagination(PageNumberPagination):
    """`?page_size=` is a whole number from 1 (400 otherwise); above 100 it is clamped.

    Every list is paginated, so this is also where a list refuses query parameters
    it does not know (a misspelt filter would otherwise silently return everything).
    """

    django_paginator_class = CountedPaginator  # a maintained count where the list has one
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        known = {self.page_query_param, self.page_size_query_param}
        filterset = getattr(view, "filterset_class", None)
        if filterset is not None:
            known |= set(filterset.base_filters)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError({name or "query": [_("Unknown query parameter.")]
                                   for name in unknown})
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) == "":
            return ""  # not a page number: 404 "Invalid page." like any other
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


def _django_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for e in errs for m in e.messages]
                  for field, errs in exc.error_dict.items()}
        if NON_FIELD_ERRORS in errors:
            errors["non_field_errors"] = errors.pop(NON_FIELD_ERRORS)
        return errors
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(_django_errors(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    # Single-message errors carry their code beside the detail: {"detail", "code"}.
    if isinstance(data, dict) and set(data) == {"detail"}:
        code = getattr(data["detail"], "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(data["detail"]), "code": code}
    return response


# Exempt: an unknown path answers 404 whatever the method, never a CSRF failure page.
@csrf_exempt
def api_not_found(request, *args, **kwargs):
    return JsonResponse({"detail": str(_("Not found.")), "code": "not_found"}, status=404)


class TranslationsField(serializers.Field):
    """`{"title": {"el": "...", "tr": "..."}, ...}`: known fields only, language codes of
    settings.LANGUAGES (the program's own languages are checked by its service), strings
    within each field's length. Errors name the field and the language."""

    default_error_messages = {
        "not_object": _("Expected an object of fields, each an object of languages."),
        "unknown_field": _("Not a translated field; one of: %(fields)s."),
        "unknown_language": _("Not a language of this site."),
    }

    def __init__(self, limits: dict[str, int], **kwargs):
        self.limits = limits
        kwargs.setdefault("help_text", _(
            "The texts in each of the program's languages, by field and language code: "
            "%(fields)s. An empty string removes a translation.")
            % {"fields": ", ".join(limits)})
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_object")
        errors, value = {}, {}
        for field, texts in data.items():
            if field not in self.limits:
                errors[field] = [self.error_messages["unknown_field"]
                                 % {"fields": ", ".join(self.limits)}]
            elif not isinstance(texts, dict):
                errors[field] = [self.error_messages["not_object"]]
            else:
                text_field = TextField(max_length=self.limits[field], allow_blank=True)
                field_errors = {}
                for language, text in texts.items():
                    if language not in CONTENT_LANGUAGES:
                        field_errors[language] = [self.error_messages["unknown_language"]]
                        continue
                    try:
                        value.setdefault(field, {})[language] = text_field.run_validation(text)
                    except serializers.ValidationError as exc:
                        field_errors[language] = exc.detail
                if field_errors:
                    errors[field] = field_errors
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def to_representation(self, value):
        return value

    def openapi_schema(self) -> dict:
        """{field: {language: string ≤ limit}}, nothing else."""
        return {
            "type": "object", "additionalProperties": False, "description": str(self.help_text),
            "properties": {
                field: {"type": "object", "additionalProperties": False, "properties": {
                    code: {"type": "string", "maxLength": limit} for code in CONTENT_LANGUAGES}}
                for field, limit in self.limits.items()
            },
        }
