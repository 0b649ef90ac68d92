"""Shared by the issuing tests: the documents' world (`doc_fixtures.build_doc_world`: unit A has
a problem list, the campaign cites 焦直文〔2024〕140号), issued files under a temporary
directory, and small helpers."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from mofan.accounts.models import User
from mofan.reports import issuing
from mofan.reports.models import DocumentDraft, IssuedDocument
from tests.reports.doc_fixtures import DocWorld, build_doc_world

ISSUE_DAY = datetime.date(2026, 5, 25)


@pytest.fixture
def issued_dir(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MOFAN_EXPORT_DIR = str(tmp_path / "exports")
    return tmp_path / "media" / "issued"


@pytest.fixture
def world(db, issued_dir) -> DocWorld:
    return build_doc_world()


def notice_draft(world: DocWorld, who: str = "committee_admin") -> DocumentDraft:
    """A draft of unit A's rectification notice."""
    return issuing.draft_create(
        identifier="rectification_notice",
        campaign=world.campaign,
        unit=world.unit("A"),
        actor=world.actor(who),
    )


def editable(draft: DocumentDraft) -> list[int]:
    return [i for i, b in enumerate(draft.content["blocks"]) if b["kind"] in issuing.EDITABLE]


def first_paragraph(draft: DocumentDraft) -> int:
    return next(i for i, b in enumerate(draft.content["blocks"]) if b["kind"] == "paragraph")


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def issuing_objects(
    committee: Any, campaign: Any, unit: Any, user: User
) -> tuple[DocumentDraft, IssuedDocument]:
    """A draft of unit A's rectification notice and an issued version of it (its files are
    not on disk: the download says so)."""
    content = {
        "title": "整改通知书",
        "addressee": "甲单位",
        "blocks": [
            {"kind": "heading", "text": "整改要求", "level": 1},
            {"kind": "paragraph", "text": "请按期整改。"},
            {"kind": "table", "index": 0, "caption": ""},
        ],
    }
    common = {"committee": committee, "campaign": campaign, "unit": unit}
    common.update(document="rectification_notice", title="整改通知书", content=content)
    draft = DocumentDraft.objects.create(created_by=user, **common)
    issued = IssuedDocument.objects.create(
        draft=draft,
        version=1,
        number="焦直文〔2026〕1号",
        year=2026,
        serial=1,
        issued_on=datetime.date(2026, 5, 25),
        docx_name="0" * 32 + ".docx",
        docx_sha256="0" * 64,
        pdf_name="1" * 32 + ".pdf",
        pdf_sha256="0" * 64,
        issued_by=user,
        **common,
    )
    return draft, issued
