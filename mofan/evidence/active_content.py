"""Active content in evidence files, looked for through the whole body: PDF actions and
attachments (JavaScript, Launch, embedded files, rich media, XFA; names with #xx escapes and
inside object streams, read with pypdf) and Office parts (ActiveX, OLE objects, external
template/frame relationships, DDE fields). `evidence.check_evidence` calls these after the
type is known; each refusal is an UploadRejected with a message for the user."""

from __future__ import annotations

import html
import io
import logging
import re
from typing import NoReturn

from django.utils.translation import gettext as _
from pypdf import PasswordType, PdfReader
from pypdf.generic import StreamObject

from mofan.core import uploads
from mofan.core.uploads import UploadRejected

logger = logging.getLogger(__name__)
# pypdf logs each repair of a damaged file as a warning: keep only its errors.
logging.getLogger("pypdf").setLevel(logging.ERROR)

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


class OfficeInspector:
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
