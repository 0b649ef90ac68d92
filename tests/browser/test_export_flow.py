"""An export in the background, in headless Chromium (issue 6, points 6 and 9): the committee
admin opens the campaign's export page and starts a slow export; the job page's progress bar
advances through htmx polling; meanwhile the admin opens another page from the navigation and
comes back through 我的导出; when the job ends the page offers the file, which downloads with its
Chinese name and the expected content.

The export is a test-only table (tests/reports/jobs_fixtures.py) that stops at two gates the
test opens, so the progress the page shows at each step is known without sleeping: 2 of 6 rows
(33%), then 4 of 6 (66%), then done. It runs as a django-tasks task, taken from the database
queue by the db worker running in a thread of the test process (tests/browser/conftest.py).
Progress is stored at every call here (PROGRESS_SECONDS = 0); the half-second throttle itself
is tested in tests/reports/test_jobs.py.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mofan.audit.models import AuditEntry
from mofan.reports import jobs
from mofan.reports.models import ExportJob, JobState
from tests.factories import PASSWORD
from tests.reports.jobs_fixtures import (
    GatedTable,
    Gates,
    build_world,
    export_dir,
    register,
    stub_renderers,
)
from tests.world import log_in

__all__ = ["export_dir", "stub_renderers"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE_NAME = "2026年模范机关创建-测试慢速报表.csv"


@pytest.fixture
def gates(monkeypatch, settings, stub_renderers, export_dir):
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    gates = Gates(one=threading.Event(), two=threading.Event())
    monkeypatch.setattr(GatedTable, "gates", gates)
    register(monkeypatch, GatedTable)
    yield gates
    # Never leave the worker waiting, whatever happened in the test.
    gates.one.set()
    gates.two.set()


def test_an_export_runs_in_the_background_and_downloads(
    live_server, gates, new_page, screenshot, tmp_path
):
    world = build_world()
    base = live_server.url
    page = new_page()
    log_in(page, base, world.admin.username, PASSWORD)

    # --- the export page offers the slow table; starting it opens the job page -------------
    page.goto(f"{base}/reports/campaigns/{world.campaign.pk}/exports/")
    offer = page.locator("#export-test_jobs_gated")
    expect(offer).to_contain_text("测试慢速报表")
    expect(offer).to_contain_text("后台生成")
    screenshot(page, "export-page")
    offer.get_by_role("button", name="导出 CSV").click()
    expect(page).to_have_url(re.compile(r"/reports/jobs/\d+/$"))
    job_url = page.url
    expect(page.locator(".messages")).to_contain_text("可以离开本页继续工作")

    # --- the progress bar advances without reloading the page -----------------------------
    bar = page.locator("#job-progress")
    percent = page.locator("#job-percent")
    page.evaluate("document.body.dataset.loadMarker = 'first-load'")
    expect(percent).to_have_text("33%")
    expect(bar).to_have_attribute("value", "33")
    screenshot(page, "export-progress")
    gates.one.set()
    expect(percent).to_have_text("66%")
    expect(bar).to_have_attribute("value", "66")
    # The same document all along: htmx swapped the status, nothing reloaded.
    assert page.evaluate("document.body.dataset.loadMarker") == "first-load"

    # --- the rest of the site stays usable while the job runs -----------------------------
    job = ExportJob.objects.get()
    page.locator("#main-nav").get_by_role("link", name="创建活动").click()
    expect(page).to_have_url(f"{base}/campaigns/")
    expect(page.locator("main")).to_contain_text("2026年模范机关创建")
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and (job.done, job.total) == (4, 6)

    # --- back through 我的导出 ---------------------------------------------------------------
    page.goto(f"{base}/reports/exports/mine/")
    row = page.locator(f'tr[data-job="{job.pk}"]')
    expect(row).to_contain_text("生成中")
    expect(row).to_contain_text("66%")
    row.get_by_role("link", name="查看").click()
    expect(page).to_have_url(job_url)
    expect(percent).to_have_text("66%")

    # --- it ends: the page offers the file, the polling stops ------------------------------
    gates.two.set()
    link = page.locator("#job-download")
    expect(link).to_be_visible()
    expect(link).to_contain_text(FILE_NAME)
    expect(page.locator("#job-state")).to_have_text("已完成")
    expect(page.locator("#job-status")).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("#job-expiry")).to_contain_text("文件保留至")
    screenshot(page, "export-done")

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == FILE_NAME
    target = Path(tmp_path) / "downloaded.csv"
    download.save_as(target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["STUB csv", "序号,名称", "1,第1行"]
    assert lines[-1] == "6,第6行" and len(lines) == 8

    job.refresh_from_db()
    assert job.state == JobState.DONE and job.worker.endswith(":task")
    assert AuditEntry.objects.filter(action="report.export", object_id=str(job.pk)).exists()
    assert AuditEntry.objects.filter(action="report.download", object_id=str(job.pk)).exists()
