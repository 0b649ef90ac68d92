"""Files the platform writes under MEDIA_ROOT: written whole or not at all, and swept when no row
names them.

`write_atomically` writes to a temporary name (`.<name>.<random>.part`) in the target directory,
flushes it to disk and renames it into place (a rename within a directory is atomic): a file
under its final name is always complete, whatever happens to the process. A full disk (ENOSPC,
EDQUOT) or a directory that cannot be written (EROFS, EACCES, EPERM, ENOTDIR) raises
`StorageUnavailable` with a Chinese message the form shows; the temporary file is removed.

Why the rename happens before the row's transaction commits and not in `on_commit`: a worker
killed between COMMIT and a later rename would leave a committed row whose file is only a
`.part` (and would be swept), i.e. a lost file the user was told about. Renamed first, the worst
case is the reverse, a complete file no row names (the service removes it when its transaction
fails; a killed worker or an enclosing rollback leaves it behind), which the sweep below deletes.

The sweep: each app that stores files registers the directory it owns under MEDIA_ROOT and the
names its rows reference (`media_owners`, a registry filled from the apps' `extensions.py`, so
core names no app). `orphans()` lists the files in those directories that no row names (and
`.part` leftovers), older than MOFAN_ORPHAN_MIN_AGE_HOURS; `orphans_delete()` deletes them with
one audit entry. `manage.py media_sweep` runs it (a dry run unless `--delete`); the clean-up job
calls `orphans_delete()`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.core.extensions import Registry
from mofan.core.uploads import UploadRejected

logger = logging.getLogger(__name__)

FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR})
PART_SUFFIX = ".part"


class StorageUnavailable(UploadRejected):
    """The file could not be stored (disk full, directory not writable): nothing was kept."""


def storage_error(exc: OSError) -> StorageUnavailable | None:
    """The user-facing error for a storage failure, or None for any other OSError."""
    if exc.errno in FULL:
        return StorageUnavailable(
            _("服务器存储空间已满，文件未保存。其他功能不受影响，请稍后重试或联系管理员。")
        )
    if exc.errno in NOT_WRITABLE:
        return StorageUnavailable(
            _("服务器存储暂时不可写，文件未保存。其他功能不受影响，请稍后重试或联系管理员。")
        )
    return None


def write_atomically(path: Path, content: bytes, *, mode: int = 0o640) -> None:
    """Write `content` to `path` through a temporary file in the same directory: complete or
    absent, never partial. Raises StorageUnavailable when the disk is full or not writable."""
    directory = path.parent
    try:
        directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=directory)
        try:
            try:
                os.fchmod(fd, mode)
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _fsync_directory(directory)
    except OSError as exc:
        error = storage_error(exc)
        if error is None:
            raise
        logger.warning("could not store %s: %s", path, exc)
        raise error from exc


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (the directory entry), where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- the orphan sweep ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaOwner:
    """A directory under MEDIA_ROOT (`directory`, relative, e.g. "evidence") whose files are
    named by rows: `names()` returns every referenced name relative to MEDIA_ROOT."""

    directory: str
    names: Callable[[], Iterable[str]]


media_owners: Registry[MediaOwner] = Registry("media_owners")


def _min_age_seconds(hours: float | None) -> float:
    return 3600 * float(settings.MOFAN_ORPHAN_MIN_AGE_HOURS if hours is None else hours)


def orphans(*, older_than_hours: float | None = None, now: float | None = None) -> list[str]:
    """Files (relative to MEDIA_ROOT) in the registered directories that no row names, or that
    are temporary `.part` leftovers, last modified longer ago than the minimum age."""
    root = Path(settings.MEDIA_ROOT)
    cutoff = (time.time() if now is None else now) - _min_age_seconds(older_than_hours)
    found: list[str] = []
    for owner in media_owners:
        base = root / owner.directory
        if not base.is_dir():
            continue
        referenced = set(owner.names())
        for path in sorted(p for p in base.rglob("*") if p.is_file() and not p.is_symlink()):
            name = path.relative_to(root).as_posix()
            if name in referenced and not path.name.endswith(PART_SUFFIX):
                continue
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    found.append(name)
    return found


def orphans_delete(
    *, older_than_hours: float | None = None, actor: Any = None, now: float | None = None
) -> list[str]:
    """Delete the orphans (see `orphans`) and record one audit entry listing them; returns
    their names. A name a row took meanwhile (a commit between the listing and now) is kept."""
    from mofan.audit.services import audit_record

    candidates = orphans(older_than_hours=older_than_hours, now=now)
    if not candidates:
        return []
    referenced: set[str] = set()
    for owner in media_owners:
        referenced.update(owner.names())
    root = Path(settings.MEDIA_ROOT)
    deleted: list[str] = []
    for name in candidates:
        if name in referenced and not name.endswith(PART_SUFFIX):
            continue
        try:
            (root / name).unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            logger.warning("could not delete orphan %s: %s", name, exc)
            continue
        deleted.append(name)
    if deleted:
        with transaction.atomic():
            audit_record(
                action="media.orphans.delete",
                actor=actor,
                object_type="core.media",
                extra={"count": len(deleted), "files": deleted[:200]},
            )
        logger.info("deleted %d orphaned media files", len(deleted))
    return deleted
