"""Input limits: oversized, malformed, undecodable or out-of-range input answers a JSON 4xx.
"""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory
from rest_framework.test import APIClient

from core.middleware import ApiErrorsMiddleware
from core.parsers import MAX_JSON_DEPTH
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Bodies ---


def test_body_over_the_upload_limit_answers_413_json():
    body = json.dumps({"email": "a@example.org", "password": "x" * (1024 * 1024),
                       "display_name": "A"})

    response = APIClient().post("/api/v1/auth/register/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1048576 bytes.",
                               "code": "request_too_large"}


def test_request_data_too_big_raised_by_django_answers_413_json():
    request = RequestFactory().post("/api/v1/programs/")
    middleware = ApiErrorsMiddleware(lambda request: None)

    response = middleware.process_exception(request, RequestDataTooBig("too big"))

    assert response.status_code == 413
    assert json.loads(response.content) == {
        "detail": "The request body is larger than 1048576 bytes.", "code": "request_too_large"}


def test_malformed_json_answers_400_json():
    response = APIClient().post("/api/v1/auth/token/", b'{"email": ',
                                content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - Expecting value: line 1 column 11 (char 10)",
        "code": "parse_error",
    }


def test_body_that_is_not_utf8_answers_400_json():
    response = APIClient().post("/api/v1/auth/token/", b'{"email": "\xff\xfe"}',
                                content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"].startswith("JSON parse error - 'utf-8' codec can't decode")


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/auth/register/"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000])
def test_json_nested_too_deep_answers_400_to_anyone(path, depth):
    body = "[" * depth + "]" * depth

    response = APIClient().post(path, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested deeper than 32 levels.",
                               "code": "parse_error"}


def test_json_nested_too_deep_inside_a_field_answers_400(bob):
    body = '{"display_name": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"

    response = signed_in(bob).patch("/api/v1/me/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_nested_to_the_limit_reaches_the_serializer():
    body = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH

    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_nul_byte_in_a_json_string_answers_400_naming_the_field(bob):
    response = signed_in(bob).patch("/api/v1/me/", {"display_name": "Bo\x00b"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"display_name": ["Null characters are not allowed."]}


def test_plain_text_body_answers_415_json(bob):
    response = signed_in(bob).patch("/api/v1/me/", "display_name=Bob",
                                    content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "text/plain" in request.',
                               "code": "unsupported_media_type"}


def test_number_for_a_text_field_answers_400_naming_the_field(alice):
    response = signed_in(alice).post("/api/v1/organizations/", {"name": 0}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["Not a valid string."]}


def test_number_for_a_slug_answers_400_naming_the_field(alice, org):
    organizations = signed_in(alice).post("/api/v1/organizations/", {"name": "Camp", "slug": 0},
                                          format="json")
    programs = signed_in(alice).post("/api/v1/programs/", {"organization": 0}, format="json")

    assert organizations.status_code == 400
    assert list(organizations.json()) == ["slug"]
    assert programs.status_code == 400
    assert "organization" in programs.json()


@pytest.mark.parametrize("value", [0, 1, "true", "no"])
def test_boolean_not_given_as_true_or_false_answers_400(bob, value):
    response = signed_in(bob).patch("/api/v1/me/", {"notify_email": value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["notify_email"]
    bob.refresh_from_db()
    assert bob.notify_email is True


@pytest.mark.parametrize("value", ["5", 5.0, True])
def test_integer_not_given_as_a_json_integer_answers_400(alice, published, value):
    response = signed_in(alice).patch(f"/api/v1/programs/{published.pk}/",
                                      {"capacity": value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["capacity"]


def test_row_id_given_as_text_answers_400(bob, published):
    side = published.sides.first()

    response = signed_in(bob).post(f"/api/v1/programs/{published.pk}/applications/",
                                   {"side": str(side.pk)}, format="json")

    assert response.status_code == 400
    assert response.json() == {"side": ["Incorrect type. Expected pk value, received str."]}


@pytest.mark.parametrize(("path", "method", "field", "limit"), [
    ("/api/v1/me/", "patch", "display_name", 80),
    ("/api/v1/me/", "patch", "legal_name", 200),
    ("/api/v1/me/", "patch", "languages", 200),
    ("/api/v1/organizations/", "post", "name", 120),
    ("/api/v1/organizations/", "post", "description", 5000),
])
def test_text_over_its_max_length_answers_400_naming_the_field(bob, path, method, field, limit):
    response = getattr(signed_in(bob), method)(path, {field: "x" * (limit + 1)}, format="json")

    assert response.status_code == 400
    assert response.json()[field] == [f"Ensure this field has no more than {limit} characters."]


def test_text_over_its_max_length_as_sent_answers_400_though_trimmed_it_would_fit(alice):
    """The schema's maxLength counts the string as sent; DRF counted it trimmed."""
    response = signed_in(alice).post("/api/v1/organizations/", {"name": "\t" + "x" * 120},
                                     format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["Ensure this field has no more than 120 characters."]}


def test_program_text_over_its_max_length_answers_400_naming_the_field(alice, org):
    body = {"organization": org.slug, "title": "t" * 201, "summary": "s" * 301,
            "description": "d" * 20001, "location": "l" * 201, "kind": "dialogue",
            "starts_on": "2027-01-01", "ends_on": "2027-01-02", "capacity": 4,
            "balance": "parity", "sides": [{"name": "n" * 81}, {"name": "South"}]}

    response = signed_in(alice).post("/api/v1/programs/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "title": ["Ensure this field has no more than 200 characters."],
        "summary": ["Ensure this field has no more than 300 characters."],
        "description": ["Ensure this field has no more than 20000 characters."],
        "location": ["Ensure this field has no more than 200 characters."],
        "sides": {"0": {"name": ["Ensure this field has no more than 80 characters."]}},
    }


# --- Query strings ---


def test_nul_byte_in_the_query_answers_400_json():
    response = APIClient().get("/api/v1/programs/", {"search": "a\x00b"})

    assert response.status_code == 400
    assert response.json() == {"detail": "The query string contains a NUL character.",
                               "code": "null_character"}


@pytest.mark.parametrize("query", ["search=%FF%FE", "search=\xff"])
def test_query_that_is_not_utf8_answers_400_json(query):
    response = APIClient().get("/api/v1/programs/", QUERY_STRING=query)

    assert response.status_code == 400
    assert response.json() == {"detail": "The query string is not valid UTF-8.",
                               "code": "invalid_encoding"}


@pytest.mark.parametrize("rows", [1, 3])
def test_huge_page_size_is_clamped_to_100(rows, django_assert_max_num_queries):
    ProgramFactory.create_batch(rows + 100)

    with django_assert_max_num_queries(3):
        response = APIClient().get("/api/v1/programs/", {"page_size": 100000})

    assert response.status_code == 200
    assert response.json()["count"] == rows + 100
    assert len(response.json()["results"]) == 100


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1.5", ""])
def test_page_size_that_is_not_a_whole_number_from_1_answers_400(page_size):
    response = APIClient().get("/api/v1/programs/", {"page_size": page_size})

    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number from 1."]}


@pytest.mark.parametrize("page", ["999", "0", "abc", ""])
def test_invalid_page_answers_404_json(page):
    ProgramFactory()

    response = APIClient().get("/api/v1/programs/", {"page": page})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page.", "code": "not_found"}


@pytest.mark.parametrize("name", ["status", "kind"])
def test_unknown_program_filter_value_answers_400_naming_the_filter(name):
    response = APIClient().get("/api/v1/programs/", {name: "bogus"})

    assert response.status_code == 400
    assert response.json() == {
        name: ["Select a valid choice. bogus is not one of the available choices."]}


@pytest.mark.parametrize("name", ["status", "kind"])
def test_empty_program_filter_value_answers_400_naming_the_filter(name):
    response = APIClient().get("/api/v1/programs/", {name: ""})

    assert response.status_code == 400
    assert response.json() == {name: ["Give a value, or leave this filter out."]}


def test_unknown_application_status_answers_400_naming_the_filter(alice, published):
    response = signed_in(alice).get(f"/api/v1/programs/{published.pk}/applications/",
                                    {"status": "bogus"})

    assert response.status_code == 400
    assert response.json() == {
        "status": ["Select a valid choice. bogus is not one of the available choices."]}


@pytest.mark.parametrize(("side", "message"), [
    ("abc", "Enter a whole number."),
    ("-7e212", "Enter a whole number."),
    ("0", "Ensure this value is greater than or equal to 1."),
    ("99999999999999999999", "Ensure this value is less than or equal to 9223372036854775807."),
    ("1.5", "Enter a whole number."),
])
def test_side_filter_out_of_range_answers_400_naming_the_filter(alice, published, side, message):
    response = signed_in(alice).get(f"/api/v1/programs/{published.pk}/applications/",
                                    {"side": side})

    assert response.status_code == 400
    assert response.json() == {"side": [message]}


# --- Django-level errors ---


def test_unknown_api_path_answers_json_404_to_a_session_post_without_csrf(bob):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(bob)

    response = client.post("/api/v1/no-such-thing/", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_page_django_renders_under_api_becomes_json():
    response = APIClient().get("/api/v2/programs/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_query_parameters_on_a_list_are_refused_by_name():
    response = APIClient().get("/api/v1/programs/", {"kindd": "sports", "page": "1"})
    assert response.status_code == 400
    assert response.json() == {"kindd": ["Unknown query parameter."]}
