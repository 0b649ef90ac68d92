"""Background tasks ride out a transient database fault (issue 22 point 1): the unit of work that
a lost connection or a lock interrupted runs again after a growing pause, on a fresh connection,
and is done once; what is not transient fails at once; after the last attempt the task's record
says why in Chinese.

The faults are real: the connection is lost as in tests/core/test_dbfaults.py (the server ends
the backend on PostgreSQL, the driver's connection is closed under Django on SQLite), in the
middle of the approval's and the recompute's transactions and in the middle of writing an
export.
"""

# The fixtures are imported and requested by name.

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection, transaction
from django_tasks_db.models import DBTaskResult

from mofan.audit.models import AuditEntry
from mofan.core.dbfaults import backoff_delays, retry_transient, transient_alias
from mofan.evaluations import approval_tasks
from mofan.evaluations.models import ApprovalRun, RunState, UnitResult, UnitTotals
from mofan.evaluations.tasks import recompute_task
from mofan.reports import jobs, jobs_files
from mofan.reports.models import ExportJob, JobState
from tests.core.test_dbfaults import keeper, lose_connection, lost_before
from tests.evaluations.campaign_fixtures import world
from tests.reports.jobs_fixtures import (
    CountingTable,
    build_world,
    export_dir,
    register,
    stub_renderers,
)
from tests.task_worker import run_queued_tasks

__all__ = ["export_dir", "keeper", "stub_renderers", "world"]

pytestmark = pytest.mark.usefixtures("audit_triggers_lifted")


@pytest.fixture
def quick_retries(settings) -> None:
    """Short pauses for the test."""
    settings.MOFAN_TASK_RETRY_ATTEMPTS = 4
    settings.MOFAN_TASK_RETRY_BASE_SECONDS = 0.01
    settings.MOFAN_TASK_RETRY_MAX_SECONDS = 0.04


def test_the_pauses_double_up_to_the_cap():
    assert backoff_delays(5, base=0.5, cap=8) == [0.5, 1, 2, 4]
    assert backoff_delays(7, base=0.5, cap=8) == [0.5, 1, 2, 4, 8, 8]
    assert backoff_delays(1, base=0.5, cap=8) == []


def test_a_lock_is_waited_out_and_anything_else_fails_at_once(settings, db):
    settings.MOFAN_TASK_RETRY_ATTEMPTS = 4
    settings.MOFAN_TASK_RETRY_BASE_SECONDS = 0.5
    settings.MOFAN_TASK_RETRY_MAX_SECONDS = 1
    connection.ensure_connection()
    slept: list[float] = []
    calls: list[int] = []

    def locked_twice() -> str:
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("database is locked")  # what sqlite3 says past its timeout
        return "done"

    assert retry_transient(locked_twice, what="test", sleep=slept.append) == "done"
    assert (len(calls), slept) == (3, [0.5, 1])

    slept.clear()

    def always_locked() -> None:
        raise OperationalError("database table is locked")

    with pytest.raises(OperationalError, match="locked"):
        retry_transient(always_locked, what="test", sleep=slept.append)
    assert slept == [0.5, 1, 1]  # four attempts, three pauses, the last one raised

    # Refusals the database really gives: a bad statement, a duplicate key.
    slept.clear()

    def bad_statement() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_here")

    def duplicate() -> None:
        with transaction.atomic():
            Group.objects.create(name="重复")
            Group.objects.create(name="重复")

    for refused in (bad_statement, duplicate):
        with pytest.raises(DatabaseError):
            retry_transient(refused, what="test", sleep=slept.append)
    assert slept == []


def test_a_lost_connection_is_transient_and_a_bad_statement_is_not(transactional_db, keeper):
    with pytest.raises(Exception) as bad, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_here")
    assert transient_alias(bad.value) is None
    lose_connection()
    with pytest.raises(Exception) as lost, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert transient_alias(lost.value) == "default"
    connection.close()
    if connection.connection is not None:
        connection.connection = None


@contextlib.contextmanager
def lost_at(fragment: str, *, nth: int) -> Iterator[list[str]]:
    """Lose the connection just before the `nth` statement containing `fragment`."""
    seen: list[str] = []
    hit: list[str] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if fragment in sql:
            seen.append(sql)
            if len(seen) == nth and not hit:
                hit.append(sql)
                lose_connection()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield hit


@pytest.mark.django_db(transaction=True)
def test_an_approval_cut_off_mid_transaction_runs_again_and_approves_once(
    world, keeper, quick_retries, django_capture_on_commit_callbacks
):
    from tests.rectification.rereview_fixtures import finish_review

    finish_review(world)
    admin = world.actor("committee_admin")
    run = approval_tasks.campaign_approve_request(campaign=world.campaign, actor=admin)
    table = UnitResult._meta.db_table
    with lost_before(f'INSERT INTO "{table}"') as hit:
        assert run_queued_tasks() == 1
    assert hit, "the fault was not injected"
    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    results = UnitResult.objects.filter(campaign=world.campaign)
    assert run.approved == results.count() > 0
    assert len({r.enrollment_id for r in results}) == results.count()  # each unit once
    assert AuditEntry.objects.filter(action="approval.campaign").count() == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def _queued_export(monkeypatch) -> ExportJob:
    """A committed export job of the test table, its task in the queue."""
    register(monkeypatch, CountingTable)
    world = build_world()
    return jobs.job_submit(
        identifier=CountingTable.identifier,
        fmt="csv",
        campaign=world.campaign,
        actor=world.actor("admin"),
    )


@pytest.mark.django_db(transaction=True)
def test_an_export_cut_off_while_writing_starts_the_file_again_and_finishes(
    keeper, quick_retries, monkeypatch, stub_renderers, export_dir
):
    job = _queued_export(monkeypatch)
    # The table reads the job row once per line it writes: lose the connection at line 4.
    with lost_at('FROM "reports_exportjob"', nth=5) as hit:
        assert run_queued_tasks() == 1
    assert hit, "the fault was not injected"
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    text = jobs_files.path_of(job.stored_name).read_text()
    assert [line.split(",")[0] for line in text.splitlines()[2:]] == [
        str(n) for n in range(1, CountingTable.size + 1)
    ]
    assert not list(export_dir.glob("*.part"))
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_an_export_whose_database_stays_away_fails_with_a_chinese_reason(
    keeper, quick_retries, monkeypatch, stub_renderers, export_dir
):
    job = _queued_export(monkeypatch)

    def always_locked(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.startswith("SELECT") and "ORDER BY" in sql and '"reports_exportjob"' in sql:
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(always_locked):
        assert run_queued_tasks() == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "数据库暂时不可用，多次重试仍未成功。请稍后重试。"
    assert not list(export_dir.glob("*"))


def test_a_run_that_never_gets_the_database_says_so(world, quick_retries):
    run = ApprovalRun(pk=1, campaign=world.campaign)
    message = approval_tasks.failure_message(OperationalError("database is locked"), run)
    assert message == "数据库暂时不可用，多次重试仍未成功；未写入任何结果。请稍后重试。"


@pytest.mark.django_db(transaction=True)
def test_a_recompute_cut_off_mid_transaction_runs_again(world, keeper, quick_retries):
    from tests.rectification.rereview_fixtures import finish_review

    finish_review(world)
    call_command("recompute_results", campaign=world.campaign.pk, stdout=StringIO())
    expected = {
        t.enrollment_id: (t.composite, t.rank)
        for t in UnitTotals.objects.filter(campaign=world.campaign)
    }
    assert expected and all(composite is not None for composite, _r in expected.values())
    UnitTotals.objects.filter(campaign=world.campaign).delete()
    recompute_task.enqueue(world.campaign.pk)
    # The first statement on the stored figures, inside the recompute's transaction.
    with lost_at(UnitTotals._meta.db_table, nth=1) as hit:
        assert run_queued_tasks() == 1
    assert hit, "the fault was not injected"
    task = DBTaskResult.objects.get()
    assert (task.status, task.return_value) == ("SUCCESSFUL", len(expected))
    stored = {
        t.enrollment_id: (t.composite, t.rank)
        for t in UnitTotals.objects.filter(campaign=world.campaign)
    }
    assert stored == expected
