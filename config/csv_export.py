"""CSV downloads: every CSV file the project writes goes through `csv_response`.

Spreadsheets evaluate a cell that starts with = + - @ (and, in some, a tab or a
carriage return) as a formula, so text people typed (a display name such as
`=HYPERLINK(...)`) could run in the reader's spreadsheet. Such a cell is written
with a leading apostrophe, which spreadsheets show as plain text.
"""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The value as text a spreadsheet will not evaluate."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_response(filename: str, rows: Iterable[Iterable]) -> HttpResponse:
    """An attachment `filename` with the rows (header first), every cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response
