"""CSV downloads: every CSV file the project writes goes through `csv_response`.

Spreadsheets evaluate a cell that starts with = + - @ (and, in some, a tab or a
carriage return) as a formula, so text people typed (a display name such as
`=HYPERLINK(...)`) could run in the reader's spreadsheet. Such a cell is written
with a leading apostrophe, which spreadsheets show as plain text.
"""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


def csv_response(rows: Iterable[Iterable], filename: str) -> HttpResponse:
    """A UTF-8 CSV attachment; every cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response
