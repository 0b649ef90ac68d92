"""The upper-level report package (issue 6, point 8): one zip of the work summary (docx), the
ranking (xlsx), the naming notice (docx) and the evidence index (xlsx), each the registered
export's own output; a missing, refused or failing part stops it with a Chinese message and no
partial zip.

The real parts are other helpers' work: stand-ins are registered under the four identifiers for
each test (restored afterwards), with stub renderers (tests/reports/jobs_fixtures.py)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mofan.core.exports import registry
from mofan.core.exports.base import Doc
from mofan.reports import jobs, jobs_files
from mofan.reports.models import ExportJob, JobState
from mofan.reports.package import UpperReport
from mofan.reports.render import render
from tests.reports.jobs_fixtures import (
    PARTS,
    EvidenceIndex,
    NamingNotice,
    export_dir,
    register,
    stub_renderers,
    unregister,
    world,
)
from tests.world import logged_in

__all__ = ["export_dir", "stub_renderers", "world"]

NAMES = ["1-工作总结.docx", "2-考评排名表.xlsx", "3-命名通报.docx", "4-佐证材料索引.xlsx"]


@pytest.fixture
def parts(monkeypatch, stub_renderers, export_dir):
    register(monkeypatch, *PARTS)


def submit(world, who="admin"):
    return jobs.job_submit(
        identifier="upper_report",
        fmt="zip",
        campaign=world.campaign,
        actor=world.actor(who),
        inline=True,
    )


def test_upper_report_is_registered_as_a_zip_export():
    cls = registry.get("upper_report")
    assert cls is UpperReport
    assert cls.formats == ("zip",)
    assert str(cls.label) == "上报材料包"


def test_the_package_holds_the_four_parts_each_the_registered_exports_output(world, parts):
    job = submit(world)
    assert job.state == JobState.DONE, job.error
    assert job.download_name == "2026年模范机关创建-上报材料包.zip"
    assert (job.done, job.total) == (400, 400)
    with zipfile.ZipFile(jobs_files.path_of(job.stored_name)) as archive:
        assert archive.namelist() == [*NAMES, "材料清单.csv"]
        assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
        members = {name: archive.read(name) for name in NAMES}
        listed = archive.read("材料清单.csv")
    actor = world.actor("admin")
    for name, cls, fmt in zip(NAMES, PARTS, ("docx", "xlsx", "docx", "xlsx"), strict=True):
        own = io.BytesIO()
        render(cls(campaign=world.campaign, actor=actor), fmt, own)
        assert members[name] == own.getvalue(), name
    assert members["3-命名通报.docx"].startswith(
        b"STUB docx naming_notice 2026\xe5\xb9\xb4"  # "2026年..."
    )
    assert members["4-佐证材料索引.xlsx"].decode().splitlines()[-1] == "3,第3行"
    # the manifest: each file with its size and SHA-256, as sha256sum would print them
    assert listed.startswith(b"\xef\xbb\xbf")
    lines = listed.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "序号,文件名,大小（字节）,SHA-256,说明"
    expected = [
        f"{n},{name},{len(members[name])},{hashlib.sha256(members[name]).hexdigest()},"
        for n, name in enumerate(NAMES, start=1)
    ]
    assert lines[1:] == [*expected, ""]


def test_a_table_without_rows_is_left_out_and_the_manifest_says_so(world, parts, monkeypatch):
    monkeypatch.setattr(EvidenceIndex, "size", 0)  # nothing uploaded
    job = submit(world)
    assert job.state == JobState.DONE, job.error
    with zipfile.ZipFile(jobs_files.path_of(job.stored_name)) as archive:
        assert archive.namelist() == [*NAMES[:3], "材料清单.csv"]
        lines = archive.read("材料清单.csv").decode("utf-8-sig").split("\r\n")
    assert lines[-2] == ",4-佐证材料索引.xlsx,,,无数据，未附"
    assert len(lines) == 1 + 3 + 1 + 1


def test_a_missing_part_is_a_clear_error_and_no_job(world, parts, monkeypatch):
    unregister(monkeypatch, "naming_notice")
    with pytest.raises(ValidationError) as caught:
        submit(world)
    assert caught.value.messages == ["上报材料包缺少「命名通报」：系统中没有这项报表，无法生成。"]
    assert not ExportJob.objects.exists()


def test_the_export_page_shows_why_the_package_is_not_available(world, parts, monkeypatch):
    unregister(monkeypatch, "evidence_index")
    client = logged_in(world.admin)
    page = client.get(reverse("reports:exports", kwargs={"pk": world.campaign.pk}))
    offer = page.content.decode().split('id="export-upper_report"')[1].split("</article>")[0]
    assert "上报材料包缺少「佐证材料索引」" in offer
    assert 'value="zip"' not in offer  # no button
    response = client.post(
        reverse("reports:exports", kwargs={"pk": world.campaign.pk}),
        {"exporter": "upper_report", "format": "zip"},
    )
    assert response.status_code == 302
    assert not ExportJob.objects.exists()


def test_a_part_the_actor_may_not_see_stops_the_package(world, parts, monkeypatch):
    class SecretNotice(NamingNotice):
        def check(self) -> None:
            raise PermissionDenied

    register(monkeypatch, SecretNotice)
    with pytest.raises(PermissionDenied, match="无权查看「命名通报」"):
        submit(world)
    page = logged_in(world.admin).get(reverse("reports:exports", kwargs={"pk": world.campaign.pk}))
    assert 'id="export-upper_report"' not in page.content.decode()
    assert not ExportJob.objects.exists()


def test_a_part_not_ready_yet_names_the_part(world, parts, monkeypatch):
    class EarlyNotice(NamingNotice):
        def check(self) -> None:
            raise ValidationError("结果尚未公布。")

    register(monkeypatch, EarlyNotice)
    with pytest.raises(ValidationError) as caught:
        submit(world)
    assert caught.value.messages == ["上报材料包暂不能生成：「命名通报」结果尚未公布。"]


def test_only_the_committee_staff_produce_the_package(world, parts):
    for who in ("unit_admin", "outsider", "other_admin"):
        with pytest.raises(PermissionDenied):
            submit(world, who=who)
    assert submit(world, who="leader").state == JobState.DONE


def test_a_part_failing_while_rendering_leaves_no_partial_zip(
    world, parts, monkeypatch, export_dir
):
    class BrokenNotice(NamingNotice):
        def build(self) -> Doc:
            raise RuntimeError("template missing")

    register(monkeypatch, BrokenNotice)
    job = submit(world)
    assert job.state == JobState.FAILED
    assert job.error == "生成「3-命名通报.docx」时出错，上报材料包未生成。"
    assert list(Path(export_dir).iterdir()) == []
    # Rendered straight into a stream (the command line), nothing is written either.
    stream = io.BytesIO()
    with pytest.raises(ValidationError):
        render(UpperReport(campaign=world.campaign, actor=world.actor("admin")), "zip", stream)
    assert stream.getvalue() == b""
