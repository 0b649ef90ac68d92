"""An `Exporter` as an xlsx workbook: one sheet, written in openpyxl's write-only mode (rows go
straight to a temporary file, so memory stays flat at 20,000 rows and more).

* row 1 is the table's heading (the campaign and the title, bold, larger); row 2 the header,
  bold, frozen (panes at A3) and repeated on every printed page;
* printed on A4, fitted to the page width, in landscape when the columns are wider than a
  portrait page takes (`PORTRAIT_WIDTH`);
* columns are sized from `Column.width` (in Chinese characters), widened for the header and for
  the first `SAMPLE_ROWS` rows, measured CJK-aware (`cells.display_width`);
* numbers are written as numbers: a ``number`` column (scores) with two decimals, as the
  official documents print them (97.50), an ``integer`` column without; percentages as numbers
  with a % format, dates as dates;
* text starting with = + - @ tab or CR is written as a string cell (data type "s") marked with
  the quote prefix (the cell style's ``quotePrefix``, what a spreadsheet sets when a user types
  a leading apostrophe): it shows as typed, with no visible apostrophe, and no spreadsheet
  evaluates it as a formula, not even after the cell is edited. (CSV has no cell types, so CSV
  keeps the apostrophe of `cells.neutralise`.)
"""

from __future__ import annotations

import re
from itertools import chain, islice
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from mofan.core.exports.base import Column, Export, Progress
from mofan.reports import cells

SAMPLE_ROWS = 100  # rows looked at to widen columns (kept in memory until written)
MAX_WIDTH = 60  # half-width columns; data never widens a column beyond this
MAX_TEXT = 32767  # Excel's limit on the characters of one cell
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
NUMBER_FORMAT = "0.00"
INTEGER_FORMAT = "0"
PORTRAIT_WIDTH = 110  # half-width columns a portrait A4 page prints at a readable size
A4 = 9  # the paper size code of A4 in SpreadsheetML
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(title: str) -> str:
    clean = _SHEET_FORBIDDEN.sub("", title).strip("'") or "Sheet1"
    return clean[:31]


def column_widths(columns: list[Column], sample: list[list[cells.Cell]]) -> list[float]:
    """Half-width columns for each column: at least `Column.width` Chinese characters and the
    header, and wide enough for the sampled cells up to `MAX_WIDTH`."""
    widths = []
    for index, column in enumerate(columns):
        data = max((cells.display_width(row[index].text) for row in sample), default=0)
        header = cells.display_width(column.header)
        widths.append(float(max(column.width * 2, header + 2, min(data + 2, MAX_WIDTH))))
    return widths


def _clean(text: str) -> str:
    # `cells` has already removed the control characters (before neutralising, so that a
    # removed character can never uncover a formula); this only keeps to Excel's length limit.
    return text[:MAX_TEXT]


def _value(ws: WriteOnlyWorksheet, c: cells.Cell, column_kind: str) -> Any:
    """What to append for one cell: the plain value where openpyxl's default is right, a styled
    WriteOnlyCell where a format or the data type must be set."""
    if c.kind == "empty":
        return None
    if c.kind == "number":
        if column_kind not in ("number", "integer"):
            return c.value
        out = WriteOnlyCell(ws, value=c.value)
        out.number_format = NUMBER_FORMAT if column_kind == "number" else INTEGER_FORMAT
        return out
    if c.kind == "text":
        text = _clean(c.value)
        if text.startswith("'") and cells.is_formula_like(text[1:]):
            out = WriteOnlyCell(ws, value=text[1:])
            out.data_type = "s"
            out.quotePrefix = True
            return out
        return text
    out = WriteOnlyCell(ws, value=c.value)
    out.number_format = {
        "percent": PERCENT_FORMAT,
        "date": DATE_FORMAT,
        "datetime": DATETIME_FORMAT,
    }[c.kind]
    return out


def _print_setup(ws: WriteOnlyWorksheet, widths: list[float]) -> None:
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if sum(widths) > PORTRAIT_WIDTH else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True


def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
    table, columns, kinds, total = cells.table_of(export)

    workbook = Workbook(write_only=True)
    title = table.title()
    ws = workbook.create_sheet(title=sheet_title(title))
    rows = (cells.row_cells(values, kinds) for values in table.rows())
    sample = list(islice(rows, SAMPLE_ROWS))
    widths = column_widths(columns, sample)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    _print_setup(ws, widths)

    heading = WriteOnlyCell(ws, value=_clean(cells.text_cell(table.heading()).text))
    heading.data_type = "s"
    heading.font = Font(bold=True, size=14)
    ws.append([heading])
    bold = Font(bold=True)
    header = []
    for column in columns:
        head = WriteOnlyCell(ws, value=_clean(cells.text_cell(column.header).text))
        head.data_type = "s"
        head.font = bold
        header.append(head)
    ws.append(header)
    for row in cells.with_progress(chain(sample, rows), total, progress):
        ws.append([_value(ws, c, kind) for c, kind in zip(row, kinds, strict=True)])
    workbook.save(stream)
