"""An `Exporter` as CSV: UTF-8 with a byte-order mark (so Excel and WPS read Chinese instead of
guessing a legacy code page), CRLF line ends, a header row, numbers written plain and unquoted
(17, 8.5, -2), dates as YYYY-MM-DD (HH:MM), percentages as 85.5%, and text neutralised against
formula injection like the xlsx renderer (`cells.neutralise`)."""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from mofan.core.exports.base import Export, Progress
from mofan.reports import cells

ENCODING = "utf-8-sig"  # writes the BOM first


def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
    table, columns, kinds, total = cells.table_of(export)
    text = io.TextIOWrapper(stream, encoding=ENCODING, newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([cells.text_cell(column.header).text for column in columns])
        for values in cells.with_progress(table.rows(), total, progress):
            writer.writerow([c.text for c in cells.row_cells(values, kinds)])
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open
