"""The schema class of the v1 API: it documents the error answers of every operation.

Which errors an operation can give follows from how it is built, so they are
added here by rule rather than on each view: any input can be refused (400);
an operation behind authentication can answer 401 and 403; one with a path
parameter or a paginated list can answer 404; one with a request body can answer
413 and 415; a throttled one 429. Views still declare their own 409s with the
codes they may carry.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from core.api import (
    ErrorSerializer,  # the `Error` component: {detail, code}
    TranslationsField,
)

FIELD_ERRORS = {
    "type": "object",
    "description": "Messages by field; a nested or list field has its errors nested alike.",
    "additionalProperties": {"anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "object"}},
        {"type": "object"},
    ]},
}
VALIDATION_ERROR = {
    "description": "`{field: [messages]}`, `{detail, code}`, or for a list body one "
                   "`{field: [messages]}` per item in input order (`{}` for a valid item).",
    "anyOf": [
        {"$ref": "#/components/schemas/Error"},
        {"$ref": "#/components/schemas/FieldErrors"},
        {"type": "array", "items": {"$ref": "#/components/schemas/FieldErrors"}},
    ],
}
COMPONENTS = {"FieldErrors": FIELD_ERRORS, "ValidationError": VALIDATION_ERROR}

DESCRIPTIONS = {
    "400": _("Invalid input: a field, malformed JSON, NUL bytes or undecodable text."),
    "401": _("Not authenticated, or the token is not valid."),
    "403": _("Authenticated, but not allowed to do this."),
    "404": _("Not found, or not visible to the caller."),
    "413": _("The request body is too large."),
    "415": _("The request body is not JSON."),
    "429": _("Too many requests; try again later."),
}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# DELETE operations that take a body: erasing one's account needs the password.
DELETE_WITH_BODY = {"/api/v1/me/"}


class ParleyAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for name, schema in COMPONENTS.items():
            self.registry.register_on_missing(
                ResolvedComponent(name, ResolvedComponent.SCHEMA, schema=schema, object=name)
            )
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        validation_error = {"$ref": "#/components/schemas/ValidationError"}
        responses = operation["responses"]
        for code in self._error_codes(operation):
            declared = responses.get(code, {})
            responses[code] = {
                "description": declared.get("description") or DESCRIPTIONS[code],
                "content": declared.get("content") if code != "400" and "content" in declared
                else {"application/json": {"schema": validation_error if code == "400" else error}},
            }
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, TranslationsField):
            return field.openapi_schema()
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular leaves out a nested list's length limits; the server applies them.
        if schema and isinstance(field, serializers.ListSerializer):
            if field.min_length is not None:
                schema["minItems"] = field.min_length
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _get_request_body(self, direction="request"):
        # drf-spectacular documents a body for PUT, PATCH and POST only.
        if self.method == "DELETE" and self.path in DELETE_WITH_BODY:
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def _error_codes(self, operation: dict) -> list[str]:
        codes = ["400"]
        if self.view.get_authenticators():
            codes += ["401", "403"]
        has_path_parameter = any(p["in"] == "path" for p in operation.get("parameters", []))
        paginated = any(p["name"] == "page" for p in operation.get("parameters", []))
        if has_path_parameter or paginated:
            codes.append("404")
        if self.method in BODY_METHODS and "requestBody" in operation:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        return codes


# --- Links: from what an operation creates to the operations on it -----------------------
# OpenAPI links let a client (and Schemathesis's stateful tests) follow create → read,
# update, delete with the id the first answer gave. Targets are operationIds; a link's
# `requestBody` fills those fields of the next body and leaves the rest to the caller.

_ID = {"id": "$response.body#/id"}
_SLUG = {"slug": "$response.body#/slug"}
_FIRST_SIDE = {"side": "$response.body#/sides/0/id"}
_ON_ORGANIZATION = ["organizations_retrieve", "organizations_partial_update",
                    "organizations_members_list"]
_ON_PROGRAM = ["programs_retrieve", "programs_partial_update", "programs_destroy",
               "programs_publish_create", "programs_close_create", "programs_archive_create",
               "programs_sessions_list", "programs_sessions_create",
               "programs_applications_list", "programs_reminders_list",
               "programs_reminders_update"]
_ON_APPLICATION = ["applications_retrieve", "applications_accept_create",
                   "applications_waitlist_create", "applications_decline_create",
                   "applications_withdraw_create"]
_ON_SESSION = ["sessions_retrieve", "sessions_partial_update", "sessions_cancel_create",
               "sessions_rsvp_create", "sessions_attendees_list", "sessions_attendance_create",
               "sessions_outcomes_list", "sessions_outcomes_create",
               "sessions_calendar.ics_retrieve"]

# (path, method, status) of the source → [(target operationId, parameters, requestBody)]
LINKS = {
    ("/api/v1/organizations/", "post", "201"): [
        *[(target, _SLUG, None) for target in _ON_ORGANIZATION],
        ("programs_create", {}, {"organization": "$response.body#/slug"}),
    ],
    ("/api/v1/programs/", "post", "201"): [
        *[(target, _ID, None) for target in _ON_PROGRAM],
        ("programs_applications_create", _ID, _FIRST_SIDE),
    ],
    ("/api/v1/programs/{id}/publish/", "post", "200"): [
        ("programs_applications_create", _ID, _FIRST_SIDE),
        ("programs_sessions_create", _ID, None),
    ],
    ("/api/v1/programs/{id}/applications/", "post", "201"): [
        (target, _ID, None) for target in _ON_APPLICATION
    ],
    ("/api/v1/programs/{id}/sessions/", "post", "201"): [
        (target, _ID, None) for target in _ON_SESSION
    ],
}


def add_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: put LINKS on their responses.

    A link whose source or target is missing fails the schema's generation, so a
    renamed operation cannot silently drop out of the stateful tests.
    """
    operation_ids = {operation["operationId"] for path in result["paths"].values()
                     for operation in path.values()}
    for (path, method, status), links in LINKS.items():
        response = result["paths"][path][method]["responses"][status]
        response["links"] = {}
        for target, parameters, body in links:
            if target not in operation_ids:
                raise KeyError(f"OpenAPI link from {method.upper()} {path} to unknown "
                               f"operation {target!r}")
            link = {"operationId": target, "parameters": parameters}
            if body is not None:
                link["requestBody"] = body
            response["links"][target] = link
    return result
