"""Checks every uploaded file passes before anything reads it: type, size, a malware scan by
clamd (`scan_for_malware`, see mofan/core/malware.py) and, for office files, bounded archive
contents (a zip bomb is refused before it is unpacked)."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _


class Actor(Protocol):
    """Who uploads: anything with the acting `user` (accounts.access.Actor), which the audit
    entry of a refused upload names. A protocol, so core does not import accounts."""

    @property
    def user(self) -> Any: ...


logger = logging.getLogger(__name__)

MAX_ARCHIVE_ENTRIES = 500
MAX_ARCHIVE_UNPACKED = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM = 1024 * 1024


class UploadRejected(ValueError):
    """Raised with a message in Chinese that can be shown to the user as is."""


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    size: int
    content: bytes


def scan_for_malware(content: bytes, *, name: str, actor: Actor | None = None) -> None:
    """The malware check every upload passes before it is parsed or stored.

    Nothing happens when no clamd is configured (development). A file clamd finds infected is
    refused, and, when the caller has an actor, an ``upload.malware`` audit entry is written in
    its own transaction before the refusal, so that it stays when the upload is thrown away.
    When clamd cannot answer, the upload is refused if MOFAN_CLAMD_FAIL_CLOSED (production's
    default), else accepted with a warning in the log."""
    from mofan.core import malware

    if not malware.configured():
        return
    try:
        signature = malware.scan(content)
    except malware.ScannerUnavailable as exc:
        if settings.MOFAN_CLAMD_FAIL_CLOSED:
            logger.error("Malware scan unavailable, upload %r refused: %s", name, exc)
            raise UploadRejected(
                _("病毒扫描服务暂时不可用，文件未保存，请稍后重试或联系管理员。")
            ) from exc
        logger.warning("Malware scan unavailable, upload %r accepted unscanned: %s", name, exc)
        return
    if signature is None:
        return
    sha256 = hashlib.sha256(content).hexdigest()
    logger.warning("Malware %s found in upload %r (sha256 %s): refused", signature, name, sha256)
    if actor is not None:
        from mofan.audit.models import AuditResult
        from mofan.audit.services import audit_record

        with transaction.atomic():
            audit_record(
                action="upload.malware",
                actor=actor.user,
                result=AuditResult.DENIED,
                extra={
                    "name": name,
                    "size": len(content),
                    "sha256": sha256,
                    "signature": signature,
                },
            )
    raise UploadRejected(
        _("文件中检测到恶意代码（%(signature)s），已拒绝保存。")
        % {"signature": malware.display_name(signature)}
    )


def check_xlsx(upload: UploadedFile, *, max_mb: int, actor: Actor | None = None) -> CheckedUpload:
    name = upload.name or ""
    if not name.lower().endswith(".xlsx"):
        raise UploadRejected(_("只接受 .xlsx 格式的 Excel 文件（不支持 .xls、.csv）。"))
    size = upload.size or 0
    if size > max_mb * 1024 * 1024:
        raise UploadRejected(_("文件过大：上限为 %(n)d MB。") % {"n": max_mb})
    if size == 0:
        raise UploadRejected(_("文件是空的。"))
    content = upload.read()
    scan_for_malware(content, name=name, actor=actor)
    if not content.startswith(b"PK\x03\x04"):
        raise UploadRejected(_("文件内容不是 Excel（.xlsx）格式，可能扩展名被改动过。"))
    check_archive(content)
    return CheckedUpload(name=name, size=size, content=content)


def check_archive(content: bytes) -> None:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise UploadRejected(_("文件已损坏，无法读取。")) from exc
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        raise UploadRejected(_("文件结构异常（内部条目过多），已拒绝。"))
    if sum(info.file_size for info in infos) > MAX_ARCHIVE_UNPACKED:
        raise UploadRejected(_("文件解压后过大，已拒绝。"))
    for info in infos:
        # A genuine spreadsheet part compresses maybe 20 to 1; a zip bomb a thousand to 1.
        if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise UploadRejected(_("文件解压后过大（压缩比异常，疑似压缩炸弹），已拒绝。"))
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise UploadRejected(_("文件内容不是 Office 文档格式。"))
