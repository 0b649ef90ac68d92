"""Files under MEDIA_ROOT: written whole or not at all (a full or read-only disk gives a Chinese
error and leaves nothing), and the orphan sweep (files no row names, older than N hours)."""

# The fixtures are imported from their modules and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import io
import os
import stat
import time

import pytest
from django.core.management import call_command

from mofan.audit.models import AuditEntry
from mofan.core import files
from mofan.core.files import StorageUnavailable, write_atomically
from mofan.evidence.services import evidence_upload
from tests.core.disks import read_only_disk, tiny_disk, unwritable_media  # noqa: F401
from tests.evaluations.evidence_fixtures import (  # noqa: F401 (fixtures)
    make_pdf,
    media,
    stored_files,
    upload_of,
    world,
)

# --- writing -----------------------------------------------------------------------------------


def test_a_file_is_written_whole_with_its_mode_and_no_temporary_name_left(tmp_path):
    target = tmp_path / "a" / "b" / "file.pdf"
    write_atomically(target, b"%PDF-1.7 content", mode=0o640)
    assert target.read_bytes() == b"%PDF-1.7 content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["file.pdf"]


def test_a_full_disk_leaves_no_partial_file_and_says_so_in_chinese(tiny_disk):
    target = tiny_disk / "evidence" / "big.pdf"
    with pytest.raises(StorageUnavailable) as raised:
        write_atomically(target, b"x" * (256 * 1024))
    assert "存储空间已满" in str(raised.value)
    assert not target.exists()
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []
    # what fits is still written
    write_atomically(tiny_disk / "small.pdf", b"ok")
    assert (tiny_disk / "small.pdf").read_bytes() == b"ok"


def test_a_read_only_disk_says_so_in_chinese(read_only_disk):
    with pytest.raises(StorageUnavailable) as raised:
        write_atomically(read_only_disk / "evidence" / "a.pdf", b"x")
    assert "不可写" in str(raised.value)


def test_a_directory_that_cannot_exist_says_so_in_chinese(unwritable_media):
    with pytest.raises(StorageUnavailable) as raised:
        write_atomically(unwritable_media / "evidence" / "a.pdf", b"x")
    assert "不可写" in str(raised.value)


def test_another_os_error_is_not_disguised(tmp_path):
    (tmp_path / "dir.pdf").mkdir()  # replacing a directory by a file: EISDIR, a bug not a disk
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "dir.pdf", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["dir.pdf"]


# --- the orphan sweep ----------------------------------------------------------------------------


def _age(path, hours):
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


def test_the_sweep_lists_old_unreferenced_files_and_deletes_them_with_an_audit_entry(world, media):
    kept, _created = evidence_upload(
        unit=world.unit_a,
        upload=upload_of("自评报告.pdf", make_pdf()),
        actor=world.actor(world.admin_a),
    )
    kept_path = media / kept.stored_name
    _age(kept_path, 48)
    unit_dir = kept_path.parent
    orphan = unit_dir / "0123456789abcdef0123456789abcdef.pdf"
    orphan.write_bytes(b"left by a killed worker")
    _age(orphan, 48)
    leftover = unit_dir / ".0123.pdf.abc.part"
    leftover.write_bytes(b"half")
    _age(leftover, 48)
    young = unit_dir / "fedcba9876543210fedcba9876543210.pdf"
    young.write_bytes(b"its transaction may still commit")
    outside = media / "elsewhere.txt"  # no app owns it: never touched
    outside.write_bytes(b"x")
    _age(outside, 48)

    expected = sorted(p.relative_to(media).as_posix() for p in (orphan, leftover))
    assert sorted(files.orphans()) == expected
    # the command is a dry run by default
    out = io.StringIO()
    call_command("media_sweep", stdout=out)
    assert "2 orphaned file(s) would delete" in out.getvalue()
    assert orphan.exists() and leftover.exists()
    assert not AuditEntry.objects.filter(action="media.orphans.delete").exists()

    out = io.StringIO()
    call_command("media_sweep", "--delete", stdout=out)
    assert "2 orphaned file(s) deleted" in out.getvalue()
    assert not orphan.exists() and not leftover.exists()
    assert kept_path.exists() and young.exists() and outside.exists()
    entry = AuditEntry.objects.get(action="media.orphans.delete")
    assert entry.data["extra"]["count"] == 2
    assert sorted(entry.data["extra"]["files"]) == expected
    # a younger limit takes the young one too, never the referenced file
    assert files.orphans(older_than_hours=0, now=time.time() + 1) == [
        young.relative_to(media).as_posix()
    ]


def test_the_sweep_with_nothing_to_do_writes_no_audit_entry(world, media):
    assert files.orphans_delete() == []
    assert not AuditEntry.objects.filter(action="media.orphans.delete").exists()
