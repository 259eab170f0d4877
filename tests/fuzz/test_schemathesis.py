"""Schemathesis over the whole v1 API schema, in-process, with a staff and a participant token.

Run (about one minute on two cores; 43 operations x 2 callers, 6680 requests):

    .venv/bin/python -m pytest -q -p no:cacheprovider -m fuzz tests/fuzz

Deterministic: Hypothesis runs derandomized from SEED_VALUE, with no example database,
at most MAX_EXAMPLES generated cases per operation and phase, and path parameters
are mapped onto the ids of the seeded rows (see conftest.py), so every run sends
the same requests. Every case runs the checks in CHECKS; positive and negative
(invalid) data are both generated.
"""

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.fuzz.conftest import SEED

pytestmark = pytest.mark.fuzz

SEED_VALUE = 20261106
MAX_EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
]
CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED_VALUE,
    "generation": {
        "mode": "all",
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        "with-security-parameters": False,
    },
})


def _load_schema():
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application,
                                          config=CONFIG)


def _application(environ, start_response):
    """The app under test: a handler built by `seeded`, under the fuzz run's settings."""
    return SEED.handler(environ, start_response)


schema = _load_schema()
schema.app = _application

# Which seeded rows a path parameter names, by the collection in front of it.
_COLLECTIONS = {"programs": "programs", "applications": "applications", "sessions": "sessions",
                "organizations": "organizations", "members": "members",
                "invitations": "invitations", "groups": "groups", "waves": "waves"}


def _seeded(kind: str, value):
    """Map a generated value onto a seeded row, or one that does not exist."""
    choices = SEED.ids[kind]
    if isinstance(value, bool) or not isinstance(value, int | str):
        return value
    index = value if isinstance(value, int) else len(value)
    slot = index % (len(choices) + 1)
    return choices[slot] if slot < len(choices) else value


@schema.hook("map_path_parameters")
def _to_seeded_rows(context, path_parameters):
    if not path_parameters:
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


@pytest.mark.parametrize("caller", ["staff", "participant"])
@schema.parametrize()
# Each case runs in a savepoint that is rolled back, so the seeded rows are the same
# for every case; the fixture itself is set up once per operation and caller.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case, caller, seeded):
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Token {seeded.tokens[caller]}"},
                               checks=CHECKS)
        transaction.set_rollback(True)
