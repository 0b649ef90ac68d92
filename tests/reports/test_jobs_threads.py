"""Export jobs across threads, on committed data (transactional tests): the thread backend runs
a job after the submitting transaction commits, and of two claimers racing for one job exactly
one wins. Plus the optional Redis wake-up of the worker backend."""

from __future__ import annotations

import socket
import threading

import pytest
from django.db import connections

from mofan.reports import jobs, jobs_files
from mofan.reports.jobs_redis import RedisSignal
from mofan.reports.models import ExportJob, JobState
from tests.reports.jobs_fixtures import (
    CountingTable,
    build_world,
    export_dir,
    register,
    stub_renderers,
)

__all__ = ["export_dir", "stub_renderers"]

REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.mark.django_db(transaction=True)
def test_the_thread_backend_runs_a_job_after_the_commit(
    audit_triggers_lifted, monkeypatch, settings, stub_renderers, export_dir
):
    settings.MOFAN_EXPORT_BACKEND = "thread"
    register(monkeypatch, CountingTable)
    CountingTable.seen = []
    world = build_world()
    job = jobs.job_submit(
        identifier=CountingTable.identifier,
        fmt="csv",
        campaign=world.campaign,
        actor=world.actor("admin"),
    )
    assert jobs.wait_for_threads(timeout=30)
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert job.worker.endswith(":thread")
    assert (
        jobs_files.path_of(job.stored_name).read_text().startswith("STUB csv\n序号,名称\n1,第1行")
    )
    # The worker thread saw its own job running while it wrote the rows.
    assert CountingTable.seen and {state for state, _d, _t in CountingTable.seen} == {"running"}


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
        claimed: list[int | None] = []
        threads = [
            threading.Thread(target=_claimer, args=(f"w{i}", barrier, claimed)) for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(claimed, key=lambda v: v or 0) == [None, job.pk]
        job.refresh_from_db()
        assert job.state == JobState.RUNNING and job.worker in {"w0", "w1"}


def _claimer(name: str, barrier: threading.Barrier, claimed: list[int | None]) -> None:
    try:
        barrier.wait(10)
        claimed.append(jobs.job_claim_next(worker=name))
    finally:
        connections.close_all()


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="no Redis listening on 127.0.0.1:6379")
@pytest.mark.django_db
def test_the_worker_backend_wakes_the_worker_through_redis(
    settings, monkeypatch, stub_renderers, export_dir, django_capture_on_commit_callbacks
):
    settings.MOFAN_EXPORT_BACKEND = "worker"
    settings.MOFAN_EXPORT_REDIS_URL = REDIS_URL
    register(monkeypatch, CountingTable)
    signal = RedisSignal(REDIS_URL)
    while signal.wait(1) is not None:  # drain what an earlier run left
        pass
    world = build_world()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_submit(
            identifier=CountingTable.identifier,
            fmt="csv",
            campaign=world.campaign,
            actor=world.actor("admin"),
        )
    assert job.state == JobState.QUEUED
    assert signal.wait(1) == job.pk
    assert signal.wait(1) is None
    ran = jobs.worker_loop(once=True)
    assert ran == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE
