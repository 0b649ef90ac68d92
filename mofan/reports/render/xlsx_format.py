"""An `Exporter` as an xlsx workbook: one sheet, written with XlsxWriter in constant-memory mode
(each row goes to a temporary file as it is written, so memory stays flat at 20,000 rows and
more). XlsxWriter rather than openpyxl's write-only mode: measured on a 20,000 × 14 ranking it
writes the same workbook in about a third of the time (docs/performance.md); openpyxl stays the
reader of uploaded workbooks.

* row 1 is the table's heading (the campaign and the title, bold, larger); row 2 the header,
  bold, frozen (panes at A3) and repeated on every printed page;
* printed on A4, fitted to the page width, in landscape when the columns are wider than a
  portrait page takes (`PORTRAIT_WIDTH`);
* columns are sized from `Column.width` (in Chinese characters), widened for the header and for
  the first `SAMPLE_ROWS` rows, measured CJK-aware (`cells.display_width`);
* numbers are written as numbers: a ``number`` column (scores) with two decimals, as the
  official documents print them (97.50), an ``integer`` column without; percentages as numbers
  with a % format, dates as dates;
* a column empty in every row is left out (a table with no rows keeps its header): the rows are
  read once into a temporary file (`SPOOL_CHUNK` rows at a time, pickled), noting which columns
  hold anything, then written from it, so memory stays flat however many rows there are;
* text starting with = + - @ tab or CR is written as a string cell (data type "s") marked with
  the quote prefix (the cell style's ``quotePrefix``, what a spreadsheet sets when a user types
  a leading apostrophe): it shows as typed, with no visible apostrophe, and no spreadsheet
  evaluates it as a formula, not even after the cell is edited. (CSV has no cell types, so CSV
  keeps the apostrophe of `cells.neutralise`.)
"""

from __future__ import annotations

import datetime
import pickle
import re
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from mofan.core.exports.base import Column, Export, Progress
from mofan.reports import cells

SAMPLE_ROWS = 100  # rows looked at to widen columns
SPOOL_CHUNK = 500  # rows pickled at a time into the temporary file
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


class _Formats:
    """The cell formats of one workbook, made once."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.header = book.add_format({"bold": True})
        self.quoted = book.add_format({"quote_prefix": True})
        self.by_kind: dict[str, Format] = {
            "number": book.add_format({"num_format": NUMBER_FORMAT}),
            "integer": book.add_format({"num_format": INTEGER_FORMAT}),
            "percent": book.add_format({"num_format": PERCENT_FORMAT}),
            "date": book.add_format({"num_format": DATE_FORMAT}),
            "datetime": book.add_format({"num_format": DATETIME_FORMAT}),
        }


def _write(
    ws: Worksheet, row: int, col: int, ckind: str, value: Any, kind: str, f: _Formats
) -> None:
    """One cell (its `cells.Cell` kind and value), always through the typed writer: never
    `write()`, which would turn text starting with = into a formula and text looking like a URL
    into a link."""
    if ckind == "empty":
        return
    if ckind == "number":
        ws.write_number(row, col, value, f.by_kind.get(kind))
    elif ckind == "text":
        text = _clean(value)
        if text.startswith("'") and cells.is_formula_like(text[1:]):
            ws.write_string(row, col, text[1:], f.quoted)
        else:
            ws.write_string(row, col, text)
    elif ckind == "percent":
        ws.write_number(row, col, value, f.by_kind["percent"])
    else:
        if ckind == "date" and not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time())
        ws.write_datetime(row, col, value, f.by_kind[ckind])


def _print_setup(ws: Worksheet, widths: list[float]) -> None:
    ws.set_paper(A4)
    if sum(widths) > PORTRAIT_WIDTH:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as many down as the rows need
    ws.center_horizontally()


class _Spool:
    """The rows as (kind, value) pairs in a temporary file, and which columns hold anything."""

    def __init__(self, width: int) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `close`)
        self.filled = [False] * width
        self.sample: list[list[cells.Cell]] = []  # the first rows, to size the columns
        self._chunk: list[list[tuple[str, Any]]] = []

    def add(self, row: list[cells.Cell]) -> None:
        pairs: list[tuple[str, Any]] = []
        for index, c in enumerate(row):
            if c.kind != "empty":
                self.filled[index] = True
            pairs.append((c.kind, c.value))
        if len(self.sample) < SAMPLE_ROWS:
            self.sample.append(row)
        self._chunk.append(pairs)
        if len(self._chunk) == SPOOL_CHUNK:
            self._flush()

    def _flush(self) -> None:
        pickle.dump(self._chunk, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self._chunk = []

    def rows(self) -> Iterator[list[tuple[str, Any]]]:
        if self._chunk:
            self._flush()
        self.file.seek(0)
        while True:
            try:
                chunk = pickle.load(self.file)  # noqa: S301 (our own file, just written)
            except EOFError:
                return
            yield from chunk

    def close(self) -> None:
        self.file.close()


def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
    table, columns, kinds, total = cells.table_of(export)
    spool = _Spool(len(columns))
    try:
        rows = (cells.row_cells(values, kinds) for values in table.rows())
        for row in cells.with_progress(rows, total, progress):
            spool.add(row)
        keep = [i for i, filled in enumerate(spool.filled) if filled] or list(range(len(columns)))
        _write_book(
            table, [columns[i] for i in keep], [kinds[i] for i in keep], keep, spool, stream
        )
    finally:
        spool.close()


def _write_book(
    table: Any,
    columns: list[Column],
    kinds: list[str],
    keep: list[int],
    spool: _Spool,
    stream: BinaryIO,
) -> None:
    book = xlsxwriter.Workbook(
        stream, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False}
    )
    formats = _Formats(book)
    ws = book.add_worksheet(sheet_title(table.title()))
    widths = column_widths(columns, [[row[i] for i in keep] for row in spool.sample])
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    ws.freeze_panes(2, 0)
    ws.repeat_rows(1)  # the header (row 2) on every printed page
    _print_setup(ws, widths)

    ws.write_string(0, 0, _clean(cells.text_cell(table.heading()).text), formats.title)
    for col, column in enumerate(columns):
        ws.write_string(1, col, _clean(cells.text_cell(column.header).text), formats.header)
    line = 2
    for pairs in spool.rows():
        for col, (index, kind) in enumerate(zip(keep, kinds, strict=True)):
            ckind, value = pairs[index]
            _write(ws, line, col, ckind, value, kind, formats)
        line += 1
    book.close()
