"""The one-sheet workbooks account administration hands out (the import template, the initial
passwords): a header row, the rows, column widths and a frozen header."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence


def one_sheet_workbook(
    *,
    title: str,
    rows: Iterable[Sequence[object]],
    widths: Sequence[int],
    keep_text: bool = False,
) -> bytes:
    """An xlsx file of one sheet `title` holding `rows` (the header first). With `keep_text`
    every value stays a literal string (`mofan.core.xlsx.keep_text`)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from mofan.core import xlsx

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    if keep_text:
        xlsx.keep_text(sheet)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
