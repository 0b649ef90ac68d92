"""Cell values shared by every renderer of a table (xlsx, CSV, and the docx/PDF tables).

An exporter yields plain Python values (str, Decimal, int, float, date, datetime, bool, None);
`cell(value, kind)` turns one into a `Cell` that says what it is and how it reads as text:

* numbers stay numbers: Decimal becomes int when integral, else float (`Cell.value`), and its
  text is the plain decimal notation without exponent or trailing zeros (`Cell.text`); a
  string in a number column that reads as a number (e.g. a type score stored as "17.00")
  becomes a number too, any other string (a level such as "达标") stays text;
* dates stay dates; aware datetimes are turned into local time without a zone (spreadsheets
  have no zones);
* text is neutralised against formula injection (CSV/spreadsheet injection): text starting
  with = + - @ tab or CR gets a leading apostrophe, so no spreadsheet evaluates it. Numbers
  are never neutralised: a genuine -2 stays the number -2.

`display_width` measures text in half-width columns (a CJK character counts two), for sizing
columns. `with_progress` wraps a row iterator to report progress every `PROGRESS_EVERY` rows.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from django.utils import timezone
from django.utils.functional import Promise

from mofan.core.exports.base import Column, Export, Exporter, Progress
from mofan.core.xlsx import FORMULA_TRIGGERS

CellKind = Literal["empty", "text", "number", "percent", "date", "datetime"]

NUMERIC_KINDS = ("number", "integer", "percent")
YES = "是"
NO = "否"
PROGRESS_EVERY = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cell:
    kind: CellKind
    value: Any  # str (neutralised) | int | float | date | naive datetime | None
    text: str  # how the cell reads in CSV, docx and PDF

    @property
    def is_number(self) -> bool:
        return self.kind in ("number", "percent")


EMPTY = Cell("empty", None, "")


def is_formula_like(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_TRIGGERS


def neutralise(text: str) -> str:
    """Text that no spreadsheet evaluates: a leading apostrophe before a formula trigger."""
    return "'" + text if is_formula_like(text) else text


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a number or a string that is one; None otherwise (and for bool)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        number = Decimal(repr(value))
    elif isinstance(value, str):
        raw = value.strip()
        if not raw or not (raw[0].isdigit() or (raw[0] in "+-." and len(raw) > 1)):
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def number_text(number: Decimal) -> str:
    """Plain notation: 17 not 17.00 or 1.7E+1; 8.5 not 8.50."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def to_number(value: Any) -> int | float | None:
    """int when integral, float otherwise; None when the value is not a number."""
    number = to_decimal(value)
    return None if number is None else _plain(number)


def _plain(number: Decimal) -> int | float:
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _local(value: datetime.datetime) -> datetime.datetime:
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def clean_text(text: str) -> str:
    """Without the control characters no spreadsheet or XML file accepts (tab, LF, CR stay)."""
    return _CONTROL.sub("", text)


def text_cell(value: Any) -> Cell:
    text = clean_text(str(value))
    if not text:
        return EMPTY
    safe = neutralise(text)
    return Cell("text", safe, safe)


def cell(value: Any, kind: str = "text") -> Cell:
    """The cell for an exporter's value in a column of `kind` (`base.ColumnKind`)."""
    if value is None:
        return EMPTY
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, bool):
        return text_cell(YES if value else NO)
    if isinstance(value, datetime.datetime):
        local = _local(value)
        return Cell("datetime", local, local.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, datetime.date):
        return Cell("date", value, value.isoformat())
    if isinstance(value, str) and kind not in NUMERIC_KINDS:
        return text_cell(value)
    number = to_decimal(value)
    if number is None:
        return text_cell(value)
    if kind == "percent":
        return Cell("percent", float(number), number_text(number * 100) + "%")
    return Cell("number", _plain(number), number_text(number))


def row_cells(values: Iterable[Any], kinds: Sequence[str]) -> list[Cell]:
    """One row's cells; a short row is padded with empty cells, extra values are dropped."""
    cells = [cell(value, kind) for value, kind in zip(values, kinds, strict=False)]
    return cells + [EMPTY] * (len(kinds) - len(cells))


def table_of(export: Export) -> tuple[Exporter, list[Column], list[str], int]:
    """`export` as a table for a spreadsheet format: the exporter, its columns, their kinds
    and the row count (TypeError for a document)."""
    if not isinstance(export, Exporter):
        raise TypeError(f"{export.identifier} is not a table")
    columns = export.columns()
    return export, columns, [column.kind for column in columns], export.count()


def display_width(text: str) -> int:
    """Width in half-width columns: wide and full-width characters (CJK) count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def with_progress(
    rows: Iterable[T], total: int, progress: Progress, every: int = PROGRESS_EVERY
) -> Iterator[T]:
    """Yield the rows, calling `progress(done, total)` every `every` rows and once at the end
    (with total raised to done when the count was unknown or low)."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            progress(done, max(total, done))
    progress(done, max(total, done))


__all__ = [
    "EMPTY",
    "FORMULA_TRIGGERS",
    "NO",
    "PROGRESS_EVERY",
    "YES",
    "Cell",
    "cell",
    "clean_text",
    "display_width",
    "is_formula_like",
    "neutralise",
    "number_text",
    "row_cells",
    "table_of",
    "text_cell",
    "to_decimal",
    "to_number",
    "with_progress",
]
