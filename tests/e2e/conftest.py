"""Browser tests: Playwright driving Debian's Chromium against a live server."""

import os
from pathlib import Path

import pytest

from tests.conftest import missing

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the Django ORM calls the
# tests make between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    # This hook sees every collected test, not only this folder's.
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here + os.sep):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        missing(f"Chromium is not installed at {CHROMIUM}: `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, live_server, **options):
    """A fresh browser context; any Content-Security-Policy violation fails the test."""
    context = browser.new_context(base_url=live_server.url, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return context, page, violations


@pytest.fixture
def page(browser, live_server):
    context, page, violations = _open(browser, live_server,
                                      viewport={"width": 1280, "height": 900})
    yield page
    context.close()
    assert violations == []


@pytest.fixture
def phone(browser, live_server):
    context, page, violations = _open(browser, live_server,
                                      viewport={"width": 390, "height": 844}, is_mobile=True,
                                      has_touch=True)
    yield page
    context.close()
    assert violations == []


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
