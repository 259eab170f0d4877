"""Every page can be reached by clicking, from the home page, by the people it is for.

Over the demo data, each role (anonymous, participant, facilitator, coordinator, owner,
custodian) follows the links of every page it reaches, starting at the home page. Each
page template must be rendered for the roles listed in REACHED_BY; a page template
in neither REACHED_BY nor NOT_BY_LINK fails the test, so a new page needs a decision.
"""

import html
import re
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from participants.models import User

pytestmark = pytest.mark.django_db

ANONYMOUS, PARTICIPANT, FACILITATOR, COORDINATOR, OWNER, CUSTODIAN = (
    "anonymous", "participant", "facilitator", "coordinator", "owner", "custodian")
ACCOUNTS = {
    PARTICIPANT: "participant@parley.example",
    FACILITATOR: "facilitator@parley.example",
    COORDINATOR: "coordinator@parley.example",
    OWNER: "staff@parley.example",
    CUSTODIAN: "custodian@parley.example",
}
SIGNED_IN = (PARTICIPANT, FACILITATOR, COORDINATOR, OWNER, CUSTODIAN)
STAFF = (COORDINATOR, OWNER)

REACHED_BY = {
    "home.html": (ANONYMOUS, *SIGNED_IN),
    "exchanges/program_list.html": (ANONYMOUS, *SIGNED_IN),
    "exchanges/program_detail.html": (ANONYMOUS, *SIGNED_IN),
    "dialogues/program_sessions.html": (ANONYMOUS, PARTICIPANT, *STAFF, CUSTODIAN),
    "dialogues/session_detail.html": (PARTICIPANT, FACILITATOR, *STAFF, CUSTODIAN),
    "participants/signup.html": (ANONYMOUS,),
    "participants/terms.html": (ANONYMOUS,),
    "registration/login.html": (ANONYMOUS,),
    "registration/password_reset_form.html": (ANONYMOUS,),
    "exchanges/my_programs.html": SIGNED_IN,
    "dialogues/my_sessions.html": (PARTICIPANT, FACILITATOR),
    "participants/messages.html": SIGNED_IN,
    "participants/profile.html": SIGNED_IN,
    "participants/my_data.html": SIGNED_IN,
    "participants/api_token.html": SIGNED_IN,
    "registration/password_change_form.html": SIGNED_IN,
    "two_factor/setup.html": SIGNED_IN,
    "dialogues/evaluation/my_surveys.html": (PARTICIPANT,),
    "dialogues/evaluation/survey.html": (PARTICIPANT,),
    "exchanges/organization_list.html": (FACILITATOR, *STAFF, CUSTODIAN),
    "exchanges/organization_dashboard.html": (FACILITATOR, *STAFF, CUSTODIAN),
    "exchanges/organization_members.html": (FACILITATOR, *STAFF, CUSTODIAN),
    "exchanges/organization_activity.html": (OWNER,),
    "exchanges/organization_settings.html": (OWNER,),
    "exchanges/program_applications.html": (*STAFF, CUSTODIAN),
    "exchanges/identity/reveal.html": (CUSTODIAN,),
    "exchanges/incidents/incident_form.html": (PARTICIPANT, FACILITATOR, *STAFF, CUSTODIAN),
    "exchanges/incidents/program_incidents.html": (OWNER, CUSTODIAN),
    "exchanges/incidents/incident_detail.html": (PARTICIPANT, OWNER, CUSTODIAN),
    "exchanges/program_form.html": STAFF,
    "dialogues/reminders.html": STAFF,
    "dialogues/session_form.html": STAFF,
    "dialogues/session_cancel.html": STAFF,
    "dialogues/groups/program_groups.html": STAFF,
    "dialogues/evaluation/settings.html": STAFF,
    "dialogues/evaluation/results.html": STAFF,
    "dialogues/evaluation/organization_results.html": STAFF,
}

# Pages no link leads to, and why.
NOT_BY_LINK = {
    "400.html": "an error page",
    "403.html": "an error page",
    "403_csrf.html": "an error page",
    "404.html": "an error page",
    "exchanges/invitation.html": "opened from the invitation email",
    "exchanges/guardian_consent.html": "opened by a guardian from the consent email",
    "registration/password_reset_confirm.html": "opened from the password reset email",
    "registration/password_reset_complete.html": "after setting a new password from the email",
    "registration/password_reset_done.html": "after asking for the reset email (a form)",
    "registration/password_change_done.html": "after changing the password (a form)",
    "registration/logged_out.html": "after signing out (a form)",
    "registration/locked_out.html": "after too many failed sign-ins",
    "two_factor/verify.html": "during sign-in, or after scanning the code (a form)",
    "dialogues/evaluation/survey_closed.html": "a survey link opened after its wave closed",
    "dialogues/groups/my_groups.html": "linked once a participant is in a group (none in the "
                                       "demo data; tests/dialogues cover the link)",
    "dialogues/groups/round_sessions.html": "linked from a round of groups (none in the demo "
                                            "data; tests/dialogues cover the link)",
}

SKIPPED_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/calendar/")
PER_ROUTE = 3  # pages of one route visited per role: enough to see where it leads
MAX_PAGES = 400


def page_templates() -> set[str]:
    root = Path(settings.BASE_DIR) / "templates"
    return {
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if '{% extends "base.html" %}' in path.read_text(encoding="utf-8")
    }


def links(body: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'<a\s[^>]*href="([^"]+)"', body)]


def route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(client: Client) -> set[str]:
    """Templates rendered on the pages reachable by links from the home page."""
    seen_paths, per_route, rendered = set(), Counter(), set()
    queue = deque(["/"])
    while queue and len(seen_paths) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        rendered |= {t.name for t in response.templates if t.name}
        for href in links(response.content.decode()):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue  # another site, mailto:, a fragment
            if parts.path.startswith(SKIPPED_PREFIXES) or parts.path.endswith((".ics", ".csv")):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            route = route_of(parts.path)
            if target in seen_paths or route is None or per_route[route] >= PER_ROUTE:
                continue
            seen_paths.add(target)
            per_route[route] += 1
            queue.append(target)
    return rendered


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_every_page_template_has_a_decision():
    undecided = page_templates() - set(REACHED_BY) - set(NOT_BY_LINK)
    assert undecided == set(), "add each new page to REACHED_BY or NOT_BY_LINK"
    assert set(REACHED_BY) & set(NOT_BY_LINK) == set()


def test_each_role_reaches_its_pages_by_links(demo):
    # One test for every role: the demo data is loaded once.
    unreached = {}
    for role in (ANONYMOUS, *SIGNED_IN):
        client = Client()
        if role != ANONYMOUS:
            client.force_login(User.objects.get(email=ACCOUNTS[role]))
        expected = {name for name, roles in REACHED_BY.items() if role in roles}
        if missing_pages := expected - crawl(client):
            unreached[role] = sorted(missing_pages)
    assert unreached == {}, "these roles cannot reach these pages by clicking"
