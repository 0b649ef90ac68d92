"""Issuing onto a full or unwritable disk: a Chinese ValidationError, no number taken, no row,
no file; and a failed issue after the files were written removes them."""

# The fixtures are imported from their modules and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mofan.reports import issuing
from mofan.reports.models import DocumentSerial, IssuedDocument
from tests.core.disks import read_only_disk, unwritable_media  # noqa: F401
from tests.reports.issuing_fixtures import (  # noqa: F401 (fixtures)
    ISSUE_DAY,
    issued_dir,
    notice_draft,
    world,
)


def _issue(world, draft):
    return issuing.document_issue(
        draft=draft, date=ISSUE_DAY, version=draft.version, actor=world.actor("committee_admin")
    )


def test_issuing_onto_a_read_only_disk_is_refused_in_chinese_and_takes_no_number(
    world, settings, read_only_disk
):
    draft = notice_draft(world)
    settings.MEDIA_ROOT = str(read_only_disk)
    with pytest.raises(ValidationError) as raised:
        _issue(world, draft)
    assert any("不可写" in m for m in raised.value.messages)
    assert not IssuedDocument.objects.exists()
    assert not DocumentSerial.objects.filter(last__gt=0).exists()


def test_issuing_into_a_media_directory_that_cannot_exist_is_refused(
    world, settings, unwritable_media
):
    draft = notice_draft(world)
    settings.MEDIA_ROOT = str(unwritable_media)
    with pytest.raises(ValidationError):
        _issue(world, draft)
    assert not IssuedDocument.objects.exists()


def test_a_failure_after_the_files_were_written_removes_them(world, issued_dir, monkeypatch):
    draft = notice_draft(world)

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(issuing, "audit_record", broken)
    with pytest.raises(RuntimeError):
        _issue(world, draft)
    assert not IssuedDocument.objects.exists()
    assert [p for p in issued_dir.rglob("*") if p.is_file()] == []
