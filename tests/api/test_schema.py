import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_valid_and_generates_without_warnings(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    assert schema["info"]["title"] == "Parley API"
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def _api_routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _normal(path: str) -> str:
    """`api/v1/programs/<int:pk>/` and `/api/v1/programs/{id}/` name the same path."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "X", path.strip("/"))


def test_every_api_route_is_in_the_schema(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(path))
    documented = {_normal(p) for p in yaml.safe_load(path.read_text())["paths"]}
    routes = {_normal(r) for r in _api_routes(get_resolver().url_patterns)
              if r.startswith("api/v1/") and "^" not in r
              and r not in {"api/v1/schema/", "api/v1/docs/"}}
    assert len(routes) > 20
    assert routes - documented == set()
