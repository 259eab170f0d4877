"""What both fuzz runs share: the schema under test, its checks, and the seeded ids.

The fixed-seed run (test_schemathesis.py, part of `make test`) and the exploring run
(test_explore.py, `make fuzz`) call the app in-process through its WSGI handler and
map generated path parameters onto the rows `seeded` made (see conftest.py), so most
requests reach a real object instead of a 404.
"""

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from exchanges.models import Organization
from tests.fuzz.conftest import SEED

SCHEMA_PATH = "/api/v1/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
]

# How invalid input may be refused: Schemathesis's list, and 413 for its size (a body over
# the upload limit), as the schema documents.
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429",
            "5xx"]

# Which seeded rows a path parameter names, by the collection in front of it.
_COLLECTIONS = {"programs": "programs", "applications": "applications", "sessions": "sessions",
                "organizations": "organizations", "members": "members",
                "invitations": "invitations", "groups": "groups", "waves": "waves",
                "guardian-consent": "guardian-consent",
                "incidents": "incidents"}


def _application(environ, start_response):
    """The app under test: a handler built by `seeded`, under the fuzz run's settings."""
    return SEED.handler(environ, start_response)


def _seeded(kind: str, value):
    """Map a generated value onto a seeded row, or one that does not exist."""
    choices = SEED.ids[kind]
    if isinstance(value, bool) or not isinstance(value, int | str):
        return value
    index = value if isinstance(value, int) else len(value)
    slot = index % (len(choices) + 1)
    return choices[slot] if slot < len(choices) else value


def _to_seeded_rows(context, path_parameters):
    if not path_parameters or not SEED.ids:
        return path_parameters
    segments = context.operation.path.strip("/").split("/")
    mapped = dict(path_parameters)
    for position, segment in enumerate(segments):
        name = segment.strip("{}")
        if segment.startswith("{") and name in mapped and position > 0:
            # A round is named by its number within the program, not by an id.
            kind = "rounds" if name == "number" else _COLLECTIONS.get(segments[position - 1])
            if kind:
                mapped[name] = _seeded(kind, mapped[name])
    return mapped


_ZONES = ["UTC", "Asia/Nicosia", "Europe/Istanbul", "Europe/Athens", "America/New_York"]
_RANGES = {"programs_create": ("starts_on", "ends_on"),
           "programs_partial_update": ("starts_on", "ends_on"),
           "programs_sessions_create": ("starts_at", "ends_at"),
           "sessions_partial_update": ("starts_at", "ends_at")}


def _in_this_century(value):
    """A date or time in 2000-2099 for a generated one in years 1-9999 (half of them:
    those in an even year; the others keep probing extreme dates)."""
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() \
            and int(value[:4]) % 2 == 0:
        return f"20{value[2:4]}{value[4:]}"
    return value


def _plausible(context, case):
    """Valid input (positive cases only) made plausible where rules span fields or rows,
    so that creations succeed and linked calls reach what they made: a range that starts
    before it ends, often in this century, a real time zone, an organization that exists."""
    body = case.body
    if (not SEED.ids or not isinstance(body, dict)
            or (case.meta and case.meta.generation.mode.is_negative)):
        return case  # not seeded yet (collection), or meant to be invalid
    fields = _RANGES.get(case.operation.definition.raw.get("operationId"))
    if fields and all(isinstance(body.get(f), str) for f in fields):
        start, end = sorted(_in_this_century(body[f]) for f in fields)
        body[fields[0]], body[fields[1]] = start, end
    if isinstance(body.get("timezone"), str):
        body["timezone"] = _ZONES[len(body["timezone"]) % len(_ZONES)]
    if isinstance(body.get("organization"), str) and not _organization_exists(body):
        body["organization"] = SEED.ids["organizations"][0]
    return case


def _organization_exists(body) -> bool:
    return Organization.objects.filter(slug=body["organization"]).exists()


def _truly_negative(context, case):
    """Drop a case labelled invalid whose only invalid part, its body, is in fact valid.

    Schemathesis's coverage phase negates one branch of a `oneOf` at times without
    checking the others: a blank `website` "violates the uri format" yet matches the
    blank branch, and the server rightly accepts it. Such a case tests nothing.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return True
    negative = [location for location in meta.components if meta.is_negative_at(location)]
    if negative != [ParameterLocation.BODY] or case.body is NOT_SET:
        return True
    try:
        return not any(body.is_valid(case.body) for body in case.operation.body)
    except ValueError:  # not JSON at all (raw bytes): invalid indeed
        return True


def load_schema(config: dict):
    """The API's schema, called in-process, with path parameters mapped onto seeded rows.

    Stateful sequences follow the schema's declared links only: Schemathesis's inferred
    ones took a blank `slug` from a creation's request (where blank means "make one up")
    for the organization's slug.
    """
    checks = config.get("checks", {})
    config = {
        **config,
        "phases": {"stateful": {"inference": {"algorithms": []}}},
        "checks": {**checks, "negative_data_rejection": {
            **checks.get("negative_data_rejection", {}), "expected-statuses": REFUSALS}},
    }
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application,
                                            config=SchemathesisConfig.from_dict(config))
    schema.app = _application
    schema.hook("map_path_parameters")(_to_seeded_rows)
    schema.hook("map_case")(_plausible)
    schema.hook("filter_case")(_truly_negative)
    return schema
