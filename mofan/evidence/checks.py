"""Content checks of evidence uploads (佐证材料): nothing is trusted from an upload but its bytes.

The type is detected from the content and must agree with the extension, office and OFD files
are read as archives with bounded entry count and unpacked size, and markup that a browser could
render (HTML, SVG, script) is refused where it has no business (polyglots).
Every file is scanned by clamd first (`mofan.core.uploads.scan_for_malware`), and active content
is refused: in a PDF script and launch actions, embedded files, rich media and XFA forms, also
inside compressed object streams (`check_pdf_active`); in an office file macros, ActiveX
controls, embedded OLE objects (`check_office_parts`), external templates/objects/frames and DDE
fields (`OfficeInspector`, reading every entry).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.core import uploads
from mofan.core.uploads import UploadRejected
from mofan.evidence.active_content import (
    OfficeInspector,
    check_office_parts,
    check_pdf_active,
)
from mofan.evidence.models import EvidenceKind

# pypdf logs each repair of a damaged file as a warning: keep only its errors.
logging.getLogger("pypdf").setLevel(logging.ERROR)

DEFAULT_MAX_MB = 20

# Extension (lower case, without the dot) -> kind. `.jpeg` is the same kind as `.jpg`.
EXTENSIONS: dict[str, str] = {
    "pdf": EvidenceKind.PDF,
    "docx": EvidenceKind.DOCX,
    "xlsx": EvidenceKind.XLSX,
    "jpg": EvidenceKind.JPG,
    "jpeg": EvidenceKind.JPG,
    "png": EvidenceKind.PNG,
    "ofd": EvidenceKind.OFD,
}
CONTENT_TYPES: dict[str, str] = {
    EvidenceKind.PDF: "application/pdf",
    EvidenceKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    EvidenceKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    EvidenceKind.JPG: "image/jpeg",
    EvidenceKind.PNG: "image/png",
    EvidenceKind.OFD: "application/ofd",
}
KIND_LABELS: dict[str, str] = {
    EvidenceKind.PDF: "PDF",
    EvidenceKind.DOCX: "Word（.docx）",
    EvidenceKind.XLSX: "Excel（.xlsx）",
    EvidenceKind.JPG: "JPG 图片",
    EvidenceKind.PNG: "PNG 图片",
    EvidenceKind.OFD: "OFD 版式文件",
}
# Kinds a browser may show inline (an <img> or its own PDF viewer); never office files.
PREVIEWABLE = frozenset({EvidenceKind.JPG, EvidenceKind.PNG, EvidenceKind.PDF})
IMAGE_KINDS = frozenset({EvidenceKind.JPG, EvidenceKind.PNG})
ARCHIVE_KINDS = frozenset({EvidenceKind.DOCX, EvidenceKind.XLSX, EvidenceKind.OFD})

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_IHDR = b"\x00\x00\x00\x0dIHDR"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.xls, and encrypted .docx/.xlsx

SNIFF_WINDOW = 1024
# Markup that a browser would render as a page or an image with script. `<?xml` is only a
# marker for non-archive kinds: the parts of an office or OFD archive are XML by design.
MARKUP_MARKERS = (b"<html", b"<script", b"<!doctype html", b"<svg")
XML_MARKER = b"<?xml"
# In a PDF the markup check reads the whole file. A browser's HTML tokenizer opens an element
# only when the tag name is followed by whitespace, "/" or ">", so that is required here too
# (random compressed bytes would otherwise hit "<svg" in one large PDF out of a few dozen).
# `<?xml` is no marker in a PDF: XMP metadata is XML by design.
PDF_MARKUP = re.compile(rb"<(?:html|script|svg|!doctype\s+html)[\t\n\f\r />]", re.IGNORECASE)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CheckedEvidence:
    kind: str
    sha256: str
    size: int
    content: bytes
    name: str = ""


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def allowed_types_text() -> str:
    return "PDF、Word（.docx）、Excel（.xlsx）、JPG、PNG、OFD"


def clean_name(name: str) -> str:
    """The user's file name as shown in lists and downloads: no directories, no control
    characters, at most 255 characters (keeping the extension)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _CONTROL.sub("", unicodedata.normalize("NFC", base)).strip().strip(".")
    if not base:
        base = "file"
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 255 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:255]
    return base


def extension_of(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    return base.rpartition(".")[2].lower().strip() if "." in base else ""


def _has_markup(data: bytes, *, xml: bool) -> bool:
    lowered = data.lower()
    if any(marker in lowered for marker in MARKUP_MARKERS):
        return True
    return xml and XML_MARKER in lowered


def _archive_names(content: bytes) -> set[str]:
    """Open the archive and read every entry with bounded output; return the entry names.

    The declared sizes are checked first (entry count, total, per-entry compression ratio) and
    then verified by decompressing in chunks, stopping as soon as the real output passes the
    limit: an archive that lies about its sizes fails the CRC or the limit, never fills memory.
    While reading, each entry is checked for active office content (`OfficeInspector`)."""
    max_entries = uploads.MAX_ARCHIVE_ENTRIES
    max_unpacked = uploads.MAX_ARCHIVE_UNPACKED
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            if len(infos) > max_entries:
                raise UploadRejected(
                    _("文件结构异常（内部条目超过 %(n)d 个），已拒绝。") % {"n": max_entries}
                )
            if sum(info.file_size for info in infos) > max_unpacked:
                raise UploadRejected(_("文件解压后过大，疑似压缩炸弹，已拒绝。"))
            for info in infos:
                if info.flag_bits & 0x1:
                    raise UploadRejected(_("文件已加密，请解除密码保护后再上传。"))
                if (
                    info.file_size > uploads.RATIO_CHECK_FROM
                    and info.file_size > uploads.MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
                ):
                    raise UploadRejected(_("文件压缩比异常，疑似压缩炸弹，已拒绝。"))
            total = 0
            for info in infos:
                if info.is_dir():
                    continue
                inspector = OfficeInspector(info.filename)
                with archive.open(info) as entry:
                    while chunk := entry.read(64 * 1024):
                        total += len(chunk)
                        if total > max_unpacked:
                            raise UploadRejected(_("文件解压后过大，疑似压缩炸弹，已拒绝。"))
                        inspector.feed(chunk)
                inspector.close()
            return {info.filename for info in infos}
    except UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise UploadRejected(_("文件已损坏或不是有效的压缩格式文档，无法读取。")) from exc
    except Exception as exc:  # zlib.error and friends from a corrupt stream
        raise UploadRejected(_("文件已损坏，无法读取。")) from exc


def _archive_kind(names: set[str]) -> str | None:
    # Macros have no place in evidence (and a .docx/.xlsx with a VBA part is a renamed
    # .docm/.xlsm that Office itself would not open as such).
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadRejected(_("文件包含宏代码（VBA），已拒绝；请另存为不含宏的文档后再上传。"))
    check_office_parts(names)
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return EvidenceKind.DOCX
        if "xl/workbook.xml" in names:
            return EvidenceKind.XLSX
        return None
    if "OFD.xml" in names:
        return EvidenceKind.OFD
    return None


def detect_kind(content: bytes) -> str | None:
    """The kind the bytes really are, or None. Archives are opened (bounded, see above)."""
    if content.startswith(PDF_MAGIC):
        return EvidenceKind.PDF
    if content.startswith(PNG_MAGIC):
        return EvidenceKind.PNG if content[8:16] == PNG_IHDR else None
    if content.startswith(JPEG_MAGIC):
        return EvidenceKind.JPG
    if content.startswith(ZIP_MAGIC):
        return _archive_kind(_archive_names(content))
    return None


def check_evidence(
    upload: UploadedFile, *, max_mb: int, actor: Actor | None = None
) -> CheckedEvidence:
    """Check an uploaded file; raise UploadRejected with a message for the user.

    The malware scan comes first, right after the size checks, so that a file carrying malware
    is refused (and audited, with the actor) as such whatever else is wrong with it."""
    name = clean_name(upload.name or "")
    ext = extension_of(upload.name or "")
    if ext in {"doc", "xls", "wps", "et"}:
        raise UploadRejected(
            _("不支持旧版 Office 格式「.%(ext)s」，请另存为 .docx 或 .xlsx 后上传。") % {"ext": ext}
        )
    expected = EXTENSIONS.get(ext)
    if expected is None:
        shown = f".{ext}" if ext else _("无扩展名")
        raise UploadRejected(
            _("不支持的文件类型（%(ext)s）：只接受 %(types)s 文件。")
            % {"ext": shown, "types": allowed_types_text()}
        )
    limit = max_mb * 1024 * 1024
    if (upload.size or 0) > limit:
        raise UploadRejected(_("文件过大：上限为 %(n)d MB。") % {"n": max_mb})
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise UploadRejected(_("文件过大：上限为 %(n)d MB。") % {"n": max_mb})
    if not content:
        raise UploadRejected(_("文件是空的。"))
    uploads.scan_for_malware(content, name=name, actor=actor)
    if content.startswith(OLE_MAGIC):
        raise UploadRejected(
            _("文件是旧版 Office 格式或已加密，请另存为 .docx/.xlsx 并解除密码保护后再上传。")
        )
    kind = detect_kind(content)
    if kind is None:
        raise UploadRejected(
            _("文件内容不是有效的 %(label)s，可能扩展名被改动过或文件已损坏。")
            % {"label": kind_label(expected)}
        )
    if kind != expected:
        raise UploadRejected(
            _("文件内容与扩展名不符：内容是 %(actual)s，扩展名却是 .%(ext)s。")
            % {"actual": kind_label(kind), "ext": ext}
        )
    # Polyglots: a browser that ignored the declared type could render these as a page.
    is_pdf = kind == EvidenceKind.PDF
    head_has_markup = _has_markup(
        content[:SNIFF_WINDOW], xml=kind not in ARCHIVE_KINDS and not is_pdf
    )
    if (
        head_has_markup
        or (kind in IMAGE_KINDS and _has_markup(content, xml=True))
        or (is_pdf and PDF_MARKUP.search(content))
    ):
        raise UploadRejected(
            _("文件中夹带了网页或脚本内容（HTML/SVG/脚本），存在安全风险，已拒绝。")
        )
    if is_pdf:
        check_pdf_active(content)
    return CheckedEvidence(
        kind=kind,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
        name=name,
    )
