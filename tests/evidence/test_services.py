"""The evidence store's services: storage under generated names, upload with de-duplication,
and deletion refused while the file is in use (the uses registered by the apps)."""

# The fixtures are imported from evidence_fixtures and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import stat

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.core.uploads import UploadRejected
from mofan.evaluations.evidence import evidence_link
from mofan.evidence import services as ev
from mofan.evidence import storage, usage
from mofan.evidence.models import Evidence
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

# --- storage ------------------------------------------------------------------------------


def test_store_uses_a_server_generated_name_with_0640(media):
    name = storage.store(make_pdf(), 7, "pdf")
    prefix, unit, filename = name.split("/")
    assert prefix == "evidence" and unit == "7"
    stem, ext = filename.split(".")
    assert ext == "pdf" and len(stem) == 32 and int(stem, 16) >= 0
    path = media / name
    assert path.read_bytes() == make_pdf()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert storage.path_of(name) == path.resolve()
    with pytest.raises(ValueError):
        storage.path_of("../settings.py")


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


def test_every_app_that_uses_files_is_registered_in_order():
    assert [use.label for use in usage.registered()] == [
        "evaluations.evidencelink.evidence",
        "campaigns.enrollment.plan",
        "rectification.problemitem.evidence",
        "supervision.progressreport.evidence",
        "activities.activityrecord.evidence",
        "appraisals.appraisal.evidence",
        "cases.case.evidence",
    ]


def test_in_use_names_what_uses_each_file_and_deletion_names_the_first(world):
    actor = world.actor(world.admin_a)
    used = _upload(world, world.admin_a)
    unused = _upload(world, world.admin_a, "另一份.pdf", make_pdf(b"%other\n"))
    evidence_link(
        evidence=used, enrollment=world.enrollment_a, node=world.node("1.1.1"), actor=actor
    )
    world.enrollment_a.plan = used
    world.enrollment_a.save()
    assert usage.in_use([used.pk, unused.pk]) == {
        used.pk: ["evaluations.evidencelink.evidence", "campaigns.enrollment.plan"]
    }
    with pytest.raises(ValidationError, match="仍关联着考评指标"):
        ev.evidence_delete(evidence=used, actor=actor)


def test_audit_entries_keep_the_object_type_they_always_had(world, media):
    evidence = _upload(world, world.admin_a)
    ev.evidence_upload(
        unit=world.unit_a,
        upload=upload_of("again.pdf", make_pdf()),
        actor=world.actor(world.admin_a),
    )
    ev.evidence_delete(evidence=evidence, actor=world.actor(world.admin_a))
    types = set(
        AuditEntry.objects.filter(action__startswith="evidence.").values_list(
            "object_type", flat=True
        )
    )
    assert types == {"evaluations.evidence"}
