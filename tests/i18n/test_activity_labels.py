"""Activity verbs are codes for machines and labels for people, in their language."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from exchanges import services
from exchanges.activity import VERBS, verb_label
from exchanges.models import ApplicationStatus, ProgramStatus
from tests.factories import program_with_sides

ROOT = Path(settings.BASE_DIR)


def _verbs_in_code() -> tuple[set[str], set[str]]:
    """Literal verbs passed as verb="..." anywhere, and the prefixes of f-string verbs."""
    literal, prefixes = set(), set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests", "var"} or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "verb":
                values = list(ast.walk(node.value))
                inside_fstrings = {id(part) for value in values
                                   if isinstance(value, ast.JoinedStr) for part in value.values}
                for value in values:
                    if isinstance(value, ast.JoinedStr):
                        prefixes.add(value.values[0].value)
                    elif (isinstance(value, ast.Constant) and isinstance(value.value, str)
                          and id(value) not in inside_fstrings):
                        literal.add(value.value)
    return literal, prefixes


def test_every_verb_the_code_writes_has_a_label():
    literal, prefixes = _verbs_in_code()
    assert len(literal) > 20
    assert prefixes == {"application.", "program."}
    written = literal | {f"application.{s}" for s in ApplicationStatus.values if s != "pending"}
    written |= {f"program.{s}" for s in ProgramStatus.values if s != "draft"}
    assert sorted(written - set(VERBS)) == []


def test_a_verb_without_a_label_shows_its_code():
    assert verb_label("something.new") == "something.new"


@pytest.mark.django_db
def test_the_activity_page_and_its_filter_show_labels_in_the_readers_language(
        client, org, alice):
    alice.language = "tr"
    alice.save(update_fields=["language"])
    services.program_publish(program=program_with_sides(organization=org, status="draft"),
                             actor=alice)
    client.force_login(alice)
    html = client.get("/orgs/bridges/activity/").content.decode()
    assert ">Bir program yayımladı</td>" in html
    assert '<option value="program.published">Bir program yayımladı</option>' in html
    assert "Bir program yayımladı" in client.get("/orgs/bridges/").content.decode()


@pytest.mark.django_db
def test_the_admin_lists_and_filters_verbs_by_label(admin_client, org, alice):
    services.program_publish(program=program_with_sides(organization=org, status="draft"),
                             actor=alice)
    html = admin_client.get("/admin/exchanges/activitylog/").content.decode()
    assert "Published a program" in html
    assert "?verb=program.published" in html
