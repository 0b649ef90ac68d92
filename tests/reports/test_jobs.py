"""Export jobs (issue 6, point 6): life (queued → running → done, failed, expired), progress
throttling, exclusive claims, the worker command, recovery after a crash, the cleanup."""

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

from mofan.audit.models import AuditEntry
from mofan.reports import jobs, jobs_files
from mofan.reports.models import ExportJob, JobState
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

__all__ = ["export_dir", "stub_renderers", "world"]  # fixtures

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def tables(monkeypatch, stub_renderers, export_dir):
    register(monkeypatch, CountingTable, CommitteeTable, FailingTable, RefusingTable)


def submit(world, identifier=CountingTable.identifier, who="admin", backend="worker", fmt="csv"):
    return jobs.job_submit(
        identifier=identifier,
        fmt=fmt,
        campaign=world.campaign,
        actor=world.actor(who),
        backend=backend,
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
    job = submit(world, FailingTable.identifier, backend="sync")
    assert job.state == JobState.FAILED
    assert job.error.startswith("生成失败：程序出错")
    assert "division" not in job.error  # internals stay in the log
    assert job.stored_name == ""
    assert list(Path(export_dir).iterdir()) == []  # no half-written file left

    refused = submit(world, RefusingTable.identifier, backend="sync")
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
    assert jobs.job_claim_next(worker="third") is None
    job.refresh_from_db()
    assert (job.state, job.worker) == (JobState.RUNNING, "first")
    # A finished job cannot be claimed (or run) again.
    assert jobs.job_run(job.pk, worker="fourth") is None


def test_claim_next_takes_the_oldest_queued_job(world, tables):
    first, second = submit(world), submit(world)
    assert jobs.job_claim_next(worker="w") == first.pk
    assert jobs.job_claim_next(worker="w") == second.pk
    assert jobs.job_claim_next(worker="w") is None


def test_the_worker_command_runs_the_queued_jobs_and_exits_with_once(world, tables):
    first = submit(world)
    second = submit(world, who="leader", fmt="xlsx")
    failing = submit(world, FailingTable.identifier, who="unit_admin")
    out = io.StringIO()
    call_command("export_worker", "--once", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == "3 job(s) run"
    assert f"job {first.pk} test_jobs_table.csv: done" in lines
    assert f"job {second.pk} test_jobs_table.xlsx: done" in lines
    states = dict(ExportJob.objects.values_list("pk", "state"))
    assert states == {
        first.pk: JobState.DONE,
        second.pk: JobState.DONE,
        failing.pk: JobState.FAILED,
    }
    assert ExportJob.objects.get(pk=first.pk).worker.endswith(":worker")
    assert (
        jobs_files.path_of(ExportJob.objects.get(pk=second.pk).stored_name)
        .read_text()
        .startswith("STUB xlsx")
    )


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
