"""Schemathesis over the whole v1 API schema, in-process, with a staff and a participant token.

Two tests: every operation on its own, and stateful sequences that follow the
schema's OpenAPI links (create an organization → a program in it → publish it →
apply to it / schedule a session → read, change, delete what was made).

Run (a few minutes on two cores; 43 operations x 2 callers, then 2 x 40 sequences):

    .venv/bin/python -m pytest -q -p no:cacheprovider -m "fuzz and not explore" tests/fuzz

Deterministic: Hypothesis runs derandomized from SEED_VALUE, with no example database,
at most MAX_EXAMPLES generated cases per operation and phase, and path parameters
are mapped onto the ids of the seeded rows (see conftest.py and schema.py), so every
run sends the same requests. Every case runs the checks in CHECKS; positive and
negative (invalid) data are both generated. `make fuzz` (test_explore.py) is the
run that explores with a fresh seed.
"""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings

from tests.fuzz.conftest import SEED
from tests.fuzz.schema import CHECKS, load_schema

pytestmark = pytest.mark.fuzz

SEED_VALUE = 20261106
MAX_EXAMPLES = 40
CONFIG = {
    "seed": SEED_VALUE,
    "generation": {
        "mode": "all",
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        "with-security-parameters": False,
    },
}

schema = load_schema(CONFIG)


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


STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 8


class LinkedCalls(schema.as_state_machine()):
    """One scenario: calls chained by the schema's links, as the caller, rolled back."""

    caller = "staff"

    def setup(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def get_call_kwargs(self, case):
        return {"headers": {"Authorization": f"Token {SEED.tokens[self.caller]}"}}

    def validate_response(self, response, case, **kwargs):
        case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("caller", ["staff", "participant"])
def test_linked_calls_conform_to_the_schema(caller, seeded, monkeypatch):
    monkeypatch.setattr(LinkedCalls, "caller", caller)
    LinkedCalls.run(settings=settings(
        max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS,
        derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is shown as found
        suppress_health_check=list(HealthCheck),
    ))

