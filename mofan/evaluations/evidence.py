"""The evidence store (佐证材料): content checks, storage under server-generated names, and the
services that upload, link, unlink and delete evidence files.

A file is uploaded once per unit (identical content is recognised by its SHA-256) and linked to
any number of leaf indicators of the unit's enrollments. Nothing is trusted from the upload but
its bytes: the type is detected from the content and must agree with the extension, office and
OFD files are read as archives with bounded entry count and unpacked size, and markup that a
browser could render (HTML, SVG, script) is refused where it has no business (polyglots).
Every file is scanned by clamd first (`mofan.core.uploads.scan_for_malware`), and active content
is refused: in a PDF script and launch actions, embedded files, rich media and XFA forms, also
inside compressed object streams (`check_pdf_active`); in an office file macros, ActiveX
controls, embedded OLE objects (`check_office_parts`), external templates/objects/frames and DDE
fields (`_OfficeInspector`, reading every entry).
Files are stored as ``evidence/<unit id>/<uuid4 hex>.<ext>`` under MEDIA_ROOT, mode 0640; the
user's file name is kept only in the database and in the Content-Disposition of a download.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import logging
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from pypdf import PasswordType, PdfReader
from pypdf.generic import StreamObject

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.core import uploads
from mofan.core.uploads import UploadRejected
from mofan.evaluations.models import Evidence, EvidenceKind, EvidenceLink
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import Unit
from mofan.supervision.models import ProgressReport

logger = logging.getLogger(__name__)
# pypdf logs each repair of a damaged file as a warning: keep only its errors.
logging.getLogger("pypdf").setLevel(logging.ERROR)

DEFAULT_MAX_MB = 20
STORAGE_DIR = "evidence"

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
# Once submitted, the self-evaluation (and the evidence it points to) is locked.
LOCKED_STATES = frozenset(
    {EnrollmentState.SUBMITTED, EnrollmentState.REVIEWED, EnrollmentState.APPROVED}
)

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
    While reading, each entry is checked for active office content (`_OfficeInspector`)."""
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
                inspector = _OfficeInspector(info.filename)
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


# --- active content ----------------------------------------------------------------------------
# Office (.docx/.xlsx): besides macros (above), ActiveX controls, embedded OLE objects (and
# embedded macro-enabled documents), relationships that fetch a template, object, frame or
# sub-document from outside when the file is opened, and DDE fields that run a program.
OFFICE_EXTERNAL_TYPES = frozenset({"attachedtemplate", "oleobject", "frame", "subdocument"})
OFFICE_MACRO_EMBEDDINGS = (".bin", ".docm", ".dotm", ".xlsm", ".xltm", ".xlsb", ".pptm", ".ppsm")
DDE_FIELDS = frozenset({"DDE", "DDEAUTO"})
DDE_LINK_MARKER = b"ddeService"  # an Excel DDE link (xl/externalLinks/*.xml)
_RELATIONSHIP = re.compile(rb"<(?:[\w.-]+:)?Relationship\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"(?:[\w.-]+:)?([\w.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
# The pieces of Word field codes, whatever the namespace prefix: field characters (begin,
# separate, end), instruction text (a code may be split over many runs) and simple fields.
_FIELD_PIECE = re.compile(
    rb"<(?:[\w.-]+:)?fldChar\b[^>]*?fldCharType\s*=\s*[\"'](?P<char>\w+)[\"']"
    rb"|<(?:[\w.-]+:)?instrText\b[^>]*?(?:/>|>(?P<text>.*?)</(?:[\w.-]+:)?instrText\s*>)"
    rb"|<(?:[\w.-]+:)?fldSimple\b[^>]*?\binstr\s*=\s*(?:\"(?P<simple>[^\"]*)\"|'(?P<simple2>[^']*)')",
    re.DOTALL,
)


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").replace("<![CDATA[", "").replace("]]>", "")
    return html.unescape(text)


def _is_dde_code(code: str) -> bool:
    words = code.split(None, 1)
    return bool(words) and words[0].upper() in DDE_FIELDS


def _refuse_dde() -> NoReturn:
    raise UploadRejected(
        _(
            "文件包含 DDE 自动执行字段（可运行外部程序），存在安全风险，已拒绝；"
            "请删除该字段后再上传。"
        )
    )


def _check_word_fields(xml: bytes) -> None:
    """Refuse a DDE or DDEAUTO field: rebuild each field code from its pieces (nested fields
    each get their own code) and look at its first word, as Word does."""
    codes: list[list[str]] = []  # the open fields' codes, innermost last
    closed: list[bool] = []  # whether each open field's code is complete (after "separate")
    for piece in _FIELD_PIECE.finditer(xml):
        char, text = piece.group("char"), piece.group("text")
        simple = piece.group("simple") or piece.group("simple2")
        if simple is not None:
            if _is_dde_code(_xml_text(simple)):
                _refuse_dde()
        elif char is not None:
            kind = char.lower()
            if kind == b"begin":
                codes.append([])
                closed.append(False)
            elif codes and kind in {b"separate", b"end"}:
                if not closed[-1] and _is_dde_code("".join(codes[-1])):
                    _refuse_dde()
                closed[-1] = True
                if kind == b"end":
                    codes.pop()
                    closed.pop()
        elif text is not None:
            if codes and not closed[-1]:
                codes[-1].append(_xml_text(text))
            elif _is_dde_code(_xml_text(text)):
                _refuse_dde()
    for code, done in zip(codes, closed, strict=True):
        if not done and _is_dde_code("".join(code)):
            _refuse_dde()


def _check_relationships(xml: bytes) -> None:
    """Refuse a relationship that makes Office fetch a template, OLE object, frame or
    sub-document from outside the file (TargetMode="External"); external hyperlinks and
    images are ordinary."""
    for element in _RELATIONSHIP.finditer(xml):
        attributes = {
            match.group(1).decode("ascii", "replace").lower(): _xml_text(
                match.group(2) if match.group(2) is not None else match.group(3)
            )
            for match in _ATTRIBUTE.finditer(element.group(1))
        }
        if attributes.get("targetmode", "").strip().lower() != "external":
            continue
        kind = attributes.get("type", "").strip().rstrip("/").rsplit("/", 1)[-1]
        if kind.lower() in OFFICE_EXTERNAL_TYPES:
            raise UploadRejected(
                _(
                    "文件引用了外部模板或外部对象（%(kind)s），打开时会从外部获取内容，"
                    "存在安全风险，已拒绝；请删除外部引用后另存为普通文档再上传。"
                )
                % {"kind": kind}
            )


class _OfficeInspector:
    """Reads one archive entry as it is unpacked (see `_archive_names`): relationship parts and
    Word's XML parts are kept whole (to read their elements), every other entry is searched for
    an Excel DDE link chunk by chunk."""

    def __init__(self, name: str) -> None:
        lowered = name.lower()
        self.rels = lowered.endswith(".rels")
        self.word = lowered.startswith("word/") and lowered.endswith(".xml")
        self.parts: list[bytes] = []
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        if self.rels or self.word:
            self.parts.append(chunk)
            return
        window = self.tail + chunk
        if DDE_LINK_MARKER in window:
            _refuse_dde()
        self.tail = window[-len(DDE_LINK_MARKER) :]

    def close(self) -> None:
        if not self.parts:
            return
        data = b"".join(self.parts)
        self.parts = []
        if DDE_LINK_MARKER in data:
            _refuse_dde()
        if self.rels:
            _check_relationships(data)
        if self.word:
            _check_word_fields(data)


def check_office_parts(names: set[str]) -> None:
    """Refuse ActiveX controls and embedded OLE objects by the archive's part names."""
    for name in names:
        lowered = name.lower()
        if "activex/" in lowered:
            raise UploadRejected(
                _("文件包含 ActiveX 控件，存在安全风险，已拒绝；请删除控件后另存为普通文档再上传。")
            )
        base = lowered.rsplit("/", 1)[-1]
        if (base.startswith("oleobject") and base.endswith(".bin")) or (
            "embeddings/" in lowered and lowered.endswith(OFFICE_MACRO_EMBEDDINGS)
        ):
            raise UploadRejected(
                _(
                    "文件包含嵌入的 OLE 对象或含宏文档，存在安全风险，已拒绝；"
                    "请删除嵌入对象后另存为普通文档再上传。"
                )
            )


# PDF: names that make a document act rather than show: script and launch actions (also as the
# /OpenAction or an /AA trigger), embedded files, rich media and XFA forms. A name may be
# written with `#xx` escapes (`/J#61vaScript` is `/JavaScript`); they are decoded first.
PDF_SCRIPT_NAMES = frozenset({"/JavaScript", "/Launch"})
PDF_EMBEDDED_NAMES = frozenset({"/EmbeddedFile", "/EmbeddedFiles", "/GoToE"})
PDF_MEDIA_NAMES = frozenset({"/XFA", "/RichMedia", "/Rendition"})
PDF_OBJECT_STREAM = "/ObjStm"
_PDF_NAME_TOKEN = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]{1,64})")
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# A trailer pointing nowhere: pypdf then rebuilds the cross-reference table from every
# `N G obj` in the body, object streams included (its repair of a broken file).
_PDF_REPAIR_TAIL = b"\nstartxref\n0\n%%EOF\n"


def _pdf_names(data: bytes) -> dict[str, int]:
    """How often each watched name (and /ObjStm) occurs in the bytes, escapes decoded.

    Every dictionary of a PDF is either in the file as written or inside an object stream, so
    reading the raw bytes and the decoded object streams sees every key and name value. The
    watched names are long enough (at least 5 characters after the slash, /XFA followed by a
    delimiter) that compressed content streams do not produce them by chance; the short /JS is
    therefore not watched: it acts only in a /JavaScript or /Rendition action, which is."""
    found: dict[str, int] = {}
    for match in _PDF_NAME_TOKEN.finditer(data):
        token = match.group(1)
        if b"#" in token:
            token = _PDF_HEX_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), token)
        name = "/" + token.decode("latin-1")
        if (
            name in PDF_SCRIPT_NAMES
            or name in PDF_EMBEDDED_NAMES
            or name in PDF_MEDIA_NAMES
            or name == PDF_OBJECT_STREAM
            or name.startswith("/RichMedia")
        ):
            found[name] = found.get(name, 0) + 1
    return found


def _pdf_reader(data: bytes) -> PdfReader | None:
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:  # any parser failure
        logger.debug("pypdf cannot read an uploaded PDF: %s", exc)
        return None


def _pdf_decrypt(reader: PdfReader) -> None:
    """Open an encrypted PDF with the empty user password (a file restricted only by an owner
    password); one that needs a password cannot be inspected and is refused, like an encrypted
    office file."""
    try:
        if not reader.is_encrypted:
            return
        opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception as exc:
        logger.debug("pypdf cannot decrypt an uploaded PDF: %s", exc)
        opened = False
    if not opened:
        raise UploadRejected(
            _(
                "PDF 文件已加密，无法进行安全检查，已拒绝；"
                "请解除密码保护（包括限制编辑、打印的权限密码）后重新导出再上传。"
            )
        )


def _refuse_damaged_pdf() -> NoReturn:
    raise UploadRejected(
        _("PDF 文件结构损坏（压缩对象无法读取），无法进行安全检查，已拒绝；请重新导出后上传。")
    )


def _object_stream_intact(stream: StreamObject, data: bytes) -> bool:
    """Whether the decoded data starts with the table of /N object numbers and offsets that
    /First says it has (pypdf recovers what it can from a corrupt stream, possibly nothing)."""
    count, first = stream.get("/N"), stream.get("/First")
    if not isinstance(count, int) or not isinstance(first, int):
        return False
    return 0 <= first <= len(data) and len(re.findall(rb"\d+", data[:first])) >= 2 * count


def _pdf_object_stream_names(reader: PdfReader, done: set[int]) -> set[str]:
    """The watched names in every object stream the reader knows and `done` does not hold yet
    (decoded, and decrypted, by pypdf); adds their numbers to `done`. The decoded total is
    bounded like an archive's unpacked size."""
    numbers = {stream for stream, _index in reader.xref_objStm.values()} - done
    names: set[str] = set()
    total = 0
    for number in sorted(numbers):
        try:
            stream = reader.get_object(number)
            if not isinstance(stream, StreamObject):
                _refuse_damaged_pdf()
            data = stream.get_data()
        except UploadRejected:
            raise
        except Exception as exc:
            logger.debug("pypdf cannot decode object stream %d: %s", number, exc)
            _refuse_damaged_pdf()
        if not _object_stream_intact(stream, data):
            _refuse_damaged_pdf()
        total += len(data)
        if total > uploads.MAX_ARCHIVE_UNPACKED:
            raise UploadRejected(_("PDF 文件解压后过大，疑似压缩炸弹，已拒绝。"))
        names |= set(_pdf_names(data))
        done.add(number)
    return names


def check_pdf_active(content: bytes) -> None:
    """Refuse a PDF that can act: JavaScript or Launch actions (as the /OpenAction, an /AA
    trigger, a link or a document-level script), embedded files, /RichMedia, /Rendition or XFA.

    pypdf (pure Python) reads the cross-reference table, decrypts a file protected only by an
    owner password and decodes every object stream, whatever its filters; the watched names are
    then looked for in the file's own bytes and in the decoded object streams (`_pdf_names`).
    That covers every object, also those a broken or lying table leaves out, without parsing
    each one (pypdf parses a few thousand objects a second; a large report has tens of
    thousands). When the table does not account for every object stream in the file, it is
    rebuilt from the body (pypdf's repair). A file pypdf cannot read at all is not refused for
    that alone (its magic bytes made it a PDF, as before) unless it holds object streams."""
    found = _pdf_names(content)
    names = set(found)
    decoded: set[int] = set()
    reader = _pdf_reader(content)
    if reader is not None:
        _pdf_decrypt(reader)
        names |= _pdf_object_stream_names(reader, decoded)
    if found.get(PDF_OBJECT_STREAM, 0) > len(decoded):
        repaired = _pdf_reader(content + _PDF_REPAIR_TAIL)
        if repaired is not None:
            _pdf_decrypt(repaired)
            names |= _pdf_object_stream_names(repaired, decoded)
        if found.get(PDF_OBJECT_STREAM, 0) > len(decoded):
            _refuse_damaged_pdf()
    if names & PDF_SCRIPT_NAMES:
        raise UploadRejected(
            _(
                "PDF 文件包含脚本或自动执行动作（JavaScript/Launch），存在安全风险，已拒绝；"
                "请重新导出为普通 PDF 后上传。"
            )
        )
    if names & PDF_EMBEDDED_NAMES:
        raise UploadRejected(
            _(
                "PDF 文件包含嵌入的附件文件，存在安全风险，已拒绝；"
                "请去除附件后重新导出为普通 PDF 再上传。"
            )
        )
    if names - {PDF_OBJECT_STREAM}:  # /XFA, /RichMedia..., /Rendition
        raise UploadRejected(
            _(
                "PDF 文件包含动态表单或多媒体内容（XFA/RichMedia），存在安全风险，已拒绝；"
                "请重新导出为普通 PDF 后上传。"
            )
        )


# --- storage -----------------------------------------------------------------------------


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


# --- services ------------------------------------------------------------------------------


def _require_unit_admin(actor: Actor, unit_id: int) -> None:
    if unit_id not in actor.units_with(Role.UNIT_ADMIN):
        raise PermissionDenied


def _evidence_data(evidence: Evidence) -> dict[str, Any]:
    return {
        "unit": evidence.unit_id,
        "name": evidence.original_name,
        "kind": evidence.kind,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "stored_name": evidence.stored_name,
    }


def _link_data(link: EvidenceLink, node: IndicatorNode) -> dict[str, Any]:
    return {
        "evidence": link.evidence_id,
        "enrollment": link.enrollment_id,
        "node": node.pk,
        "code": node.code,
    }


def _record_duplicate(existing: Evidence, checked: CheckedEvidence, actor: Actor) -> None:
    with transaction.atomic():
        audit_record(
            action="evidence.upload.duplicate",
            actor=actor.user,
            target=existing,
            extra={"name": checked.name, "sha256": checked.sha256, "size": checked.size},
        )


def evidence_upload(
    *, unit: Unit, upload: UploadedFile, actor: Actor, max_mb: int = DEFAULT_MAX_MB
) -> tuple[Evidence, bool]:
    """Check and store a file for the unit. Identical content already uploaded by the unit
    returns the existing row (and no second file): the bool says whether a row was created."""
    _require_unit_admin(actor, unit.pk)
    checked = check_evidence(upload, max_mb=max_mb, actor=actor)
    existing = Evidence.objects.filter(unit_id=unit.pk, sha256=checked.sha256).first()
    if existing is not None:
        _record_duplicate(existing, checked, actor)
        return existing, False
    stored_name = store(checked.content, unit.pk, checked.kind)
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                unit_id=unit.pk,
                sha256=checked.sha256,
                original_name=checked.name,
                stored_name=stored_name,
                kind=checked.kind,
                size=checked.size,
                uploaded_by=actor.user,
            )
            audit_record(
                action="evidence.upload",
                actor=actor.user,
                target=evidence,
                after=_evidence_data(evidence),
            )
    except IntegrityError:
        # The same content arrived in a concurrent request: keep that one.
        remove(stored_name)
        existing = Evidence.objects.filter(unit_id=unit.pk, sha256=checked.sha256).first()
        if existing is None:
            raise
        _record_duplicate(existing, checked, actor)
        return existing, False
    except BaseException:
        remove(stored_name)
        raise
    # If an enclosing transaction rolls back later, the row is gone and the file stays behind
    # as an orphan: harmless (never served) and reported by nothing but a directory listing.
    return evidence, True


def _locked_enrollment(enrollment: Enrollment) -> Enrollment:
    """The enrollment row, locked for the transaction (PostgreSQL; SQLite's IMMEDIATE
    transactions already serialise writers), refused when the self-evaluation is locked."""
    current = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=enrollment.pk)
    )
    if current.state in LOCKED_STATES:
        raise ValidationError(
            _("自评已提交（%(state)s），佐证材料的关联已锁定；如需修改，请联系工委退回。")
            % {"state": current.get_state_display()}
        )
    return current


def evidence_link(
    *, evidence: Evidence, enrollment: Enrollment, node: IndicatorNode, actor: Actor
) -> EvidenceLink:
    """Link one of the unit's files to a leaf indicator of one of its enrollments.

    Linking the same file to the same indicator twice returns the existing link."""
    _require_unit_admin(actor, enrollment.unit_id)
    with transaction.atomic():
        current = _locked_enrollment(enrollment)
        campaign = current.campaign
        if evidence.unit_id != current.unit_id:
            raise ValidationError(_("只能关联本单位上传的佐证材料。"))
        if node.version_id != campaign.indicator_version_id:
            raise ValidationError(_("该指标不属于本次创建活动所用的指标体系。"))
        if IndicatorNode.objects.filter(parent_id=node.pk).exists():
            raise ValidationError(_("佐证材料只能关联到末级指标（考评要点）。"))
        existing = EvidenceLink.objects.filter(
            evidence=evidence, enrollment=current, node=node
        ).first()
        if existing is not None:
            return existing
        if evidence.size > campaign.evidence_max_mb * 1024 * 1024:
            raise ValidationError(
                _("该文件超过本次活动的佐证文件大小上限（%(n)d MB）。")
                % {"n": campaign.evidence_max_mb}
            )
        cap = campaign.evidence_cap_per_indicator
        if cap is not None:
            count = EvidenceLink.objects.filter(enrollment=current, node=node).count()
            if count >= cap:
                raise ValidationError(
                    _("指标「%(code)s」最多可关联 %(cap)d 份佐证材料，请先移除不需要的材料。")
                    % {"code": node.code, "cap": cap}
                )
        link = EvidenceLink.objects.create(evidence=evidence, enrollment=current, node=node)
        audit_record(
            action="evidence.link",
            actor=actor.user,
            target=link,
            after=_link_data(link, node),
            extra={"name": evidence.original_name, "sha256": evidence.sha256},
        )
    return link


def evidence_unlink(*, link: EvidenceLink, actor: Actor) -> None:
    enrollment = link.enrollment
    _require_unit_admin(actor, enrollment.unit_id)
    with transaction.atomic():
        _locked_enrollment(enrollment)
        node = link.node
        before = _link_data(link, node)
        link_id = link.pk
        deleted, _count = EvidenceLink.objects.filter(pk=link_id).delete()
        if not deleted:
            return
        audit_record(
            action="evidence.unlink",
            actor=actor.user,
            object_type=EvidenceLink._meta.label_lower,
            object_id=link_id,
            before=before,
        )


def evidence_delete(*, evidence: Evidence, actor: Actor) -> None:
    """Delete a file nothing points to; the stored file goes when the transaction commits."""
    _require_unit_admin(actor, evidence.unit_id)
    with transaction.atomic():
        current = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if EvidenceLink.objects.filter(evidence=current).exists():
            raise ValidationError(_("该材料仍关联着考评指标，请先取消全部关联再删除。"))
        if Enrollment.objects.filter(plan=current).exists():
            raise ValidationError(_("该材料是本单位的实施方案，不能删除。"))
        if current.problem_items.exists():
            raise ValidationError(_("该材料是问题整改的佐证，不能删除。"))
        if ProgressReport.evidence.through.objects.filter(evidence_id=current.pk).exists():
            raise ValidationError(_("该材料是督办事项进展报告的佐证，不能删除。"))
        before = _evidence_data(current)
        evidence_id = current.pk
        stored_name = current.stored_name
        current.delete()
        audit_record(
            action="evidence.delete",
            actor=actor.user,
            object_type=Evidence._meta.label_lower,
            object_id=evidence_id,
            before=before,
        )
        transaction.on_commit(lambda: remove(stored_name))
