"""Storage of evidence files under server-generated names.

Files are stored as ``evidence/<unit id>/<uuid4 hex>.<ext>`` under MEDIA_ROOT, mode 0640; the
user's file name is kept only in the database and in the Content-Disposition of a download.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from django.conf import settings

from mofan.core.files import write_atomically
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
    """Write the content under a fresh server-generated name, through a temporary file renamed
    into place once complete (mofan/core/files.py); return the name relative to MEDIA_ROOT
    (``evidence/<unit id>/<uuid4 hex>.<ext>``). A full or read-only disk raises
    StorageUnavailable (an UploadRejected: the form shows it) and leaves no file."""
    ext = str(kind)
    if ext not in CONTENT_TYPES:
        raise ValueError(f"unknown evidence kind {kind!r}")
    stored_name = f"{STORAGE_DIR}/{int(unit_id)}/{uuid.uuid4().hex}.{ext}"
    write_atomically(path_of(stored_name), content, mode=0o640)
    return stored_name


def remove(stored_name: str) -> None:
    """Remove a stored file; a file already gone is not an error."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        path_of(stored_name).unlink()
