"""The export page, the job page with its progress partial, downloads and 我的导出 (issue 6,
point 6): who sees what (three personas: the owner, a colleague of the same committee or unit,
an outsider), the audit of starts and downloads, expiry on access, query counts."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.audit.models import AuditEntry
from mofan.reports import jobs, jobs_files
from mofan.reports.models import ExportJob, JobState
from tests.factories import UnitFactory
from tests.reports.jobs_fixtures import (
    BackgroundTable,
    CommitteeTable,
    CountingTable,
    PerUnitTable,
    export_dir,
    register,
    stub_renderers,
    world,
)
from tests.task_worker import run_queued_tasks
from tests.world import logged_in

__all__ = ["export_dir", "stub_renderers", "world"]


@pytest.fixture
def tables(monkeypatch, stub_renderers, export_dir, settings):
    register(monkeypatch, CountingTable, CommitteeTable, BackgroundTable, PerUnitTable)


def exports_url(world):
    return reverse("reports:exports", kwargs={"pk": world.campaign.pk})


def offers_on(page) -> list[str]:
    return re.findall(r'id="export-([a-z_]+)"', page.content.decode())


def finished_job(world, who="admin", identifier=CountingTable.identifier):
    job = jobs.job_submit(
        identifier=identifier,
        fmt="csv",
        campaign=world.campaign,
        actor=world.actor(who),
        inline=True,
    )
    assert job.state == JobState.DONE, job.error
    return job


def test_the_export_page_lists_what_each_actor_may_run(world, tables):
    admin = logged_in(world.admin).get(exports_url(world))
    assert admin.status_code == 200
    assert {
        "test_jobs_table",
        "test_jobs_committee",
        "test_jobs_background",
        "test_jobs_per_unit",
    } <= set(offers_on(admin))
    assert 'value="xlsx"' in admin.content.decode()
    unit = logged_in(world.unit_admin).get(exports_url(world))
    assert unit.status_code == 200
    offered = set(offers_on(unit))
    assert "test_jobs_table" in offered and "test_jobs_per_unit" in offered
    assert "test_jobs_committee" not in offered and "upper_report" not in offered
    assert "测试工委专用表" not in unit.content.decode()


def test_the_export_page_is_404_outside_the_campaigns_one_sees(world, tables):
    assert logged_in(world.other_admin).get(exports_url(world)).status_code == 404
    assert logged_in(world.other_admin).post(exports_url(world), {}).status_code == 404
    anonymous = Client().get(exports_url(world))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_starting_a_small_export_runs_inline_and_offers_the_download(world, tables):
    client = logged_in(world.admin)
    response = client.post(
        exports_url(world), {"exporter": CountingTable.identifier, "format": "csv"}
    )
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:job", kwargs={"pk": job.pk})
    assert job.state == JobState.DONE  # 3 units ≤ background_above_units: no need to wait
    entry = AuditEntry.objects.get(action="report.export")
    assert entry.object_id == str(job.pk) and entry.actor_id == world.admin.pk
    assert entry.data["after"]["campaign"] == world.campaign.pk
    page = client.get(response["Location"]).content.decode()
    assert "「测试统计表」已生成。" in page
    assert 'id="job-download"' in page and "hx-trigger" not in page
    assert "文件保留至" in page

    download = client.get(reverse("reports:job_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200
    name = quote("2026年模范机关创建-测试统计表.csv")
    assert download["Content-Disposition"] == f"attachment; filename*=utf-8''{name}"
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"
    body = b"".join(download.streaming_content).decode()
    assert body.startswith("STUB csv\n序号,名称\n1,第1行\n")
    audit = AuditEntry.objects.get(action="report.download")
    assert audit.actor_id == world.admin.pk and audit.object_id == str(job.pk)
    assert audit.data["extra"]["exporter"] == CountingTable.identifier


def test_a_larger_export_goes_to_the_background(world, tables):
    client = logged_in(world.admin)
    response = client.post(
        exports_url(world), {"exporter": BackgroundTable.identifier, "format": "xlsx"}
    )
    job = ExportJob.objects.get()
    assert job.state == JobState.QUEUED and job.format == "xlsx"
    page = client.get(response["Location"]).content.decode()
    assert "可以离开本页继续工作" in page
    assert f'hx-get="{reverse("reports:job", kwargs={"pk": job.pk})}"' in page
    assert 'hx-trigger="every 1s"' in page
    assert "排队中" in page


def test_starting_needs_csrf(world, tables):
    client = logged_in(world.admin)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        exports_url(world), {"exporter": CountingTable.identifier, "format": "csv"}
    )
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_a_bad_choice_is_refused_with_a_message(world, tables):
    client = logged_in(world.unit_admin)
    for data in (
        {"exporter": CommitteeTable.identifier, "format": "csv"},  # not offered to a unit
        {"exporter": CountingTable.identifier, "format": "pdf"},
        {"exporter": "nothing", "format": "csv"},
        {"exporter": PerUnitTable.identifier, "format": "csv", "unit": world.unit_b.pk},
    ):
        response = client.post(exports_url(world), data, follow=True)
        assert response.status_code == 200
        assert "message-error" in response.content.decode(), data
    assert not ExportJob.objects.exists()


def _chooser(client, world, q: str = "单位") -> str:
    response = client.get(
        reverse("choosers:choose", args=["unit"]),
        {"q": q, "scope": "export", "campaign": world.campaign.pk},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_unit_chooser_searches_only_the_units_one_sees(world, tables):
    """Per-unit exports pick the unit by searching (scope `unit/export`), never from a list of
    every unit; the search and the posted choice hold only the units the actor sees."""
    unit_client = logged_in(world.unit_admin)
    unit_page = unit_client.get(exports_url(world)).content.decode()
    chooser = unit_page.split('id="export-test_jobs_per_unit"')[1].split("</article>")[0]
    assert "scope=export" in chooser and "<select" not in chooser
    assert "乙单位" not in unit_page
    found = _chooser(unit_client, world)
    assert "甲单位" in found and "乙单位" not in found
    admin_found = _chooser(logged_in(world.admin), world)
    assert "甲单位" in admin_found and "乙单位" in admin_found

    unit_client.post(
        exports_url(world),
        {"exporter": PerUnitTable.identifier, "format": "csv", "unit": world.unit_a.pk},
    )
    job = ExportJob.objects.get()
    assert job.unit == world.unit_a and job.state == JobState.DONE
    assert job.download_name == "2026年模范机关创建-甲单位-测试单位表.csv"
    assert AuditEntry.objects.get(action="report.export").data["after"]["unit"] == world.unit_a.pk


def test_a_unit_typed_by_name_is_found_within_the_scope(world, tables):
    """Without JavaScript the name typed decides, resolved among the units one sees."""
    client = logged_in(world.admin)
    client.post(
        exports_url(world),
        {"exporter": PerUnitTable.identifier, "format": "csv", "unit_text": "乙单位"},
    )
    assert ExportJob.objects.get().unit == world.unit_b
    wrong = client.post(
        exports_url(world),
        {"exporter": PerUnitTable.identifier, "format": "csv", "unit_text": "丙单位"},
        follow=True,
    )
    assert "没有找到“丙单位”" in wrong.content.decode()
    outsider = logged_in(world.unit_admin).post(
        exports_url(world),
        {"exporter": PerUnitTable.identifier, "format": "csv", "unit_text": "乙单位"},
        follow=True,
    )
    assert "message-error" in outsider.content.decode()
    assert ExportJob.objects.count() == 1


def test_a_queued_export_is_cancelled_from_its_page_by_its_owner_only(
    world, tables, django_capture_on_commit_callbacks
):
    owner = logged_in(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            exports_url(world), {"exporter": BackgroundTable.identifier, "format": "csv"}
        )
    job = ExportJob.objects.get()
    page = owner.get(response["Location"]).content.decode()
    assert 'id="job-cancel"' in page and "取消导出" in page
    cancel = reverse("reports:job_cancel", kwargs={"pk": job.pk})
    for who in (world.leader, world.outsider, world.unit_admin):  # colleague, outsiders
        assert logged_in(who).post(cancel).status_code == 404
    assert owner.get(cancel).status_code == 405
    page = owner.post(cancel, follow=True).content.decode()
    assert "已取消该导出。" in page and "该导出已取消。" in page
    assert 'id="job-retry"' in page and 'id="job-cancel"' not in page
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert run_queued_tasks() == 1  # the worker takes the task, which leaves the job alone
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    again = owner.post(cancel, follow=True).content.decode()
    assert "不能取消" in again


def test_a_failed_export_is_retried_from_its_page(
    world, tables, django_capture_on_commit_callbacks
):
    job = jobs.job_submit(
        identifier=BackgroundTable.identifier,
        fmt="csv",
        campaign=world.campaign,
        actor=world.actor("admin"),
    )
    ExportJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="评审尚未完成。")
    retry = reverse("reports:job_retry", kwargs={"pk": job.pk})
    for who in (world.leader, world.outsider):
        assert logged_in(who).post(retry).status_code == 404
    owner = logged_in(world.admin)
    assert (
        'id="job-retry"'
        in owner.get(reverse("reports:job", kwargs={"pk": job.pk})).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(retry)
    again = ExportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("reports:job", kwargs={"pk": again.pk})
    assert run_queued_tasks() == 1
    again.refresh_from_db()
    assert again.state == JobState.DONE, again.error
    page = owner.get(response["Location"]).content.decode()
    assert 'id="job-download"' in page and 'id="job-retry"' not in page


def test_a_job_is_seen_and_downloaded_only_by_its_owner(world, tables):
    """Owner: the committee admin who asked. Colleague: the committee leader. Outsider: unit B's
    admin. The job (and its marker file name) is created first, then shown not to leak."""
    job = finished_job(world)
    marker = job.download_name
    urls = [
        reverse("reports:job", kwargs={"pk": job.pk}),
        reverse("reports:job_download", kwargs={"pk": job.pk}),
    ]
    owner = logged_in(world.admin)
    assert [owner.get(url).status_code for url in urls] == [200, 200]
    assert marker in owner.get(reverse("reports:my_exports")).content.decode()
    for who in (world.leader, world.outsider, world.unit_admin, world.other_admin):
        client = logged_in(who)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (who, url)
            assert marker not in response.content.decode()
        mine = client.get(reverse("reports:my_exports"))
        assert mine.status_code == 200 and marker not in mine.content.decode()
        campaign_page = client.get(exports_url(world))
        assert marker not in campaign_page.content.decode()
    assert AuditEntry.objects.filter(action="report.download").count() == 1


def test_the_owner_loses_the_job_with_the_campaign(world, tables):
    """A user who no longer sees the campaign no longer sees its files either."""
    job = finished_job(world, who="unit_admin")
    world.unit_admin.role_assignments.all().delete()
    elsewhere = UnitFactory()
    world.unit_admin.role_assignments.create(
        role="unit_admin", unit=elsewhere, committee=elsewhere.committee
    )
    client = logged_in(world.unit_admin)
    assert client.get(reverse("reports:job_download", kwargs={"pk": job.pk})).status_code == 404


def test_the_status_partial_polls_while_running_and_stops_when_done(world, tables):
    job = jobs.job_submit(
        identifier=BackgroundTable.identifier,
        fmt="csv",
        campaign=world.campaign,
        actor=world.actor("admin"),
    )
    client = logged_in(world.admin)
    url = reverse("reports:job", kwargs={"pk": job.pk})
    ExportJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, done=3, total=10)
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="job-status"')
    assert "<html" not in partial
    assert 'hx-trigger="every 1s"' in partial
    assert '<progress id="job-progress" value="30" max="100"' in partial
    assert "30%" in partial and "已处理 3 / 10" in partial
    ExportJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED, done=0, total=0)
    assert jobs.job_run(job.pk, worker="test").state == JobState.DONE
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial
    assert 'id="job-download"' in partial and 'value="100"' in partial


def test_a_failed_job_shows_its_message(world, tables):
    job = jobs.job_submit(
        identifier=BackgroundTable.identifier,
        fmt="csv",
        campaign=world.campaign,
        actor=world.actor("admin"),
    )
    ExportJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="评审尚未完成。")
    client = logged_in(world.admin)
    page = client.get(reverse("reports:job", kwargs={"pk": job.pk})).content.decode()
    assert "评审尚未完成。" in page and "hx-trigger" not in page
    assert client.get(reverse("reports:job_download", kwargs={"pk": job.pk})).status_code == 404


def test_an_expired_job_says_so_and_its_file_is_deleted_on_access(world, tables):
    job = finished_job(world)
    path = jobs_files.path_of(job.stored_name)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client = logged_in(world.admin)
    download = client.get(reverse("reports:job_download", kwargs={"pk": job.pk}), follow=True)
    assert download.redirect_chain == [(reverse("reports:job", kwargs={"pk": job.pk}), 302)]
    page = download.content.decode()
    assert "已过期" in page and "文件已过期并已删除" in page
    assert 'id="job-download"' not in page
    assert not path.exists()
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED
    assert not AuditEntry.objects.filter(action="report.download").exists()


def test_my_exports_expires_due_jobs_lazily(world, tables):
    job = finished_job(world)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page = logged_in(world.admin).get(reverse("reports:my_exports")).content.decode()
    assert "已过期" in page
    assert not jobs_files.path_of(job.stored_name).exists()


def _make_jobs(world, n):
    ExportJob.objects.bulk_create(
        ExportJob(
            user=world.admin,
            committee=world.committee,
            campaign=world.campaign,
            unit=world.unit_a if i % 2 else None,
            exporter=CountingTable.identifier,
            format="csv",
            state=JobState.FAILED,
        )
        for i in range(n)
    )


def test_my_exports_pages_with_a_constant_number_of_queries(world, tables):
    client = logged_in(world.admin)
    url = reverse("reports:my_exports")
    _make_jobs(world, 3)
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _make_jobs(world, 40)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count("<tr data-job=") == 20
    assert "第 1 / 3 页" in response.content.decode()
    assert len(large) == len(small)


def test_the_auditor_and_security_admin_are_refused(world, tables):
    from mofan.accounts.roles import Role
    from tests.factories import make_user

    job = finished_job(world)
    for role in (Role.AUDITOR, Role.SECURITY_ADMIN):
        client = logged_in(make_user(role, committee=world.committee))
        for url in (
            exports_url(world),
            reverse("reports:my_exports"),
            reverse("reports:job", kwargs={"pk": job.pk}),
            reverse("reports:job_download", kwargs={"pk": job.pk}),
        ):
            assert client.get(url).status_code == 403, (role, url)
