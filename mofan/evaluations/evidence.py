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
fields (`OfficeInspector`, reading every entry).
Files are stored as ``evidence/<unit id>/<uuid4 hex>.<ext>`` under MEDIA_ROOT, mode 0640; the
user's file name is kept only in the database and in the Content-Disposition of a download.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.core import uploads
from mofan.core.uploads import UploadRejected
from mofan.evaluations.active_content import (
    OfficeInspector,
    check_office_parts,
    check_pdf_active,
)
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
