"""core.renderers.JSONRenderer writes what DRF's JSONRenderer writes, byte for byte,
for every value the API returns (floats: the same numbers)."""

import datetime
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers

from core.renderers import JSONRenderer

UTC = datetime.UTC
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(), st.datetimes(timezones=st.just(UTC)), st.dates(), st.times(),
    st.uuids(), st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=20)


def both(data, media_type=None, context=None):
    return (JSONRenderer().render(data, media_type, context),
            renderers.JSONRenderer().render(data, media_type, context))


@settings(max_examples=300)
@given(values)
def test_the_bytes_are_drfs(data):
    ours, drfs = both(data)
    assert ours == drfs


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_back_as_the_same_numbers(number):
    ours, drfs = both({"value": number})
    assert json.loads(ours) == json.loads(drfs)


@pytest.mark.parametrize("text", ["line\u2028break", "para\u2029graph", "\x00\x1f\x7f", "é ع א"])
def test_characters_javascript_reads_as_line_ends_are_escaped_as_drf_does(text):
    ours, drfs = both({"text": text})
    assert ours == drfs
    assert b"\\u2028" in ours or "\u2028" not in text


def test_values_only_drf_knows_are_written_by_drfs_encoder():
    data = {"lazy": gettext_lazy("Invalid page."), "at": datetime.datetime(
        2027, 3, 29, 6, 0, 0, 123456, tzinfo=UTC), "amount": Decimal("2.50"),
        "id": uuid.UUID(int=7), 3: "integer key", "rows": (1, 2)}
    ours, drfs = both(data)
    assert ours == drfs
    assert b'"at":"2027-03-29T06:00:00.123456Z"' in ours


def test_indented_output_and_integers_past_64_bits_are_drfs():
    indented = both({"a": [1]}, "application/json; indent=2", {"indent": 2})
    assert indented[0] == indented[1] == b'{\n  "a": [\n    1\n  ]\n}'
    huge = both({"n": 2**70})
    assert huge[0] == huge[1] == b'{"n":1180591620717411303424}'


def test_no_data_is_an_empty_body():
    assert JSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_the_api_answers_through_it(client):
    response = client.get("/api/v1/programs/")
    assert isinstance(response.accepted_renderer, JSONRenderer)
