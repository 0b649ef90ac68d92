"""Checks every uploaded file passes before anything reads it: type, size and, for office
files, bounded archive contents (a zip bomb is refused before it is unpacked)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

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


def check_xlsx(upload: UploadedFile, *, max_mb: int) -> CheckedUpload:
    name = upload.name or ""
    if not name.lower().endswith(".xlsx"):
        raise UploadRejected(_("只接受 .xlsx 格式的 Excel 文件（不支持 .xls、.csv）。"))
    size = upload.size or 0
    if size > max_mb * 1024 * 1024:
        raise UploadRejected(_("文件过大：上限为 %(n)d MB。") % {"n": max_mb})
    if size == 0:
        raise UploadRejected(_("文件是空的。"))
    content = upload.read()
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
