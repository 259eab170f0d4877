"""Our own 400/403/404/500 pages, the favicon, and a clear start-up failure."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from core.startup import require_static_manifest

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_an_unknown_page_is_our_404_with_a_way_back(client, production):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We could not find that page" in body
    assert 'href="/programs/"' in body
    assert "<h1>Not Found</h1>" not in body


def test_another_organizations_page_is_the_same_friendly_404(client, production, org, bob):
    client.force_login(bob)
    response = client.get(f"/orgs/{org.slug}/members/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_a_server_error_is_our_500_page(settings, production):
    settings.ROOT_URLCONF = "tests.urls_failing"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_a_form_without_its_csrf_token_gets_our_page(production, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    response = client.post("/me/profile/", {})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_hashed_static_files_without_collectstatic_stop_the_start(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    with pytest.raises(ImproperlyConfigured, match="collectstatic"):
        require_static_manifest()
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    require_static_manifest()


def test_plain_static_files_need_no_manifest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    require_static_manifest()
