"""Export jobs (issue 6, point 6; issue 19): life (queued → running → done, failed, expired,
cancelled, retried), progress throttling, exclusive claims, the export task run by the
django-tasks database worker, recovery after a crash, the cleanup."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mofan.audit.models import AuditEntry
from mofan.reports import jobs, jobs_files
from mofan.reports.models import ExportJob, JobState
from tests.core.disks import read_only_disk, tiny_disk
from tests.reports.jobs_fixtures import (
    CommitteeTable,
    CountingTable,
    FailingTable,
    FakeClock,
    RefusingTable,
    export_dir,
    register,
    stub_renderers,
    world,
)
from tests.task_worker import run_queued_tasks

__all__ = ["export_dir", "read_only_disk", "stub_renderers", "tiny_disk", "world"]  # fixtures

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def tables(monkeypatch, stub_renderers, export_dir):
    register(monkeypatch, CountingTable, CommitteeTable, FailingTable, RefusingTable)


def submit(world, identifier=CountingTable.identifier, who="admin", inline=False, fmt="csv"):
    """Without capturing the on-commit callbacks, the job stays queued and no task is enqueued:
    the tests below run it by hand (`job_run`) or through the worker."""
    return jobs.job_submit(
        identifier=identifier,
        fmt=fmt,
        campaign=world.campaign,
        actor=world.actor(who),
        inline=inline,
    )


def test_a_job_goes_queued_running_done_with_throttled_progress(world, tables, export_dir):
    job = submit(world)
    assert job.state == JobState.QUEUED
    entry = AuditEntry.objects.get(action="report.export", object_id=str(job.pk))
    assert entry.actor_id == world.admin.pk
    assert entry.data["after"]["exporter"] == CountingTable.identifier
    assert entry.data["after"]["format"] == "csv"
    assert entry.data["after"]["campaign"] == world.campaign.pk
    assert entry.data["after"]["unit"] is None
    assert job.download_name == "2026年模范机关创建-测试统计表.csv"

    # The clock advances 0.3 s per progress call: only every other call is stored.
    clock = FakeClock(step=0.3)
    done = jobs.job_run(job.pk, worker="test", now=T0, clock=clock)
    assert done is not None
    # Calls: (0,10) then (n,10) after row n. Stored at calls 0, 2, 4, ...; each row reads the
    # database before it is written, after the calls for the rows before it.
    assert CountingTable.seen == [
        ("running", done_at, 10) for done_at in (0, 0, 2, 2, 4, 4, 6, 6, 8, 8)
    ]
    assert clock.readings == 11
    assert done.state == JobState.DONE
    assert (done.done, done.total, done.percent) == (10, 10, 100)
    assert done.started_at == T0 and done.finished_at == T0
    assert done.expires_at == T0 + dt.timedelta(hours=24)
    content = jobs_files.path_of(done.stored_name).read_text()
    assert content.splitlines()[:3] == ["STUB csv", "序号,名称", "1,第1行"]
    assert content.splitlines()[-1] == "10,第10行"
    assert done.size == len(content.encode())
    # Nothing but the finished file in the directory (the .part was renamed).
    assert [p.name for p in Path(export_dir).iterdir()] == [done.stored_name]


def test_progress_is_stored_at_most_every_half_second(world, tables):
    job = submit(world)
    jobs.job_claim(job.pk, worker="test")
    writer = jobs.ProgressWriter(job.pk, clock=FakeClock(step=0.01))
    for n in range(200):  # two simulated seconds, 200 rows
        writer(n, 200)
    assert writer.writes == 4  # at 0, 0.5, 1.0, 1.5 s
    job.refresh_from_db()
    assert (job.done, job.total) == (150, 200)


def test_a_job_whose_export_raises_fails_with_a_chinese_message(world, tables, export_dir):
    job = submit(world, FailingTable.identifier, inline=True)
    assert job.state == JobState.FAILED
    assert job.error.startswith("生成失败：程序出错")
    assert "division" not in job.error  # internals stay in the log
    assert job.stored_name == ""
    assert list(Path(export_dir).iterdir()) == []  # no half-written file left

    refused = submit(world, RefusingTable.identifier, inline=True)
    assert refused.state == JobState.FAILED
    assert refused.error == "评审结果尚未审定，暂不能导出。"


def test_a_job_is_checked_again_when_it_runs(world, tables):
    """Roles revoked between the request and the run: the job fails, nothing is produced."""
    job = submit(world, CommitteeTable.identifier)
    world.admin.role_assignments.all().delete()
    ran = jobs.job_run(job.pk, worker="test")
    assert ran is not None and ran.state == JobState.FAILED
    assert ran.error == "您无权生成此报表（权限可能已变更）。"


def test_submit_refuses_what_the_actor_may_not_run(world, tables):
    with pytest.raises(PermissionDenied):
        submit(world, CommitteeTable.identifier, who="unit_admin")
    with pytest.raises(PermissionDenied):  # another committee's campaign
        submit(world, who="other_admin")
    with pytest.raises(ValidationError, match="不能导出为 pdf"):
        submit(world, fmt="pdf")
    with pytest.raises(ValidationError, match="没有这种报表"):
        submit(world, "test_jobs_nothing")
    assert not ExportJob.objects.exists()
    assert not AuditEntry.objects.filter(action="report.export").exists()


def test_one_user_has_a_limited_number_of_unfinished_jobs(world, tables, settings):
    settings.MOFAN_EXPORT_MAX_ACTIVE = 2
    submit(world)
    submit(world)
    with pytest.raises(ValidationError, match="已有 2 个导出正在生成"):
        submit(world)
    submit(world, who="leader")  # somebody else is not held up
    assert ExportJob.objects.count() == 3


def test_a_finished_job_expires_after_the_retention_and_its_file_is_deleted(world, tables):
    job = submit(world)
    job = jobs.job_run(job.pk, worker="test", now=T0)
    path = jobs_files.path_of(job.stored_name)
    assert path.exists()
    assert jobs_files.job_expire(now=T0 + dt.timedelta(hours=23, minutes=59)) == 0
    assert path.exists()
    assert jobs_files.job_expire(now=T0 + dt.timedelta(hours=24)) == 1
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED
    assert job.get_state_display() == "已过期"
    assert job.stored_name == ""
    assert not path.exists()
    assert jobs_files.job_expire(now=T0 + dt.timedelta(days=3)) == 0


def test_the_cleanup_command_expires_recovers_and_sweeps(world, tables, export_dir):
    finished = jobs.job_run(submit(world).pk, worker="test", now=T0)
    finished_path = jobs_files.path_of(finished.stored_name)
    stray = Path(export_dir) / "0123456789abcdef0123456789abcdef.csv.part"
    stray.write_text("left by a crash")
    old = (T0 - dt.timedelta(hours=2)).timestamp()
    os.utime(stray, (old, old))
    stuck = submit(world)
    ExportJob.objects.filter(pk=stuck.pk).update(
        state=JobState.RUNNING, started_at=T0 - dt.timedelta(hours=2), worker="elsewhere:1:thread"
    )
    out = io.StringIO()
    call_command("export_cleanup", "--now", "2026-11-21T18:00:00+08:00", stdout=out)
    assert out.getvalue().strip() == (
        "expired 1 job(s), failed 1 abandoned job(s), deleted 1 stray file(s)"
    )
    assert not finished_path.exists() and not stray.exists()
    stuck.refresh_from_db()
    assert stuck.state == JobState.FAILED
    assert stuck.error == "生成中断（服务重启或超时），请重新导出。"


def test_recovery_fails_abandoned_jobs_and_leaves_live_ones(world, tables):
    now = timezone.now()
    host = socket.gethostname()
    dead_pid = _dead_pid()
    dead = submit(world)
    alive = submit(world)
    old_queue = submit(world, who="leader")
    fresh_queue = submit(world, who="leader")
    ExportJob.objects.filter(pk=dead.pk).update(
        state=JobState.RUNNING, started_at=now, worker=f"{host}:{dead_pid}:thread"
    )
    ExportJob.objects.filter(pk=alive.pk).update(
        state=JobState.RUNNING, started_at=now, worker=f"{host}:{os.getpid()}:thread"
    )
    ExportJob.objects.filter(pk=old_queue.pk).update(created_at=now - dt.timedelta(hours=2))
    assert jobs_files.job_recover(now=now) == 2
    states = dict(ExportJob.objects.values_list("pk", "state"))
    assert states[dead.pk] == JobState.FAILED
    assert states[old_queue.pk] == JobState.FAILED
    assert states[alive.pk] == JobState.RUNNING
    assert states[fresh_queue.pk] == JobState.QUEUED
    assert "排队时间过长" in ExportJob.objects.get(pk=old_queue.pk).error
    # The worker of the failed job finishes anyway: its result is discarded, not served.
    late = jobs._execute(dead.pk)
    assert late.state == JobState.FAILED and late.stored_name == ""


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_a_claim_is_exclusive(world, tables):
    job = submit(world)
    assert jobs.job_claim(job.pk, worker="first")
    assert not jobs.job_claim(job.pk, worker="second")
    job.refresh_from_db()
    assert (job.state, job.worker) == (JobState.RUNNING, "first")
    # A finished job cannot be claimed (or run) again.
    assert jobs.job_run(job.pk, worker="fourth") is None


def test_the_task_is_enqueued_on_commit_and_the_db_worker_runs_it(
    world, tables, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(world)
    with django_capture_on_commit_callbacks(execute=True):
        second = submit(world, who="leader", fmt="xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        failing = submit(world, FailingTable.identifier, who="unit_admin")
    tasks = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [t.task_path for t in tasks] == ["mofan.reports.jobs.export_task"] * 3
    assert [t.args_kwargs["args"] for t in tasks] == [[first.pk], [second.pk], [failing.pk]]
    assert {t.status for t in tasks} == {"READY"}
    assert ExportJob.objects.filter(state=JobState.QUEUED).count() == 3

    assert run_queued_tasks() == 3
    states = dict(ExportJob.objects.values_list("pk", "state"))
    assert states == {
        first.pk: JobState.DONE,
        second.pk: JobState.DONE,
        failing.pk: JobState.FAILED,
    }
    assert ExportJob.objects.get(pk=first.pk).worker.endswith(":task")
    assert (
        jobs_files.path_of(ExportJob.objects.get(pk=second.pk).stored_name)
        .read_text()
        .startswith("STUB xlsx")
    )
    # The task itself succeeded each time: the export's failure is the job's, said in Chinese.
    results = {t.args_kwargs["args"][0]: t for t in DBTaskResult.objects.all()}
    assert {t.status for t in results.values()} == {"SUCCESSFUL"}
    assert results[failing.pk].return_value == "failed"
    assert ExportJob.objects.get(pk=failing.pk).error.startswith("生成失败：程序出错")
    assert run_queued_tasks() == 0  # nothing left


def test_a_queued_job_can_be_cancelled_and_its_task_then_does_nothing(
    world, tables, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(world)
    with pytest.raises(PermissionDenied):  # only the person who asked
        jobs.job_cancel(job=job, actor=world.actor("leader"))
    cancelled = jobs.job_cancel(job=job, actor=world.actor("admin"))
    assert cancelled.state == JobState.CANCELLED
    assert cancelled.get_state_display() == "已取消"
    entry = AuditEntry.objects.get(action="report.cancel", object_id=str(job.pk))
    assert entry.data["before"] == {"state": "queued"}
    assert run_queued_tasks() == 1
    assert DBTaskResult.objects.get().return_value == "skipped"
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.stored_name == ""
    with pytest.raises(ValidationError, match="不能取消"):
        jobs.job_cancel(job=job, actor=world.actor("admin"))


def test_a_running_or_finished_job_cannot_be_cancelled(world, tables):
    job = jobs.job_run(submit(world).pk, worker="test")
    with pytest.raises(ValidationError, match="已开始生成或已结束"):
        jobs.job_cancel(job=job, actor=world.actor("admin"))
    assert not AuditEntry.objects.filter(action="report.cancel").exists()


def test_a_failed_job_is_retried_as_a_new_job_with_the_same_choices(
    world, tables, monkeypatch, django_capture_on_commit_callbacks
):
    failed = submit(world, RefusingTable.identifier, inline=True)
    assert failed.state == JobState.FAILED
    with pytest.raises(PermissionDenied):
        jobs.job_retry(job=failed, actor=world.actor("leader"))
    done = jobs.job_run(submit(world).pk, worker="test")
    with pytest.raises(ValidationError, match="无需重新生成"):
        jobs.job_retry(job=done, actor=world.actor("admin"))
    monkeypatch.setattr(RefusingTable, "rows", CountingTable.rows)  # the cause is gone
    with django_capture_on_commit_callbacks(execute=True):
        again = jobs.job_retry(job=failed, actor=world.actor("admin"))
    assert again.pk != failed.pk and again.state == JobState.QUEUED
    assert (again.exporter, again.format, again.campaign_id) == (
        failed.exporter,
        failed.format,
        failed.campaign_id,
    )
    entry = AuditEntry.objects.get(action="report.export", object_id=str(again.pk))
    assert entry.data["after"]["retry_of"] == failed.pk
    assert run_queued_tasks() == 1
    again.refresh_from_db()
    assert again.state == JobState.DONE, again.error
    failed.refresh_from_db()
    assert failed.state == JobState.FAILED  # the old job stays as it was


def test_stored_names_are_generated_and_nothing_else_is_served(world, tables):
    job = jobs.job_run(submit(world).pk, worker="test")
    assert len(job.stored_name) == len("0123456789abcdef0123456789abcdef.csv")
    for bad in ("../secret_key", "x.csv", "0123456789abcdef0123456789abcdef.exe", ""):
        with pytest.raises(ValueError):
            jobs_files.path_of(bad)


def test_download_names_are_safe():
    assert jobs.safe_filename("2026/年度:统计?.csv") == "2026_年度_统计_.csv"
    assert jobs.safe_filename("..") == "export"
    long = jobs.safe_filename("长" * 300 + ".xlsx")
    assert len(long) == 200 and long.endswith(".xlsx")


def _fill(directory: Path) -> None:
    """Write until the file system is full."""
    descriptor = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(descriptor, b"x" * 4096)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def test_a_full_disk_fails_the_export_in_chinese_and_leaves_no_part(
    world, tables, settings, tiny_disk
):
    """Issue 22 point 3: the export directory's disk is full."""
    settings.MOFAN_EXPORT_DIR = tiny_disk
    _fill(tiny_disk)
    job = submit(world)
    done = jobs.job_run(job.pk, worker="test", now=T0)
    assert done is not None and done.state == JobState.FAILED
    assert "存储空间已满" in done.error
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


def test_a_read_only_export_directory_fails_the_export_in_chinese(
    world, tables, settings, read_only_disk
):
    settings.MOFAN_EXPORT_DIR = read_only_disk
    job = submit(world)
    done = jobs.job_run(job.pk, worker="test", now=T0)
    assert done is not None and done.state == JobState.FAILED
    assert "不可写" in done.error
    assert list(read_only_disk.iterdir()) == []
