"""Drafting, editing and issuing official documents (issue 18 point 1): the draft keeps the
texts to edit and the tables bound to the data; an edit on a stale version is refused; a draft
with a placeholder or an empty paragraph is not issued and takes no number; issuing freezes the
document with the next number of the year, stores the docx and the PDF with their hashes and
audits it; re-issuing makes a new version with a new number and leaves the old one as it was."""

# ruff: noqa: F811
from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from mofan.audit.models import AuditEntry
from mofan.core.concurrency import StaleWrite
from mofan.reports import issuing
from mofan.reports.models import DocumentRegister, DocumentSerial, IssuedDocument
from tests.reports.doc_fixtures import open_docx, pdf_pages_text
from tests.reports.issuing_fixtures import (
    ISSUE_DAY,
    editable,
    files_in,
    first_paragraph,
    issued_dir,  # noqa: F401 (a fixture)
    notice_draft,
    world,  # noqa: F401 (a fixture)
)

# --- pure rules ----------------------------------------------------------------------------------


def _content(*texts: str) -> dict:
    return {"title": "标题", "blocks": [{"kind": "paragraph", "text": t} for t in texts]}


@given(st.text(max_size=30), st.text(max_size=30))
def test_a_placeholder_anywhere_is_refused(before, after):
    assert issuing.draft_problems(_content("正文", before + "（请填写日期）" + after))


@given(st.text(min_size=1, max_size=60).filter(lambda t: t.strip() and "请" not in t))
def test_text_without_a_placeholder_passes(text):
    assert issuing.draft_problems(_content(text)) == []


def test_empty_paragraphs_and_titles_are_named():
    problems = issuing.draft_problems({"title": " ", "blocks": [{"kind": "paragraph", "text": ""}]})
    assert problems == ["标题不能为空。", "第1段是空的：请填写或删去其中的内容后再印发。"]
    bound = {"title": "t", "blocks": [{"kind": "table", "index": 0, "caption": ""}]}
    assert issuing.draft_problems(bound) == []


# --- drafts ------------------------------------------------------------------------------------


def test_a_draft_keeps_the_texts_and_binds_the_tables(world):
    draft = notice_draft(world)
    blocks = draft.content["blocks"]
    tables = [b for b in blocks if b["kind"] == "table"]
    assert tables and all(set(b) == {"kind", "index", "caption"} for b in tables)
    assert draft.title.endswith("问题整改通知书") and draft.unit == world.unit("A")
    assert draft.content["addressee"]
    entry = AuditEntry.objects.get(action="report.draft.create", object_id=str(draft.pk))
    assert entry.actor_id == world.world.user("committee_admin").pk


def test_only_the_committees_staff_draft(world):
    for name in ("owner", "outsider", "assigned", "other_admin", "auditor"):
        with pytest.raises(PermissionDenied):
            notice_draft(world, name)
    with pytest.raises(ValidationError):  # unit D has nothing to rectify: the check says
        issuing.draft_create(
            identifier="rectification_notice",
            campaign=world.campaign,
            unit=world.unit("D"),
            actor=world.actor("committee_admin"),
        )


def test_an_edit_on_a_stale_version_is_refused(world):
    draft = notice_draft(world)
    i = first_paragraph(draft)
    admin, leader = world.actor("committee_admin"), world.actor("committee_leader")
    saved = issuing.draft_update(
        draft=draft, title=draft.title, texts={i: "管理员的修改"}, version=1, actor=admin
    )
    assert saved.version == 2
    with pytest.raises(StaleWrite) as caught:
        issuing.draft_update(
            draft=draft, title=draft.title, texts={i: "领导的修改"}, version=1, actor=leader
        )
    assert caught.value.current.content["blocks"][i]["text"] == "管理员的修改"
    draft.refresh_from_db()
    assert draft.content["blocks"][i]["text"] == "管理员的修改" and draft.version == 2
    table = next(n for n, b in enumerate(draft.content["blocks"]) if b["kind"] == "table")
    with pytest.raises(ValidationError):  # tables are bound to the data
        issuing.draft_update(
            draft=draft, title=draft.title, texts={table: "改表"}, version=2, actor=admin
        )
    assert AuditEntry.objects.filter(action="report.draft.update").count() == 1


# --- issuing -----------------------------------------------------------------------------------


def test_a_placeholder_stops_the_issue_and_takes_no_number(
    world, issued_dir, django_capture_on_commit_callbacks
):
    draft = notice_draft(world)
    admin = world.actor("committee_admin")
    draft = issuing.draft_update(
        draft=draft,
        title=draft.title,
        texts={first_paragraph(draft): "请于（请填写日期）前报送。", editable(draft)[-1]: ""},
        version=1,
        actor=admin,
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as e:
        issuing.document_issue(draft=draft, date=ISSUE_DAY, version=draft.version, actor=admin)
    assert any("占位" in m for m in e.value.messages)
    assert any("是空的" in m for m in e.value.messages)
    assert not IssuedDocument.objects.exists()
    assert not DocumentSerial.objects.filter(last__gt=0).exists()
    assert files_in(issued_dir) == []


def _issue(world, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return issuing.document_issue(
            draft=draft, date=ISSUE_DAY, version=draft.version, actor=world.actor("committee_admin")
        )


def test_issuing_freezes_numbers_stores_and_audits(
    world, issued_dir, django_capture_on_commit_callbacks
):
    draft = notice_draft(world)
    i = first_paragraph(draft)
    draft = issuing.draft_update(
        draft=draft,
        title=draft.title,
        texts={i: "经研究，现将整改要求通知如下（修改稿）。"},
        version=1,
        actor=world.actor("committee_admin"),
    )
    issued = _issue(world, draft, django_capture_on_commit_callbacks)
    assert (issued.number, issued.serial, issued.version) == ("焦直文〔2026〕1号", 1, 1)
    assert issued.issued_on == ISSUE_DAY and issued.unit == world.unit("A")
    assert DocumentRegister.objects.get(committee=world.world.committee).prefix == "焦直文"
    docx = (issued_dir / issued.docx_name).read_bytes()
    pdf = (issued_dir / issued.pdf_name).read_bytes()
    assert hashlib.sha256(docx).hexdigest() == issued.docx_sha256 and issued.docx_size == len(docx)
    assert hashlib.sha256(pdf).hexdigest() == issued.pdf_sha256
    assert files_in(issued_dir) == sorted([issued.docx_name, issued.pdf_name])  # no temp left
    text = "\n".join(p.text for p in open_docx(docx).paragraphs)
    assert "焦直文〔2026〕1号" in text and "（修改稿）" in text and "2026年5月25日" in text
    assert "焦直文〔2026〕1号" in "".join(pdf_pages_text(pdf)).replace("\r\n", "")
    frozen = issued.content
    assert frozen["number"] == "焦直文〔2026〕1号" and frozen["date"] == "2026-05-25"
    table = next(b for b in frozen["blocks"] if b["kind"] == "table")
    assert table["rows"] and all(isinstance(c, str) for c in table["rows"][0])
    entry = AuditEntry.objects.get(action="report.document.issue")
    extra = entry.data["extra"]
    assert extra["number"] == issued.number and extra["pdf_sha256"] == issued.pdf_sha256
    assert issuing.issued_file(issued, "pdf") == pdf
    assert oct(issued_dir.joinpath(issued.pdf_name).stat().st_mode & 0o777) == "0o640"


def test_reissuing_makes_a_new_version_with_a_new_number(
    world, issued_dir, django_capture_on_commit_callbacks
):
    draft = notice_draft(world)
    first = _issue(world, draft, django_capture_on_commit_callbacks)
    before = (issued_dir / first.docx_name).read_bytes()
    draft = issuing.draft_update(
        draft=draft,
        title=draft.title,
        texts={first_paragraph(draft): "更正后的正文。"},
        version=draft.version,
        actor=world.actor("committee_admin"),
    )
    second = _issue(world, draft, django_capture_on_commit_callbacks)
    assert (second.version, second.number) == (2, "焦直文〔2026〕2号")
    assert second.docx_name != first.docx_name
    first_again = IssuedDocument.objects.get(pk=first.pk)
    assert (first_again.number, first_again.docx_sha256) == (first.number, first.docx_sha256)
    assert (issued_dir / first.docx_name).read_bytes() == before
    assert "更正后的正文。" not in str(first_again.content)
    first_again.number = "焦直文〔2026〕9号"
    with pytest.raises(ValueError):  # an issued version is never changed
        first_again.save()
    assert AuditEntry.objects.filter(action="report.document.issue").count() == 2


def test_a_failed_issue_gives_its_number_back(
    world, issued_dir, django_capture_on_commit_callbacks, monkeypatch
):
    draft = notice_draft(world)

    def broken(doc):
        raise RuntimeError("renderer down")

    with monkeypatch.context() as patched:
        patched.setattr(issuing, "_rendered", broken)
        with pytest.raises(RuntimeError):
            _issue(world, draft, django_capture_on_commit_callbacks)
    assert not DocumentSerial.objects.filter(last__gt=0).exists()
    assert _issue(world, draft, django_capture_on_commit_callbacks).serial == 1  # no gap


def test_a_stale_issue_is_refused(world, django_capture_on_commit_callbacks):
    draft = notice_draft(world)
    admin = world.actor("committee_admin")
    issuing.draft_update(draft=draft, title="改过的标题", texts={}, version=1, actor=admin)
    with pytest.raises(StaleWrite):
        issuing.document_issue(draft=draft, date=ISSUE_DAY, version=1, actor=admin)
    assert not IssuedDocument.objects.exists()


def test_an_altered_file_is_not_served(world, issued_dir, django_capture_on_commit_callbacks):
    issued = _issue(world, notice_draft(world), django_capture_on_commit_callbacks)
    (issued_dir / issued.pdf_name).write_bytes(b"%PDF-forged")
    with pytest.raises(LookupError):
        issuing.issued_file(issued, "pdf")


# --- the register --------------------------------------------------------------------------


def test_serials_run_per_year_without_gaps(world):
    committee = world.world.committee
    with transaction.atomic():
        got = [issuing.number_next(committee=committee, year=2026) for _ in range(3)]
        got.append(issuing.number_next(committee=committee, year=2027))
    assert got == [
        ("焦直文〔2026〕1号", 1),
        ("焦直文〔2026〕2号", 2),
        ("焦直文〔2026〕3号", 3),
        ("焦直文〔2027〕1号", 1),
    ]


def test_a_committee_without_a_prefix_is_asked_for_one(world):
    from mofan.campaigns.models import Campaign

    committee = world.world.committee
    Campaign.objects.filter(committee=committee).update(document_number="")
    with transaction.atomic(), pytest.raises(ValidationError) as caught:
        issuing.number_next(committee=committee, year=2026)
    assert "机关代字" in caught.value.messages[0]
    admin = world.actor("committee_admin")
    with pytest.raises(ValidationError):
        issuing.register_update(committee=committee, prefix="焦直文〔", actor=admin)
    with pytest.raises(PermissionDenied):
        issuing.register_update(committee=committee, prefix="焦直", actor=world.actor("owner"))
    issuing.register_update(committee=committee, prefix="焦直", actor=admin)
    with transaction.atomic():
        assert issuing.number_next(committee=committee, year=2026)[0] == "焦直〔2026〕1号"
    assert AuditEntry.objects.filter(action="report.register.update").count() == 1


def test_the_work_summary_offered_as_docx_is_issued_as_docx_and_pdf(
    world, issued_dir, django_capture_on_commit_callbacks
):
    admin = world.actor("committee_admin")
    draft = issuing.draft_create(
        identifier="work_summary", campaign=world.campaign, unit=None, actor=admin
    )
    issued = _issue(world, draft, django_capture_on_commit_callbacks)
    assert (issued_dir / issued.pdf_name).read_bytes().startswith(b"%PDF")
    assert (issued_dir / issued.docx_name).read_bytes().startswith(b"PK")


def test_only_official_documents_with_the_right_unit_are_drafted(world):
    admin = world.actor("committee_admin")
    for identifier, unit in (
        ("rectification_notice", None),  # a per-unit document needs its unit
        ("results_bulletin", world.unit("A")),
        ("ranking", None),  # a table, not an official document
        ("no_such_document", None),
    ):
        with pytest.raises(LookupError):
            issuing.draft_create(
                identifier=identifier, campaign=world.campaign, unit=unit, actor=admin
            )
