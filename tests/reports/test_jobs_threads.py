"""Export jobs across processes' boundaries, on committed data (transactional tests, on SQLite
and on PostgreSQL): the task is enqueued when the submitting transaction commits and the
unmodified `manage.py db_worker` takes it from the database and runs it; two workers side by
side run every queued task exactly once (on PostgreSQL: see the test); of two claimers racing
for one job exactly one wins."""

from __future__ import annotations

import signal
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from mofan.reports import jobs, jobs_files
from mofan.reports.models import ExportJob, JobState
from tests.reports.jobs_fixtures import (
    CountingTable,
    build_world,
    export_dir,
    register,
    stub_renderers,
)
from tests.task_worker import run_queued_tasks

__all__ = ["export_dir", "stub_renderers"]


def db_worker_batch() -> None:
    """`manage.py db_worker --batch`: run what is queued and exit. The command installs its
    own SIGINT/SIGTERM handlers; the test's are put back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
def test_a_committed_export_is_taken_and_run_by_the_db_worker(
    audit_triggers_lifted, monkeypatch, stub_renderers, export_dir
):
    register(monkeypatch, CountingTable)
    CountingTable.seen = []
    world = build_world()
    job = jobs.job_submit(
        identifier=CountingTable.identifier,
        fmt="csv",
        campaign=world.campaign,
        actor=world.actor("admin"),
    )
    # Committed (no test transaction here): the task is in the queue, the job waits for it.
    task = DBTaskResult.objects.get()
    assert (task.status, task.args_kwargs["args"]) == ("READY", [job.pk])
    job.refresh_from_db()
    assert job.state == JobState.QUEUED

    db_worker_batch()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert job.worker.endswith(":task")
    assert (
        jobs_files.path_of(job.stored_name).read_text().startswith("STUB csv\n序号,名称\n1,第1行")
    )
    # The worker saw its own job running while it wrote the rows.
    assert CountingTable.seen and {state for state, _d, _t in CountingTable.seen} == {"running"}
    task.refresh_from_db()
    assert (task.status, task.return_value) == ("SUCCESSFUL", "done")


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's test database is in memory with a shared cache, whose table locks ignore "
    "the busy timeout: django-tasks-db's exclusive claim fails at once instead of waiting, as it "
    "waits on a database file in production; the two workers run on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_side_by_side_run_every_task_exactly_once(
    audit_triggers_lifted, monkeypatch, stub_renderers, export_dir, settings
):
    settings.MOFAN_EXPORT_MAX_ACTIVE = 10
    register(monkeypatch, CountingTable)
    world = build_world()
    submitted = [
        jobs.job_submit(
            identifier=CountingTable.identifier,
            fmt="csv",
            campaign=world.campaign,
            actor=world.actor(who),
        ).pk
        for who in ("admin", "admin", "admin", "leader", "leader", "leader")
    ]
    barrier = threading.Barrier(2)
    ran: dict[str, int] = {}

    def work(name: str) -> None:
        try:
            barrier.wait(10)
            ran[name] = run_queued_tasks(worker_id=name)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(ran.values()) == len(submitted)
    tasks = DBTaskResult.objects.all()
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted(submitted)
    assert {t.status for t in tasks} == {"SUCCESSFUL"}
    assert all(len(t.worker_ids) == 1 for t in tasks)  # each taken once
    assert set(ExportJob.objects.values_list("state", flat=True)) == {JobState.DONE}


@pytest.mark.django_db(transaction=True)
def test_of_two_racing_claimers_exactly_one_wins(audit_triggers_lifted, monkeypatch):
    world = build_world()
    for _round in range(5):
        job = ExportJob.objects.create(
            user=world.admin,
            committee=world.committee,
            campaign=world.campaign,
            exporter=CountingTable.identifier,
            format="csv",
        )
        barrier = threading.Barrier(2)
        claimed: list[bool] = []
        threads = [
            threading.Thread(target=_claimer, args=(job.pk, f"w{i}", barrier, claimed))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(claimed) == [False, True]
        job.refresh_from_db()
        assert job.state == JobState.RUNNING and job.worker in {"w0", "w1"}


def _claimer(pk: int, name: str, barrier: threading.Barrier, claimed: list[bool]) -> None:
    try:
        barrier.wait(10)
        claimed.append(jobs.job_claim(pk, worker=name))
    finally:
        connections.close_all()
