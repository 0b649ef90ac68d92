"""Tables as the .docx and the PDF print them: each cell as text, the columns' widths and
alignments, the page a table needs, the subtitle of a table exported on its own, and the
dispatch of an export to a document or a table layout."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from mofan.core.exports.base import Column, Doc, Document, Export, Exporter, Progress
from mofan.reports import cells
from mofan.reports.documents.common import cn_date

NUMERIC = ("number", "integer", "percent")
PROGRESS_EVERY = 200  # rows between two progress reports of a .docx or PDF table
PORTRAIT_CHARS = 40  # columns (in characters of 五号) that fit a portrait text block


def cell_text(value: Any, kind: str = "text") -> str:
    """A cell as text: `number` with 2 decimals and `percent` with 1 and a %, rounded half up
    (四舍五入); dates in Chinese with Arabic numerals; None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if kind == "percent" and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(str(value)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
    if kind == "number" and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP)}"
    if kind == "integer" and isinstance(value, (int, float, Decimal)):
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return f"{cn_date(value.date())} {value:%H:%M}"
    if isinstance(value, datetime.date):
        return cn_date(value)
    return str(value)


def row_texts(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    progress: Progress | None = None,
    total: int = 0,
) -> Iterator[list[str]]:
    """Each row as one text a column (missing cells empty), reporting progress every
    `PROGRESS_EVERY` rows and at the end when `progress` is given."""

    def texts(rows: Iterable[Sequence[Any]]) -> Iterator[list[str]]:
        for row in rows:
            out = [cell_text(v, c.kind) for v, c in zip(row, columns, strict=False)]
            yield out + [""] * (len(columns) - len(out))

    if progress is None:
        return texts(rows)
    return cells.with_progress(texts(rows), total, progress, every=PROGRESS_EVERY)


def column_widths(columns: Sequence[Column], total: int) -> list[int]:
    """Column widths proportional to `Column.width`, summing to `total`."""
    weight = sum(max(c.width, 1) for c in columns) or 1
    widths = [int(total * max(c.width, 1) / weight) for c in columns]
    widths[-1] += total - sum(widths)
    return widths


def alignments(columns: Sequence[Column]) -> list[str]:
    return [
        "right" if c.kind in NUMERIC else "center" if c.kind == "date" else "left" for c in columns
    ]


def landscape_for(columns: Sequence[Column]) -> bool:
    """Whether a table needs a landscape page: its columns hold more characters than a
    portrait text block."""
    return sum(c.width for c in columns) > PORTRAIT_CHARS


def table_subtitle(export: Exporter) -> str:
    """（committee　campaign　unit） under the title of an exported table."""
    parts = [export.campaign.committee.name, export.campaign.name]
    if export.unit is not None:
        parts.append(export.unit.name)
    return "（" + "　".join(parts) + "）"


@dataclass(frozen=True)
class Sheet:
    """A table exported on its own page(s) (e.g. the score sheet): title, subtitle, columns and
    rows, with the row count and the progress callback for a long one."""

    title: str
    subtitle: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    total: int = 0
    progress: Progress | None = None
    author: str = ""  # the committee, for the file's properties


def render_export(
    export: Export,
    stream: BinaryIO,
    progress: Progress,
    *,
    fmt: str,
    write_doc: Callable[[Doc, BinaryIO], None],
    write_sheet: Callable[[Sheet, BinaryIO], None],
) -> None:
    """Write a document with `write_doc(doc, stream)`, or a table with `write_sheet(sheet,
    stream)`."""
    if isinstance(export, Document):
        progress(0, 1)
        write_doc(export.build(), stream)
        progress(1, 1)
        return
    if isinstance(export, Exporter):
        total = export.count()
        progress(0, total)
        sheet = Sheet(
            title=export.title(),
            subtitle=table_subtitle(export),
            columns=export.columns(),
            rows=export.rows(),
            total=total,
            progress=progress,
            author=getattr(getattr(export.campaign, "committee", None), "name", ""),
        )
        write_sheet(sheet, stream)
        return
    raise TypeError(f"cannot render {type(export).__name__} as {fmt}")
