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

from core.api import ErrorSerializer  # the `Error` component: {detail, code}

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
