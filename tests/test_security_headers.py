"""The security headers and cookie flags of the site (issue: hardening)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/schema/"])
def test_pages_and_api_carry_the_policy(client, settings, path):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(path, secure=True)
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


TEST_FIELD_KEY = "A" * 43 + "="  # a well-formed Fernet key, for production settings

def test_templates_have_no_inline_script_or_style():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if " style=" in text or "<style" in text or "<script>" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_production_settings_secure_the_cookies(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.PASSWORD_HASHERS[0]]))"
    )
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "x" * 60, "PARLEY_VAR_DIR": str(tmp_path),
           "FIELD_ENCRYPTION_KEYS": TEST_FIELD_KEY,
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [
        True, True, True, "Lax", True, 31536000,
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # The browser tests allow sync ORM calls beside Playwright's loop; production does not.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "DEBUG": "false", "SECRET_KEY": "k3y-" + "Zq8#pW" * 10,
           "FIELD_ENCRYPTION_KEYS": TEST_FIELD_KEY,
           "ALLOWED_HOSTS": "parley.example", "PARLEY_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
