"""The upper-level report package as one zip (`mofan/reports/package.py`).

Every part is rendered first, each into a temporary file (in memory up to a few MB, then on
disk), with the progress of the whole package reported as parts complete; only when all parts
have rendered is the archive written. A part that fails therefore leaves nothing in the output.
Names inside the archive are UTF-8 (zipfile sets the flag for non-ASCII names), so Chinese file
names survive on Windows' built-in unzip as well as elsewhere.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from contextlib import ExitStack
from typing import IO, Any, BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.core.exports.base import Export, Progress

logger = logging.getLogger(__name__)

STEP = 100  # progress units per part
SPOOL_BYTES = 8 * 1024 * 1024


def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
    from mofan.reports.package import Package
    from mofan.reports.render import render as render_part

    if not isinstance(export, Package):
        raise TypeError(f"{export.identifier} is not a package")
    parts = export.parts()
    total = len(parts) * STEP
    progress(0, total)
    with ExitStack() as stack:
        rendered: list[tuple[str, IO[Any]]] = []
        for index, part in enumerate(parts):
            spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
            base = index * STEP

            def part_progress(done: int, of: int, base: int = base) -> None:
                share = min(STEP, done * STEP // of) if of else 0
                progress(base + share, total)

            try:
                render_part(part.export, part.fmt, spool, part_progress)  # type: ignore[arg-type]
            except (PermissionDenied, ValidationError):
                raise
            except Exception as exc:
                logger.exception("package %s: part %s failed", export.identifier, part.name)
                raise ValidationError(
                    _("生成「%(name)s」时出错，上报材料包未生成。") % {"name": part.name}
                ) from exc
            progress(base + STEP, total)
            rendered.append((part.name, spool))
        stamp = timezone.localtime().timetuple()[:6]
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, source in rendered:
                size = source.seek(0, 2)
                source.seek(0)
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.file_size = size
                with archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target)
