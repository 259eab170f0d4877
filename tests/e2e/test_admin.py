import pytest
from django.core.management import call_command

from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_admin_signs_in_and_reviews_the_activity_log(page):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sign_in(page, "admin@parley.example", "parley-demo-2026")
    page.goto("/admin/")
    assert page.get_by_role("heading", name="Activity, people, programs and messages").is_visible()
    page.get_by_role("link", name="Activity log").click()
    path = screenshot(page, "admin-activity-log")
    assert page.locator("td.field-what", has_text="Created a program").first.is_visible()
    path = screenshot(page, "admin-activity-log")
    assert path.stat().st_size > 10_000


def test_api_docs_render_offline_under_the_content_security_policy(page):
    page.goto("/api/v1/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Parley API" in page.locator(".swagger-ui .info .title").inner_text()
    screenshot(page, "api-docs")
