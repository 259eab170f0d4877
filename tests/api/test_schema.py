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


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(path))
    return yaml.safe_load(path.read_text())


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _component(schema, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_side_filter_is_a_row_id(schema):
    parameters = schema["paths"]["/api/v1/programs/{id}/applications/"]["get"]["parameters"]
    side = next(p for p in parameters if p["name"] == "side")
    assert side["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_patch_bodies_require_nothing(schema):
    patches = [(path, operation) for path, method, operation in _operations(schema)
               if method == "patch"]
    assert len(patches) >= 5
    for path, operation in patches:
        body = _component(schema, operation["requestBody"]["content"]["application/json"]
                          ["schema"]["$ref"])
        assert "required" not in body, path


@pytest.mark.parametrize(("component", "field"), [
    ("Register", "display_name"), ("Register", "password"), ("TokenRequest", "password"),
    ("PatchedMe", "display_name"), ("PatchedMe", "timezone"), ("OrganizationCreate", "name"),
    ("PatchedOrganization", "name"), ("ProgramWrite", "title"), ("PatchedProgramUpdate", "title"),
    ("SideWrite", "name"), ("Session", "title"), ("PatchedSession", "title"),
    ("Session", "timezone"), ("Outcome", "text"),
])
def test_texts_the_server_refuses_blank_say_so(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field]["minLength"] == 1


@pytest.mark.parametrize(("component", "field"), [
    ("PatchedMe", "legal_name"), ("Applicant", "legal_name"), ("ProgramWrite", "summary"),
    ("Session", "location"), ("ApplicationCreate", "motivation"),
])
def test_texts_that_may_be_blank_have_no_minimum(schema, component, field):
    assert "minLength" not in schema["components"]["schemas"][component]["properties"][field]


def test_what_is_created_links_to_what_can_be_done_with_it(schema):
    operation_ids = {operation["operationId"] for _p, _m, operation in _operations(schema)}
    links = {
        (path, method): operation["responses"][status]["links"]
        for path, method, operation in _operations(schema)
        for status in operation["responses"] if "links" in operation["responses"][status]
    }

    assert set(links) >= {("/api/v1/organizations/", "post"), ("/api/v1/programs/", "post"),
                          ("/api/v1/programs/{id}/applications/", "post"),
                          ("/api/v1/programs/{id}/sessions/", "post")}
    targets = {link["operationId"] for by_name in links.values() for link in by_name.values()}
    assert targets <= operation_ids
    assert {"programs_retrieve", "programs_partial_update", "programs_destroy",
            "applications_retrieve", "applications_withdraw_create", "sessions_retrieve",
            "sessions_partial_update", "organizations_retrieve"} <= targets
    create_program = links[("/api/v1/programs/", "post")]["programs_retrieve"]
    assert create_program["parameters"] == {"id": "$response.body#/id"}


def test_a_link_to_an_operation_that_is_gone_fails_the_schema():
    from core.openapi import add_links

    result = {"paths": {"/api/v1/organizations/": {"post": {
        "operationId": "organizations_create", "responses": {"201": {}}}}}}

    with pytest.raises(KeyError, match="organizations_retrieve"):
        add_links(result, generator=None, request=None, public=True)


def test_erasing_ones_account_documents_the_password_body(schema):
    body = schema["paths"]["/api/v1/me/"]["delete"]["requestBody"]

    assert body["required"] is True
    erase = _component(schema, body["content"]["application/json"]["schema"]["$ref"])
    assert erase["required"] == ["password"]


def test_path_parameters_are_what_the_url_converters_match(schema):
    """A blank slug would name another path (/organizations//members/ is not the members
    of ""), and an id is never negative."""
    parameters = {(p["name"], str(p["schema"])) for _path, _method, operation in _operations(schema)
                  for p in operation.get("parameters", []) if p["in"] == "path"}

    text = str({"type": "string", "pattern": "^[^/]+$"})
    assert parameters == {
        ("id", str({"type": "integer", "minimum": 0})),
        ("number", str({"type": "integer", "minimum": 0})),  # a round of groups
        ("slug", str({"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"})),
        ("token", text),  # an invitation
        ("wave", text),  # an evaluation wave: pre, post, m<N>
    }
