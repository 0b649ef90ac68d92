"""The evidence store: content checks, storage, de-duplication and the link rules.

Decision documented here: an office file whose archive holds an HTML (or SVG) part is accepted
when its structure is valid. Word and Excel legitimately carry such parts (altChunk imports,
SVG icons), nothing unpacks or renders a part, and the file itself is only ever served as an
attachment with nosniff and a sandboxing CSP. What is refused is markup in the raw bytes a
browser would sniff: the first KB of any file, and anywhere in an image or a PDF (polyglots).
"""

# The fixtures are imported from evidence_fixtures and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import os
import stat
import struct
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.campaigns.models import EnrollmentState
from mofan.core import uploads
from mofan.core.uploads import UploadRejected
from mofan.evaluations import evidence as ev
from mofan.evaluations.models import Evidence, EvidenceLink
from mofan.indicators.models import IndicatorNode
from tests.evaluations.evidence_fixtures import (  # noqa: F401 (fixtures)
    SAMPLES,
    make_docx,
    make_jpeg,
    make_pdf,
    make_png,
    make_xlsx,
    make_zip,
    media,
    stored_files,
    upload_of,
    world,
)

# --- content checks -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_allowed_type_is_accepted_from_a_real_minimal_file(kind):
    name, build = SAMPLES[kind]
    content = build()
    checked = ev.check_evidence(upload_of(name, content), max_mb=20)
    assert checked.kind == kind
    assert checked.size == len(content)
    assert checked.content == content
    assert checked.name == name
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_jpeg_extension_is_the_jpg_kind_and_upper_case_extensions_are_fine():
    assert ev.check_evidence(upload_of("照片.JPEG", make_jpeg()), max_mb=1).kind == "jpg"
    assert ev.check_evidence(upload_of("报告.PDF", make_pdf()), max_mb=1).kind == "pdf"


@pytest.mark.parametrize(
    "name, content",
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100),
        ("page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("noextension", make_pdf()),
        ("report.pdf.exe", make_pdf()),
    ],
)
def test_types_outside_the_list_are_refused(name, content):
    with pytest.raises(UploadRejected, match="不支持的文件类型"):
        ev.check_evidence(upload_of(name, content), max_mb=20)


def test_old_office_formats_get_a_clear_message():
    with pytest.raises(UploadRejected, match=r"\.docx 或 \.xlsx"):
        ev.check_evidence(upload_of("总结.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), max_mb=20)
    # An encrypted .docx is an OLE container, not a zip.
    with pytest.raises(UploadRejected, match="加密"):
        ev.check_evidence(
            upload_of("总结.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), max_mb=20
        )


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("报告.pdf", make_png(), "内容是 PNG 图片，扩展名却是 .pdf"),
        ("照片.png", make_jpeg(), "内容是 JPG 图片，扩展名却是 .png"),
        ("台账.docx", make_xlsx(), "内容是 Excel（.xlsx），扩展名却是 .docx"),
        ("总结.xlsx", make_docx(), "内容是 Word（.docx），扩展名却是 .xlsx"),
        ("文件.ofd", make_pdf(), "内容是 PDF，扩展名却是 .ofd"),
    ],
)
def test_content_must_match_the_extension(name, content, message):
    with pytest.raises(UploadRejected, match=message):
        ev.check_evidence(upload_of(name, content), max_mb=20)


@pytest.mark.parametrize(
    "name, content",
    [
        ("报告.pdf", b"just some text, not a PDF"),
        ("照片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20),  # signature without IHDR
        ("照片.jpg", b"GIF89a..."),
        ("台账.xlsx", make_zip({"xl/workbook.xml": b"<workbook/>"})),  # no [Content_Types].xml
        ("文件.ofd", make_zip({"Doc_0/Document.xml": b"<x/>"})),  # no OFD.xml
        ("总结.docx", b"PK\x03\x04 truncated"),
    ],
)
def test_content_that_is_not_the_claimed_type_is_refused(name, content):
    with pytest.raises(UploadRejected, match=r"不是有效的|已损坏"):
        ev.check_evidence(upload_of(name, content), max_mb=20)


def test_oversized_and_empty_files_are_refused():
    big = make_pdf(b"%" + b"x" * (1024 * 1024) + b"\n")
    with pytest.raises(UploadRejected, match="文件过大：上限为 1 MB"):
        ev.check_evidence(upload_of("大文件.pdf", big), max_mb=1)
    assert ev.check_evidence(upload_of("大文件.pdf", big), max_mb=2).size == len(big)
    with pytest.raises(UploadRejected, match="空的"):
        ev.check_evidence(upload_of("空.pdf", b""), max_mb=1)


def test_zip_bomb_is_refused_before_it_is_unpacked():
    # 20 MB of zeros compresses to ~20 KB: a ratio of about a thousand to one.
    bomb = make_xlsx({"xl/worksheets/sheet1.xml": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    with pytest.raises(UploadRejected, match="压缩炸弹"):
        ev.check_evidence(upload_of("台账.xlsx", bomb), max_mb=20)


def test_unpacked_total_is_bounded(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_UNPACKED", 64 * 1024)
    parts = {f"xl/media/image{i}.bin": os.urandom(20 * 1024) for i in range(4)}
    with pytest.raises(UploadRejected, match="解压后过大"):
        ev.check_evidence(upload_of("台账.xlsx", make_xlsx(parts)), max_mb=20)


def test_archive_that_lies_about_its_sizes_is_refused():
    content = bytearray(make_xlsx({"xl/sharedStrings.xml": b"<sst>" + b"a" * 50_000 + b"</sst>"}))
    # Shrink every declared uncompressed size in the central directory to 10 bytes.
    position = content.find(b"PK\x01\x02")
    while position != -1:
        content[position + 24 : position + 28] = struct.pack("<I", 10)
        position = content.find(b"PK\x01\x02", position + 4)
    with pytest.raises(UploadRejected, match="损坏"):
        ev.check_evidence(upload_of("台账.xlsx", bytes(content)), max_mb=20)


def test_too_many_entries_are_refused():
    parts = {f"xl/worksheets/sheet{i}.xml": b"<x/>" for i in range(uploads.MAX_ARCHIVE_ENTRIES)}
    with pytest.raises(UploadRejected, match="条目超过"):
        ev.check_evidence(upload_of("台账.xlsx", make_xlsx(parts)), max_mb=20)


def test_encrypted_zip_entries_are_refused():
    content = bytearray(make_docx())
    position = content.find(b"PK\x01\x02")
    content[position + 8] |= 0x1  # the "encrypted" flag in the central directory
    with pytest.raises(UploadRejected, match="加密"):
        ev.check_evidence(upload_of("总结.docx", bytes(content)), max_mb=20)


@pytest.mark.parametrize(
    "name, content",
    [
        ("截图.png", make_png(b"<html><script>alert(document.cookie)</script></html>")),
        ("截图.png", make_png(b"\0" * 5000 + b"<SVG onload=alert(1)>")),  # beyond the first KB
        ("照片.jpg", make_jpeg(b"\0" * 5000 + b"<!DOCTYPE HTML><p>")),
        ("照片.jpg", make_jpeg(b"<?xml version='1.0'?><svg/>")),
        ("报告.pdf", make_pdf(b"<html><body>")),
        (
            "台账.xlsx",
            make_zip(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "a.html": b"<html><script>x</script></html>",
                    "xl/workbook.xml": b"<workbook/>",
                },
                compression=zipfile.ZIP_STORED,
            ),
        ),
    ],
)
def test_polyglots_with_markup_are_refused(name, content):
    with pytest.raises(UploadRejected, match="网页或脚本"):
        ev.check_evidence(upload_of(name, content), max_mb=20)


def test_pdf_markup_is_looked_for_in_the_whole_file_but_xml_metadata_is_fine():
    # Markup past the first kilobyte is refused too (tests/evaluations/
    # test_evidence_active_content.py has more); XMP metadata is XML by design.
    content = make_pdf(b"%" + b" " * 2000 + b"\n% <script> in a comment\n")
    with pytest.raises(UploadRejected, match="网页或脚本"):
        ev.check_evidence(upload_of("报告.pdf", content), max_mb=20)
    xmp = make_pdf(b"<?xml version='1.0'?>")
    assert ev.check_evidence(upload_of("报告.pdf", xmp), max_mb=20).kind == "pdf"


def test_office_file_with_an_html_part_is_accepted_when_its_structure_is_valid():
    content = make_xlsx({"xl/extra/page.html": b"<html><script>alert(1)</script></html>"})
    assert ev.check_evidence(upload_of("台账.xlsx", content), max_mb=20).kind == "xlsx"
    # ...and the same for a Word file with an SVG icon.
    docx = make_docx(**{"word/media/image1.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>"})
    assert ev.check_evidence(upload_of("总结.docx", docx), max_mb=20).kind == "docx"


def test_office_files_with_macros_are_refused():
    content = make_docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})
    with pytest.raises(UploadRejected, match="宏代码"):
        ev.check_evidence(upload_of("总结.docx", content), max_mb=20)


def test_file_names_are_cleaned():
    assert ev.clean_name("C:\\Users\\甲\\自评\x00报告.pdf") == "自评报告.pdf"
    assert ev.clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    long = "长" * 300 + ".pdf"
    cleaned = ev.clean_name(long)
    assert len(cleaned) == 255 and cleaned.endswith(".pdf")


# --- storage ------------------------------------------------------------------------------


def test_store_uses_a_server_generated_name_with_0640(media):
    name = ev.store(make_pdf(), 7, "pdf")
    prefix, unit, filename = name.split("/")
    assert prefix == "evidence" and unit == "7"
    stem, ext = filename.split(".")
    assert ext == "pdf" and len(stem) == 32 and int(stem, 16) >= 0
    path = media / name
    assert path.read_bytes() == make_pdf()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert ev.path_of(name) == path.resolve()
    with pytest.raises(ValueError):
        ev.path_of("../settings.py")


# --- services -----------------------------------------------------------------------------


def test_upload_stores_the_file_under_a_generated_name_and_audits(world, media):
    actor = world.actor(world.admin_a)
    evidence, created = ev.evidence_upload(
        unit=world.unit_a, upload=upload_of("../自评 报告.pdf", make_pdf()), actor=actor, max_mb=20
    )
    assert created
    assert evidence.original_name == "自评 报告.pdf"
    assert evidence.kind == "pdf" and evidence.uploaded_by == world.admin_a
    assert evidence.stored_name.startswith(f"evidence/{world.unit_a.pk}/")
    assert "自评" not in evidence.stored_name
    files = stored_files(media)
    assert [p.relative_to(media).as_posix() for p in files] == [evidence.stored_name]
    entry = AuditEntry.objects.get(action="evidence.upload")
    assert entry.object_id == str(evidence.pk)
    assert entry.data["after"]["sha256"] == evidence.sha256


def test_same_file_uploaded_twice_is_one_row_and_one_file(world, media):
    actor = world.actor(world.admin_a)
    first, created = ev.evidence_upload(
        unit=world.unit_a, upload=upload_of("照片.png", make_png()), actor=actor
    )
    again, created_again = ev.evidence_upload(
        unit=world.unit_a, upload=upload_of("另一个名字.png", make_png()), actor=actor
    )
    assert created and not created_again
    assert again.pk == first.pk and again.original_name == "照片.png"
    assert Evidence.objects.count() == 1
    assert len(stored_files(media)) == 1
    assert AuditEntry.objects.filter(action="evidence.upload.duplicate").count() == 1
    # Another unit uploading the same bytes gets its own copy: units never share files.
    other, created_b = ev.evidence_upload(
        unit=world.unit_b,
        upload=upload_of("照片.png", make_png()),
        actor=world.actor(world.admin_b),
    )
    assert created_b and other.pk != first.pk
    assert len(stored_files(media)) == 2


def test_only_the_units_admin_uploads(world):
    for user in (world.leader_a, world.admin_b, world.committee_admin):
        with pytest.raises(PermissionDenied):
            ev.evidence_upload(
                unit=world.unit_a, upload=upload_of("a.pdf", make_pdf()), actor=world.actor(user)
            )
    assert not Evidence.objects.exists()


def test_failed_transaction_leaves_no_file(world, media, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(ev, "audit_record", broken)
    with pytest.raises(RuntimeError):
        ev.evidence_upload(
            unit=world.unit_a,
            upload=upload_of("a.pdf", make_pdf()),
            actor=world.actor(world.admin_a),
        )
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_concurrent_identical_upload_keeps_one_row_and_no_extra_file(world, media, monkeypatch):
    """Another request stores the same content between our duplicate check and our insert: the
    unique constraint refuses our row, our file is removed and the other row is returned."""
    actor = world.actor(world.admin_a)
    real_store = ev.store
    rival = {}

    def store_racing(content, unit_id, kind):
        name = real_store(content, unit_id, kind)
        rival["row"] = Evidence.objects.create(
            unit_id=unit_id,
            sha256=hashlib.sha256(content).hexdigest(),
            original_name="并发上传.pdf",
            stored_name=real_store(content, unit_id, kind),
            kind=kind,
            size=len(content),
            uploaded_by=world.admin_a,
        )
        return name

    monkeypatch.setattr(ev, "store", store_racing)
    evidence, created = ev.evidence_upload(
        unit=world.unit_a, upload=upload_of("自评报告.pdf", make_pdf()), actor=actor
    )
    assert not created and evidence.pk == rival["row"].pk
    assert Evidence.objects.count() == 1
    files = stored_files(media)
    assert [p.relative_to(media).as_posix() for p in files] == [rival["row"].stored_name]
    assert AuditEntry.objects.filter(action="evidence.upload.duplicate").count() == 1


def test_rejected_upload_writes_nothing(world, media):
    with pytest.raises(UploadRejected):
        ev.evidence_upload(
            unit=world.unit_a,
            upload=upload_of("a.pdf", make_png()),
            actor=world.actor(world.admin_a),
        )
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def _upload(world, user, name="自评报告.pdf", content=None):
    unit = world.unit_a if user == world.admin_a else world.unit_b
    evidence, _created = ev.evidence_upload(
        unit=unit, upload=upload_of(name, content or make_pdf()), actor=world.actor(user)
    )
    return evidence


def test_one_file_linked_to_three_indicators_is_stored_once(world, media):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    for code in ("1.1.1", "1.1.2", "2.1.1"):
        ev.evidence_link(
            evidence=evidence, enrollment=world.enrollment_a, node=world.node(code), actor=actor
        )
    assert EvidenceLink.objects.filter(evidence=evidence).count() == 3
    assert Evidence.objects.count() == 1
    assert len(stored_files(media)) == 1
    assert AuditEntry.objects.filter(action="evidence.link").count() == 3
    # Linking again is idempotent.
    ev.evidence_link(
        evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.1"), actor=actor
    )
    assert EvidenceLink.objects.filter(evidence=evidence).count() == 3


def test_cap_per_indicator_is_enforced(world):
    world.campaign.evidence_cap_per_indicator = 2
    world.campaign.save()
    actor = world.actor(world.admin_a)
    node = world.node("1.1.1")
    files = [
        _upload(world, world.admin_a, f"材料{i}.pdf", make_pdf(b"%%%d\n" % i)) for i in range(3)
    ]
    for evidence in files[:2]:
        ev.evidence_link(evidence=evidence, enrollment=world.enrollment_a, node=node, actor=actor)
    with pytest.raises(ValidationError, match="最多可关联 2 份"):
        ev.evidence_link(evidence=files[2], enrollment=world.enrollment_a, node=node, actor=actor)
    # The cap is per indicator: another leaf still takes the third file.
    ev.evidence_link(
        evidence=files[2], enrollment=world.enrollment_a, node=world.node("1.1.2"), actor=actor
    )


def test_link_refused_outside_the_pinned_version_and_for_non_leaves(world):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    other_version_leaf = (
        IndicatorNode.objects.exclude(version=world.version).filter(children__isnull=True).first()
    )
    with pytest.raises(ValidationError, match="不属于本次创建活动"):
        ev.evidence_link(
            evidence=evidence, enrollment=world.enrollment_a, node=other_version_leaf, actor=actor
        )
    for code in ("1", "1.1"):
        with pytest.raises(ValidationError, match="末级指标"):
            ev.evidence_link(
                evidence=evidence, enrollment=world.enrollment_a, node=world.node(code), actor=actor
            )
    assert not EvidenceLink.objects.exists()


def test_link_refused_for_another_units_evidence(world):
    evidence_b = _upload(world, world.admin_b)
    with pytest.raises(ValidationError, match="只能关联本单位"):
        ev.evidence_link(
            evidence=evidence_b,
            enrollment=world.enrollment_a,
            node=world.node("1.1.1"),
            actor=world.actor(world.admin_a),
        )
    # ...and B's admin cannot link into A's enrollment at all.
    with pytest.raises(PermissionDenied):
        ev.evidence_link(
            evidence=evidence_b,
            enrollment=world.enrollment_a,
            node=world.node("1.1.1"),
            actor=world.actor(world.admin_b),
        )
    assert not EvidenceLink.objects.exists()


@pytest.mark.parametrize("state", ["submitted", "reviewed", "approved"])
def test_link_and_unlink_refused_for_a_locked_enrollment(world, state):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    link = ev.evidence_link(
        evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.1"), actor=actor
    )
    world.enrollment_a.state = state
    world.enrollment_a.save()
    with pytest.raises(ValidationError, match="已锁定"):
        ev.evidence_link(
            evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.2"), actor=actor
        )
    with pytest.raises(ValidationError, match="已锁定"):
        ev.evidence_unlink(link=link, actor=actor)
    assert EvidenceLink.objects.count() == 1


def test_returned_enrollment_is_open_again(world):
    world.enrollment_a.state = EnrollmentState.RETURNED
    world.enrollment_a.save()
    evidence = _upload(world, world.admin_a)
    ev.evidence_link(
        evidence=evidence,
        enrollment=world.enrollment_a,
        node=world.node("1.1.1"),
        actor=world.actor(world.admin_a),
    )
    assert EvidenceLink.objects.count() == 1


def test_link_refused_for_a_file_above_the_campaigns_own_limit(world):
    evidence = _upload(world, world.admin_a)
    Evidence.objects.filter(pk=evidence.pk).update(size=30 * 1024 * 1024)
    evidence.refresh_from_db()
    with pytest.raises(ValidationError, match="大小上限（20 MB）"):
        ev.evidence_link(
            evidence=evidence,
            enrollment=world.enrollment_a,
            node=world.node("1.1.1"),
            actor=world.actor(world.admin_a),
        )


def test_unlink_then_delete_removes_the_file_on_commit(
    world, media, django_capture_on_commit_callbacks
):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    link = ev.evidence_link(
        evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.1"), actor=actor
    )
    with pytest.raises(ValidationError, match="仍关联"):
        ev.evidence_delete(evidence=evidence, actor=actor)
    ev.evidence_unlink(link=link, actor=actor)
    assert AuditEntry.objects.filter(action="evidence.unlink", object_id=str(link.pk)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        ev.evidence_delete(evidence=evidence, actor=actor)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []
    entry = AuditEntry.objects.get(action="evidence.delete")
    assert entry.data["before"]["sha256"] == evidence.sha256


def test_plan_file_cannot_be_deleted(world):
    evidence = _upload(world, world.admin_a)
    world.enrollment_a.plan = evidence
    world.enrollment_a.save()
    with pytest.raises(ValidationError, match="实施方案"):
        ev.evidence_delete(evidence=evidence, actor=world.actor(world.admin_a))


def test_evidence_of_a_problem_item_or_a_progress_report_cannot_be_deleted(world):
    """A file that proves a rectification or a ledger report stays while those records do."""
    from datetime import date

    from mofan.rectification.models import ProblemItem
    from mofan.supervision.models import LedgerItem, ProgressReport

    actor = world.actor(world.admin_a)
    unit = world.enrollment_a.unit
    evidence = _upload(world, world.admin_a)
    item = ProblemItem.objects.create(
        committee_id=unit.committee_id,
        unit=unit,
        source="self_check",
        description="自查问题",
        deadline=date(2026, 12, 31),
    )
    item.evidence.add(evidence)
    with pytest.raises(ValidationError, match="问题整改"):
        ev.evidence_delete(evidence=evidence, actor=actor)
    item.evidence.clear()
    ledger_item = LedgerItem.objects.create(
        committee_id=unit.committee_id,
        unit=unit,
        task="督办任务",
        leader_in_charge="王副局长",
        deadline=date(2026, 12, 31),
        created_by=world.admin_a,
    )
    report = ProgressReport.objects.create(item=ledger_item, text="进展", reported_by=world.admin_a)
    report.evidence.add(evidence)
    with pytest.raises(ValidationError, match="进展报告"):
        ev.evidence_delete(evidence=evidence, actor=actor)
    assert Evidence.objects.filter(pk=evidence.pk).exists()
