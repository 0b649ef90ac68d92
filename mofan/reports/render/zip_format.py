"""The upper-level report package as one zip (`mofan/reports/package.py`).

Every part is rendered first, each into a temporary file (in memory up to a few MB, then on
disk), with the progress of the whole package reported as parts complete; only when all parts
have rendered is the archive written. A part that fails therefore leaves nothing in the output.
Names inside the archive are UTF-8 (zipfile sets the flag for non-ASCII names), so Chinese file
names survive on Windows' built-in unzip as well as elsewhere.

A table with no rows (say, the evidence index of a campaign where nothing was uploaded) is left
out rather than sent empty. The archive ends with a manifest, `材料清单.csv` (UTF-8 with BOM, so
Excel opens it): for each file its name, size and SHA-256, so the receiver can check that what
arrived is what was sent (`sha256sum` prints the same digests), and each part left out with why.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import tempfile
import zipfile
from contextlib import ExitStack
from typing import IO, Any, BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.core.exports.base import Export, Exporter, Progress

logger = logging.getLogger(__name__)

STEP = 100  # progress units per part
SPOOL_BYTES = 8 * 1024 * 1024
MANIFEST = "材料清单.csv"


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
        omitted: list[str] = []
        for index, part in enumerate(parts):
            spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
            base = index * STEP
            rows = [0]

            def part_progress(done: int, of: int, base: int = base, rows: list[int] = rows) -> None:
                rows[0] = done
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
            if isinstance(part.export, Exporter) and rows[0] == 0:
                omitted.append(part.name)
            else:
                rendered.append((part.name, spool))
        stamp = timezone.localtime().timetuple()[:6]
        listed: list[tuple[str, int, str]] = []
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, source in rendered:
                size = source.seek(0, 2)
                source.seek(0)
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.file_size = size
                digest = hashlib.sha256()
                with archive.open(info, "w") as target:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        target.write(chunk)
                listed.append((name, size, digest.hexdigest()))
            info = zipfile.ZipInfo(MANIFEST, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, manifest(listed, omitted))


def manifest(listed: list[tuple[str, int, str]], omitted: list[str]) -> bytes:
    """The package's 材料清单 as CSV: each file with its size and SHA-256, then each part left
    out for having no rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("序号"), _("文件名"), _("大小（字节）"), "SHA-256", _("说明")])
    for number, (name, size, digest) in enumerate(listed, start=1):
        writer.writerow([number, name, size, digest, ""])
    for name in omitted:
        writer.writerow(["", name, "", "", _("无数据，未附")])
    return ("\ufeff" + out.getvalue()).encode()
