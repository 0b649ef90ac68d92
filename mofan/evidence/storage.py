"""Storage of evidence files under server-generated names.

Files are stored as ``evidence/<unit id>/<uuid4 hex>.<ext>`` under MEDIA_ROOT, mode 0640; the
user's file name is kept only in the database and in the Content-Disposition of a download.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from django.conf import settings

from mofan.evidence.checks import CONTENT_TYPES

STORAGE_DIR = "evidence"


def _root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve() / STORAGE_DIR


def path_of(stored_name: str) -> Path:
    """The file of a stored name; refuses anything that would leave the evidence directory."""
    root = _root()
    path = (Path(settings.MEDIA_ROOT).resolve() / stored_name).resolve()
    if root not in path.parents:
        raise ValueError("stored name outside the evidence directory")
    return path


def store(content: bytes, unit_id: int, kind: str) -> str:
    """Write the content under a fresh server-generated name; return the name relative to
    MEDIA_ROOT (``evidence/<unit id>/<uuid4 hex>.<ext>``)."""
    ext = str(kind)
    if ext not in CONTENT_TYPES:
        raise ValueError(f"unknown evidence kind {kind!r}")
    directory = _root() / str(int(unit_id))
    directory.mkdir(mode=0o750, parents=True, exist_ok=True)
    stored_name = f"{STORAGE_DIR}/{int(unit_id)}/{uuid.uuid4().hex}.{ext}"
    path = path_of(stored_name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o640)
    try:
        os.fchmod(fd, 0o640)
        view = memoryview(content)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return stored_name


def remove(stored_name: str) -> None:
    """Remove a stored file; a file already gone is not an error."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        path_of(stored_name).unlink()
