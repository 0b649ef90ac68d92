"""Official documents drafted, edited and issued with a number from the committee's register
(issue 18 point 1).

* A draft (`draft_create`) is a registered campaign document (`OfficialDocument`: results
  bulletin, naming notice, rectification notice, work summary) or an honour programme's
  (`ProgrammeDocument`: the naming decision) built from the data and stored
  as JSON (`doc_to_json`): its title and each heading and paragraph are text the committee's
  staff edit (`draft_update`, version-checked: two clerks never overwrite each other); its
  tables are stored only as references ("bound"): they are not editable and are read again from
  the data when the draft is issued, so an issued document never shows stale figures.
* Issuing (`document_issue`) happens in one transaction: the draft is checked (no empty
  paragraph, no "（请…" placeholder, the tables still match the draft), the document is rebuilt
  as of the 成文日期, the next serial of the year is taken from the committee's register
  (`number_next`, under a row lock: a failed issue rolls its number back, so there are no gaps,
  and a number is never given twice), the final `Doc` is rendered as docx and PDF, both files
  are written whole (a temporary name renamed into place, `core.files.write_atomically`) before
  the transaction commits and removed when it fails (a worker killed in between leaves a file no
  row names, for the orphan sweep, never a row without its file; a full or read-only disk is a
  ValidationError with a Chinese message), and an `IssuedDocument` row (content, number, date,
  SHA-256 of both files) and its audit entry are written. Issued versions are never changed;
  re-issuing makes version n+1 with a new number.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re
import uuid
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.core.concurrency import StaleWrite
from mofan.core.exports import registry
from mofan.core.exports.base import (
    Block,
    Doc,
    Document,
    Heading,
    Paragraph,
    ProgrammeDocument,
    Table,
)
from mofan.core.files import StorageUnavailable, storage_error, write_atomically
from mofan.honours.models import HonourProgramme
from mofan.organizations.models import Committee, Unit
from mofan.reports.documents.common import OfficialDocument, normalise_number, number_prefix
from mofan.reports.models import DocumentDraft, DocumentRegister, DocumentSerial, IssuedDocument
from mofan.reports.render import docx_format, pdf_format

logger = logging.getLogger(__name__)

EDITABLE = ("heading", "paragraph")
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(?:docx|pdf)$")
PLACEHOLDER = re.compile(r"[（(]\s*请")
PREFIX_MAX = 20


# --- the draft's JSON -------------------------------------------------------------------------


def doc_to_json(doc: Doc) -> dict[str, Any]:
    """The editable part of a built document: title, addressee and the blocks, tables as
    references (their position and caption) that are rebuilt from the data on issue."""
    blocks: list[dict[str, Any]] = []
    tables = 0
    for block in doc.blocks:
        if isinstance(block, Heading):
            blocks.append({"kind": "heading", "text": block.text, "level": block.level})
        elif isinstance(block, Paragraph):
            blocks.append({"kind": "paragraph", "text": block.text})
        elif isinstance(block, Table):
            blocks.append({"kind": "table", "index": tables, "caption": block.caption})
            tables += 1
    return {"title": doc.title, "addressee": doc.addressee, "blocks": blocks}


def frozen_json(doc: Doc) -> dict[str, Any]:
    """The issued document as it was printed, tables included as text (the record)."""
    blocks: list[dict[str, Any]] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            blocks.append({"kind": "heading", "text": block.text, "level": block.level})
        elif isinstance(block, Paragraph):
            blocks.append({"kind": "paragraph", "text": block.text})
        elif isinstance(block, Table):
            blocks.append(
                {
                    "kind": "table",
                    "caption": block.caption,
                    "columns": [c.header for c in block.columns],
                    "rows": [["" if v is None else str(v) for v in row] for row in block.rows],
                }
            )
    return {
        "title": doc.title,
        "issuer": doc.issuer,
        "number": doc.number,
        "addressee": doc.addressee,
        "blocks": blocks,
        "signature": doc.signature,
        "date": doc.date.isoformat() if doc.date else "",
        "attachments": list(doc.attachments),
        "cc": doc.cc,
        "printer": doc.printer,
    }


def draft_problems(content: dict[str, Any]) -> list[str]:
    """Why a draft cannot be issued yet (pure): an empty title, heading or paragraph, or text
    still holding a placeholder such as "（请填写…）". Paragraphs are counted from 1."""
    problems: list[str] = []
    if not str(content.get("title", "")).strip():
        problems.append(_("标题不能为空。"))
    for n, block in enumerate(content.get("blocks", []), start=1):
        if block.get("kind") not in EDITABLE:
            continue
        text = str(block.get("text", ""))
        if not text.strip():
            problems.append(_("第%(n)d段是空的：请填写或删去其中的内容后再印发。") % {"n": n})
        elif PLACEHOLDER.search(text):
            problems.append(
                _("第%(n)d段还有待填写的占位内容（“（请……”），请改成正式文字后再印发。") % {"n": n}
            )
    return problems


def merged_blocks(content: dict[str, Any], tables: list[Table]) -> list[Block]:
    """The draft's edited texts with the tables read again from the data, in place."""
    references = [b for b in content.get("blocks", []) if b.get("kind") == "table"]
    if len(references) != len(tables):
        raise ValidationError(_("数据已变化，草稿中的表格与现在的数据不一致。请重新起草这份公文。"))
    blocks: list[Block] = []
    for block in content.get("blocks", []):
        kind = block.get("kind")
        if kind == "heading":
            blocks.append(Heading(str(block["text"]).strip(), int(block.get("level", 1))))
        elif kind == "paragraph":
            blocks.append(Paragraph(str(block["text"]).strip()))
        elif kind == "table":
            blocks.append(tables[int(block["index"])])
    return blocks


# --- which document -----------------------------------------------------------------------------


def draftable(cls: type[Any]) -> bool:
    """A campaign's official document (a red-head `OfficialDocument`) or an honour programme's
    document can be drafted and issued; the issued version is rendered as docx and PDF from its
    `Doc`, whatever formats the export page offers (the work summary is offered as docx only, a
    draft to edit in Word)."""
    return issubclass(cls, OfficialDocument | ProgrammeDocument)


def document_for(
    *,
    identifier: str,
    campaign: Campaign | None,
    unit: Unit | None,
    actor: Actor,
    programme: HonourProgramme | None = None,
    today: datetime.date | None = None,
) -> Document:
    """The registered document (LookupError for an unknown or undraftable one, or a unit given
    to a campaign-wide one and the reverse): a programme's when `programme` is given."""
    if programme is not None:
        cls = registry.get(identifier, scope="programme")
        if not issubclass(cls, ProgrammeDocument) or unit is not None:
            raise LookupError(identifier)
        return cls(programme=programme, actor=actor, today=today)
    cls = registry.get(identifier)
    if campaign is None or not draftable(cls) or cls.per_unit != (unit is not None):
        raise LookupError(identifier)
    document_cls = cast(type[OfficialDocument], cls)
    return document_cls(campaign=campaign, actor=actor, unit=unit, today=today)


def _require_staff(actor: Actor, committee_id: int) -> None:
    if not rules.is_staff_of(actor, committee_id):
        raise PermissionDenied(_("只有本工委的管理员和领导可以起草和印发公文。"))


# --- the register -----------------------------------------------------------------------------


def default_prefix(committee: Committee) -> str:
    """The 机关代字 of the committee's latest campaign document number (焦直文〔2020〕140号 →
    焦直文), or "" when none of its campaigns has one."""
    numbers = Campaign.objects.filter(committee=committee).exclude(document_number="")
    for number in numbers.order_by("-pk").values_list("document_number", flat=True):
        prefix = number_prefix(normalise_number(number))
        if prefix:
            return prefix
    return ""


@transaction.atomic
def register_update(*, committee: Committee, prefix: str, actor: Actor) -> DocumentRegister:
    """Set the committee's 机关代字 (numbers already given keep theirs)."""
    _require_staff(actor, committee.pk)
    prefix = prefix.strip()
    if not prefix or len(prefix) > PREFIX_MAX or re.search(r"[〔〕\[\]()（）\s\d]", prefix):
        raise ValidationError(
            _("机关代字应为不超过20个字的简称，如“焦直文”，不含括号、空格和数字。")
        )
    register, _created = DocumentRegister.objects.select_for_update().get_or_create(
        committee=committee, defaults={"prefix": prefix}
    )
    before = register.prefix
    if register.prefix != prefix:
        register.prefix = prefix
        register.save(update_fields=["prefix"])
    audit_record(
        action="report.register.update",
        actor=actor.user,
        target=register,
        committee_id=committee.pk,
        before={"prefix": before if not _created else ""},
        after={"prefix": prefix},
    )
    return register


def register_of(committee: Committee) -> DocumentRegister | None:
    return DocumentRegister.objects.filter(committee=committee).first()


def _first_save(model: type[Any], **values: Any) -> None:
    """Create a row two transactions may create at once; the loser reads the winner's."""
    try:
        with transaction.atomic():
            model._default_manager.create(**values)
    except IntegrityError:
        pass


def number_next(*, committee: Committee, year: int) -> tuple[str, int]:
    """The next 发文字号 of the committee in `year` and its serial: 焦直文〔2026〕3号. Call inside
    the issuing transaction: the year's counter stays locked until it ends, and a rollback
    gives the serial back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside the issuing transaction")
    register = DocumentRegister.objects.filter(committee=committee).first()
    if register is None:
        prefix = default_prefix(committee)
        if not prefix:
            raise ValidationError(
                _("本工委还没有机关代字：请先在“公文草稿”页设置发文登记的机关代字（如“焦直文”）。")
            )
        _first_save(DocumentRegister, committee=committee, prefix=prefix)
        register = DocumentRegister.objects.get(committee=committee)
    _first_save(DocumentSerial, register=register, year=year)
    serial = DocumentSerial.objects.select_for_update().get(register=register, year=year)
    serial.last += 1
    serial.save(update_fields=["last"])
    return f"{register.prefix}〔{year}〕{serial.last}号", serial.last


# --- drafts -----------------------------------------------------------------------------------


@transaction.atomic
def draft_create(
    *,
    identifier: str,
    campaign: Campaign | None,
    unit: Unit | None,
    actor: Actor,
    programme: HonourProgramme | None = None,
) -> DocumentDraft:
    """A draft of the document built from the data now (the document's own `check()` first:
    PermissionDenied or a Chinese ValidationError): a campaign's, or with `programme` an
    honour programme's."""
    if programme is not None:
        campaign = programme.campaign
        committee_id = programme.committee_id
    elif campaign is not None:
        committee_id = campaign.committee_id
    else:
        raise LookupError(identifier)
    _require_staff(actor, committee_id)
    document = document_for(
        identifier=identifier, campaign=campaign, unit=unit, actor=actor, programme=programme
    )
    document.check()
    doc = document.build()
    draft = DocumentDraft.objects.create(
        committee_id=committee_id,
        campaign=campaign,
        programme=programme,
        unit=unit,
        document=identifier,
        title=doc.title[:200],
        content=doc_to_json(doc),
        created_by=actor.user,
    )
    audit_record(
        action="report.draft.create",
        actor=actor.user,
        target=draft,
        committee_id=committee_id,
        extra={
            "document": identifier,
            "unit": unit.pk if unit else None,
            "programme": programme.pk if programme else None,
        },
    )
    return draft


@transaction.atomic
def draft_update(
    *, draft: DocumentDraft, title: str, texts: dict[int, str], version: int, actor: Actor
) -> DocumentDraft:
    """Save the edited title and texts (block index → text) of a draft read at `version`
    (StaleWrite when somebody saved in between; nothing is lost: the form keeps the texts)."""
    _require_staff(actor, draft.committee_id)
    locked = DocumentDraft.objects.select_for_update().get(pk=draft.pk)
    if locked.version != version:
        raise StaleWrite(_("这份草稿刚被他人修改，您的修改未保存。请刷新后再改。"), locked)
    content = dict(locked.content)
    blocks = [dict(b) for b in content.get("blocks", [])]
    changed: list[int] = []
    for index, text in texts.items():
        if not 0 <= index < len(blocks) or blocks[index].get("kind") not in EDITABLE:
            raise ValidationError(_("只能修改正文的标题和段落，表格随数据生成，不能修改。"))
        text = text.replace("\r\n", "\n").strip()
        if blocks[index].get("text") != text:
            blocks[index]["text"] = text
            changed.append(index)
    title = title.strip()
    if title != content.get("title"):
        changed.append(-1)
    content.update(title=title, blocks=blocks)
    locked.content = content
    locked.title = title[:200]
    locked.version += 1
    locked.save(update_fields=["content", "title", "version", "updated_at"])
    audit_record(
        action="report.draft.update",
        actor=actor.user,
        target=locked,
        committee_id=locked.committee_id,
        extra={"changed": changed, "version": locked.version},
    )
    return locked


# --- issuing ----------------------------------------------------------------------------------


def issued_dir() -> Path:
    """Where issued documents are kept: `MEDIA_ROOT/issued/`, with the other records the backup
    archives (not with the export files, which expire); never served directly."""
    directory = Path(settings.MEDIA_ROOT) / "issued"
    directory.mkdir(mode=0o750, parents=True, exist_ok=True)
    return directory


def issued_path(stored_name: str) -> Path:
    if not STORED_NAME.match(stored_name):
        raise ValueError(f"not a stored document name: {stored_name!r}")
    return issued_dir() / stored_name


def _rendered(doc: Doc) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for fmt, writer in (("docx", docx_format.write_doc), ("pdf", pdf_format.write_document)):
        stream = io.BytesIO()
        writer(doc, stream)
        files[fmt] = stream.getvalue()
    return files


def _stage(files: dict[str, bytes]) -> dict[str, tuple[str, Path]]:
    """Write each file whole under a fresh name; (final name, path) per format. A storage
    failure removes what was written and raises ValidationError (the form shows it)."""
    staged: dict[str, tuple[str, Path]] = {}
    try:
        directory = issued_dir()
    except OSError as exc:
        if (error := storage_error(exc)) is None:
            raise
        raise ValidationError(str(error)) from exc
    try:
        for fmt, data in files.items():
            name = f"{uuid.uuid4().hex}.{fmt}"
            staged[fmt] = (name, directory / name)
            write_atomically(directory / name, data, mode=0o640)
    except StorageUnavailable as exc:
        _discard(staged)
        raise ValidationError(str(exc)) from exc
    return staged


def _discard(staged: dict[str, tuple[str, Path]]) -> None:
    for _name, path in staged.values():
        path.unlink(missing_ok=True)


def document_issue(
    *, draft: DocumentDraft, date: datetime.date, version: int, actor: Actor
) -> IssuedDocument:
    """Issue the draft as read at `version`, dated `date` (成文日期): see the module docstring.
    A ValidationError (placeholders, tables changed, no 机关代字) or StaleWrite leaves nothing
    behind: no number taken, no file, no row."""
    staged: dict[str, tuple[str, Path]] = {}
    try:
        with transaction.atomic():
            issued = _issue(draft=draft, date=date, version=version, actor=actor, staged=staged)
    except BaseException:
        _discard(staged)
        raise
    return issued


def _issue(
    *,
    draft: DocumentDraft,
    date: datetime.date,
    version: int,
    actor: Actor,
    staged: dict[str, tuple[str, Path]],
) -> IssuedDocument:
    _require_staff(actor, draft.committee_id)
    locked = (
        DocumentDraft.objects.select_for_update(of=("self",))
        .select_related("campaign__committee", "programme__committee", "unit", "committee")
        .get(pk=draft.pk)
    )
    if locked.version != version:
        raise StaleWrite(_("这份草稿刚被他人修改，请核对后再印发。"), locked)
    doc, serial = _final_doc(locked, date, actor)
    files = _rendered(doc)
    staged.update(_stage(files))
    previous = IssuedDocument.objects.filter(draft=locked).aggregate(n=Max("version"))["n"]
    issued = IssuedDocument.objects.create(
        draft=locked,
        committee_id=locked.committee_id,
        campaign_id=locked.campaign_id,
        programme_id=locked.programme_id,
        unit_id=locked.unit_id,
        document=locked.document,
        title=doc.title[:200],
        version=(previous or 0) + 1,
        number=doc.number,
        year=date.year,
        serial=serial,
        issued_on=date,
        content=frozen_json(doc),
        docx_name=staged["docx"][0],
        docx_sha256=hashlib.sha256(files["docx"]).hexdigest(),
        docx_size=len(files["docx"]),
        pdf_name=staged["pdf"][0],
        pdf_sha256=hashlib.sha256(files["pdf"]).hexdigest(),
        pdf_size=len(files["pdf"]),
        issued_by=actor.user,
    )
    audit_record(
        action="report.document.issue",
        actor=actor.user,
        target=issued,
        committee_id=locked.committee_id,
        extra={
            "draft": locked.pk,
            "document": locked.document,
            "number": doc.number,
            "date": date.isoformat(),
            "version": issued.version,
            "docx_sha256": issued.docx_sha256,
            "pdf_sha256": issued.pdf_sha256,
        },
    )
    return issued


def _final_doc(locked: DocumentDraft, date: datetime.date, actor: Actor) -> tuple[Doc, int]:
    """The document to issue: the draft's texts, the tables and the head read again from the
    data as of `date`, and the next number (taken last: anything refused before takes none)."""
    problems = draft_problems(locked.content)
    if problems:
        raise ValidationError(problems)
    document = document_for(
        identifier=locked.document,
        campaign=locked.campaign,
        unit=locked.unit,
        actor=actor,
        programme=locked.programme,
        today=date,
    )
    document.check()
    built = document.build()
    blocks = merged_blocks(locked.content, [b for b in built.blocks if isinstance(b, Table)])
    number, serial = number_next(committee=locked.committee, year=date.year)
    doc = Doc(
        title=str(locked.content.get("title", built.title)),
        issuer=built.issuer,
        number=number,
        addressee=str(locked.content.get("addressee", built.addressee)),
        blocks=blocks,
        signature=built.signature,
        date=date,
        attachments=built.attachments,
        cc=built.cc,
        printer=built.printer,
    )
    return doc, serial


def issued_file(issued: IssuedDocument, fmt: str) -> bytes:
    """The stored file of an issued version, checked against its recorded hash (LookupError
    when it is missing or was altered)."""
    name = issued.docx_name if fmt == "docx" else issued.pdf_name
    expected = issued.docx_sha256 if fmt == "docx" else issued.pdf_sha256
    try:
        data = issued_path(name).read_bytes()
    except (OSError, ValueError) as exc:
        raise LookupError(name) from exc
    if hashlib.sha256(data).hexdigest() != expected:
        logger.error("issued document %s: %s does not match its hash", issued.pk, name)
        raise LookupError(name)
    return data
