"""Rendering an export into a file format. `render(export, fmt, stream, progress)` dispatches
to the module for the format: `xlsx`, `csv` (tables), `docx` (documents per GB/T 9704, and the
score sheet), `pdf` (documents and the score sheet, WeasyPrint with embedded CJK fonts), `zip`
(the upper-level report package)."""

from __future__ import annotations

from importlib import import_module
from typing import BinaryIO

from mofan.core.exports.base import Export, Progress

FORMATS = ("xlsx", "csv", "docx", "pdf", "zip")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


class UnsupportedFormat(ValueError):
    pass


def render(export: Export, fmt: str, stream: BinaryIO, progress: Progress | None = None) -> None:
    """Write `export` as `fmt` to `stream`. Call `export.check()` first."""
    if fmt not in export.formats or fmt not in FORMATS:
        raise UnsupportedFormat(f"{export.identifier} cannot be rendered as {fmt}")
    module = import_module(f"mofan.reports.render.{fmt}_format")
    module.render(export, stream, progress or (lambda done, total: None))
