"""An upload onto a full or read-only disk: a clear Chinese error on the form, no row, no
partial file, the rest of the platform working, and /readyz saying the media is not writable."""

# The fixtures are imported from their modules and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import json

from django.test import Client

from mofan.audit.models import AuditEntry
from mofan.evidence.models import Evidence
from tests.core.disks import read_only_disk, tiny_disk, unwritable_media  # noqa: F401
from tests.evaluations.evidence_fixtures import (  # noqa: F401 (fixtures)
    make_pdf,
    media,
    stored_files,
    upload_of,
    world,
)
from tests.world import logged_in


def _upload_refused(world, content: bytes, message: str) -> None:
    client = logged_in(world.admin_a)
    response = client.post(
        "/evidence/upload/", {"unit": world.unit_a.pk, "file": upload_of("自评报告.pdf", content)}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "文件未保存" in page
    assert not Evidence.objects.exists()
    assert not AuditEntry.objects.filter(action="evidence.upload").exists()
    # the rest works: the library and the home page answer
    assert client.get(f"/evidence/?unit={world.unit_a.pk}").status_code == 200
    assert client.get("/").status_code == 200


def test_an_upload_onto_a_full_disk_is_refused_whole(world, settings, tiny_disk):
    settings.MEDIA_ROOT = str(tiny_disk)
    # a PDF larger than the disk (64 KiB)
    _upload_refused(world, make_pdf() + b"%" * (200 * 1024) + b"\n%%EOF\n", "存储空间已满")
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []


def test_an_upload_onto_a_read_only_disk_is_refused_and_readyz_says_so(
    world, settings, read_only_disk
):
    settings.MEDIA_ROOT = str(read_only_disk)
    _upload_refused(world, make_pdf(), "存储暂时不可写")
    ready = Client().get("/readyz")
    assert ready.status_code == 503
    assert json.loads(ready.content)["checks"]["media"] == "not writable (EROFS)"


def test_an_upload_into_a_media_directory_that_cannot_exist_is_refused(
    world, settings, unwritable_media
):
    settings.MEDIA_ROOT = str(unwritable_media)
    _upload_refused(world, make_pdf(), "存储暂时不可写")
