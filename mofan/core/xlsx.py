"""Spreadsheets written with openpyxl keep text as text (formula injection).

openpyxl stores any string starting with "=" as a live formula. `keep_text` marks every text
cell of a sheet as a string, and those that a spreadsheet would read as a formula (= + - @)
also with Excel's quote prefix, so they are shown as text and stay text when a user edits the
cell. The value itself is unchanged, so a file that is read back (the indicator format's
round trip) gives the same text. Exports built from `reports` tables neutralise their cells
in `reports.cells` instead.
"""

from __future__ import annotations

from typing import Any

# A cell whose text starts with one of these is read as a formula by Excel, LibreOffice or
# WPS (tab and CR too: some strip them first). `reports.cells` neutralises the same ones.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def keep_text(sheet: Any) -> None:
    """Make every string cell of an openpyxl worksheet a plain text cell."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_TRIGGERS):
                    cell.quotePrefix = True
