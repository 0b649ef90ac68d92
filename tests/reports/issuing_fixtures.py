"""Shared by the issuing tests: the documents' world (`doc_fixtures.build_doc_world`: unit A has
a problem list, the campaign cites 焦直文〔2024〕140号), issued files under a temporary
directory, and small helpers."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from mofan.reports import issuing
from mofan.reports.models import DocumentDraft
from tests.reports.doc_fixtures import DocWorld, build_doc_world

ISSUE_DAY = datetime.date(2026, 5, 25)


@pytest.fixture
def issued_dir(settings, tmp_path) -> Path:
    settings.MOFAN_EXPORT_DIR = str(tmp_path / "exports")
    return tmp_path / "exports" / "issued"


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
