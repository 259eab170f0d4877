"""Property tests: any JSON, however it nests, is parsed or refused with a 4xx, never a 500.

The parser keeps what nests up to MAX_JSON_DEPTH and refuses the rest (400); below
it, serializers and services answer 4xx to any JSON value in any field of a body.
"""

import copy
import io
import json

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from core.parsers import MAX_JSON_DEPTH, JSONParser, nesting_depth
from tests.api.conftest import client_for
from tests.factories import (
    SessionFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
)

SCALARS = (st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5),
                                                                      children, max_size=3),
    max_leaves=20,
)


def _reference_depth(value) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        return 0
    return 1 + max((_reference_depth(child) for child in value), default=0)


def _nest(value, levels: int, shape: str):
    for _ in range(levels):
        value = [value] if shape == "list" else {"k": value}
    return value


def _parse(text: str):
    return JSONParser().parse(io.BytesIO(text.encode()), "application/json",
                              {"encoding": "utf-8"})


@given(JSON_VALUES)
def test_nesting_depth_agrees_with_a_recursive_count(value):
    assert nesting_depth(value, stop_after=10**6) == _reference_depth(value)


@given(JSON_VALUES, st.integers(min_value=0, max_value=3 * MAX_JSON_DEPTH),
       st.sampled_from(["list", "dict"]))
def test_parser_keeps_input_to_the_limit_and_refuses_deeper(value, levels, shape):
    nested = _nest(value, levels, shape)

    if _reference_depth(nested) <= MAX_JSON_DEPTH:
        assert _parse(json.dumps(nested)) == nested
    else:
        with pytest.raises(ParseError):
            _parse(json.dumps(nested))


@given(st.integers(min_value=MAX_JSON_DEPTH + 1, max_value=20_000))
@settings(max_examples=20)
def test_parser_refuses_any_deep_nesting_without_recursing(depth):
    with pytest.raises(ParseError):
        _parse("[" * depth + "]" * depth)


# --- Through the API: any part of a valid body replaced by any JSON value, or left out ---

NESTED_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["id", "name", "participant", "attended", "kind", "x"]), children,
        max_size=3),
    max_leaves=12,
)


def _bodies(world):
    """(caller, method, path, a valid body) for each API body with lists or objects."""
    program = world["program"]
    side = program.sides.first()
    return [
        (None, "post", "/api/v1/auth/register/",
         {"email": "new@example.org", "password": "a long pass phrase", "display_name": "N"}),
        (None, "post", "/api/v1/auth/token/", {"email": "x@example.org", "password": "x"}),
        ("owner", "post", "/api/v1/programs/", {
            "organization": program.organization.slug, "title": "T", "kind": "dialogue",
            "starts_on": "2030-01-01", "ends_on": "2030-01-02", "capacity": 4,
            "balance": "parity", "sides": [{"name": "A"}, {"name": "B"}]}),
        ("owner", "patch", f"/api/v1/programs/{program.pk}/",
         {"sides": [{"id": side.pk, "name": "North"}, {"name": "East"}]}),
        ("owner", "put", f"/api/v1/programs/{program.pk}/reminders/",
         [{"kind": "session_reminder", "offset_minutes": -60}]),
        ("owner", "post", f"/api/v1/sessions/{world['session'].pk}/attendance/",
         [{"participant": world["participant"].pk, "attended": True}]),
        ("owner", "post", f"/api/v1/sessions/{world['session'].pk}/outcomes/",
         {"kind": "idea", "text": "An idea"}),
        ("participant", "post", f"/api/v1/programs/{program.pk}/applications/",
         {"side": side.pk, "motivation": "M"}),
        ("participant", "patch", "/api/v1/me/", {"display_name": "P", "languages": "en"}),
    ]


def _mutate(data, body):
    """The body with one part, at any depth, replaced by any JSON value or left out."""
    keys = list(body) if isinstance(body, dict) else list(range(len(body))) \
        if isinstance(body, list) else []
    # Weighted towards going deeper: the bugs live in what a nested item lacks.
    action = data.draw(st.sampled_from(["descend", "descend", "drop", "replace"] if keys
                                       else ["replace"]))
    if action == "replace":
        return data.draw(NESTED_VALUES)
    key = data.draw(st.sampled_from(keys))
    changed = copy.copy(body)
    if action == "drop":
        del changed[key]
    else:
        changed[key] = _mutate(data, body[key])
    return changed


@pytest.fixture
def world(db, org, alice):
    program = program_with_sides("North", "South", organization=org, status="published")
    participant = accepted_participant(program)
    return {
        "program": program, "participant": participant,
        "session": SessionFactory(program=program), "owner": alice,
        "applicant": UserFactory(),
    }


@pytest.mark.parametrize("endpoint", range(9))
@given(data=st.data())
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_value_anywhere_in_a_body_never_answers_500(world, endpoint, data):
    caller, method, path, body = _bodies(world)[endpoint]
    user = {"owner": world["owner"], "participant": world["applicant"]}.get(caller)
    sent = _mutate(data, body)

    with transaction.atomic():
        response = getattr(client_for(user), method)(path, sent, format="json")
        transaction.set_rollback(True)

    assert response.status_code < 500, (method, path, sent, response.content)
