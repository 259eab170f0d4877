"""Exploring fuzz run: Schemathesis with a fresh seed and a time budget (`make fuzz`).

Unlike the fixed-seed run in `make test`, this one looks for what nobody has seen
yet: every run draws a new seed (printed, so `make fuzz SEED=<seed>` replays it), runs
all of Schemathesis's phases (schema examples, coverage, fuzzing, and stateful
sequences that follow the schema's OpenAPI links: create → read, update, delete)
and repeats fuzzing and stateful sequences until FUZZ_SECONDS are spent. It calls the
app in-process on committed seeded rows, as the staff owner, a participant and an
anonymous caller in turn, and lets what the requests create, change and delete pile
up (see `seeded_for_exploring`).

Collected only when FUZZ_SEED is set (tests/conftest.py), which `make fuzz` does.
"""

import os
from collections import Counter

import pytest
from schemathesis.engine import events, from_schema

from tests.fuzz.schema import load_schema

pytestmark = [pytest.mark.fuzz, pytest.mark.explore]

SEED = int(os.environ.get("FUZZ_SEED") or 0)
SECONDS = int(os.environ.get("FUZZ_SECONDS") or 180)
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 100)
# Share of the budget per caller: the owner reaches the most operations.
CALLERS = {"staff": 3, "participant": 2, "anonymous": 1}
CHECKS = ["not_a_server_error", "status_code_conformance", "response_schema_conformance",
          "content_type_conformance", "negative_data_rejection",
          # Stateful: what a link says was created can be read, and gone once deleted.
          "use_after_free", "ensure_resource_availability"]


def _config(seconds: int, headers: dict) -> dict:
    return {
        "seed": SEED,
        "max-time": max(1, seconds),
        "workers": 1,
        "cache": {"enabled": False},  # what earlier runs saw would make a seed unreplayable
        "headers": headers,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none",
                       "with-security-parameters": False},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    }


def _explore(headers: dict, seconds: int) -> dict:
    """Run every phase for `seconds`; the scenarios per phase and the failures found."""
    schema = load_schema(_config(seconds, headers))
    scenarios, failures = Counter(), {}
    stop = None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            scenarios[getattr(event, "phase", "fuzzing")] += 1
            recorder = event.recorder
            for checks in recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        key = (check.name, recorder.label, failure.title)
                        failures.setdefault(key, f"{failure.message[:2000]}\n"
                                                 f"{check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            failures.setdefault(("error", event.label, str(event.value)), "")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            stop = event.stop_reason
    return {"scenarios": scenarios, "failures": failures, "stop": stop}


def test_explore_the_api(seeded_for_exploring, capsys):
    weights = sum(CALLERS.values())
    report, failures = [], {}
    for caller, weight in CALLERS.items():
        token = seeded_for_exploring.tokens.get(caller)
        headers = {"Authorization": f"Token {token}"} if token else {}
        before = sum(seeded_for_exploring.calls.values())
        result = _explore(headers, SECONDS * weight // weights)
        sent = sum(seeded_for_exploring.calls.values()) - before
        failures.update({(caller, *key): sample for key, sample in result["failures"].items()})
        phases = ", ".join(f"{phase}: {n}" for phase, n in sorted(result["scenarios"].items()))
        report.append(f"  {caller:<12} {sent:>6} requests, scenarios ({phases}), "
                      f"{len(result['failures'])} failures, stopped: {result['stop']}")
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(seeded_for_exploring.calls.items()))
    with capsys.disabled():
        print(f"\nFuzz seed {SEED}, budget {SECONDS}s, {MAX_EXAMPLES} examples per operation "
              f"(replay: make fuzz SEED={SEED} FUZZ_SECONDS={SECONDS})")
        print("\n".join(report))
        print(f"  answers by status: {statuses}; {len(failures)} failures in all")
        for (caller, check, operation, title), sample in sorted(failures.items()):
            print(f"\nFAILURE [{caller}] {check} on {operation}: {title}\n{sample}")
    assert not failures, f"{len(failures)} failures; replay with make fuzz SEED={SEED}"
