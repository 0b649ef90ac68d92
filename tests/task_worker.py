"""Run the tasks queued in the database, here and now, with the real worker of django-tasks-db.

Tests enqueue tasks exactly as production does (the database backend, on commit) and then run
`run_queued_tasks()`: the same `Worker` that `manage.py db_worker` runs, in batch mode (take
queued tasks one by one, with the same claim, until none is left), in this process. In-process
so that what a test registers (a stub export, a stub renderer) is what the task sees, and so
that it works inside a test's transaction on both databases. The one change is that the worker
does not recycle the test's database connection between tasks (`close_old_connections` would
drop a connection that is inside the test's transaction); the transactional tests in
tests/core/test_tasks_engine.py run the unmodified `db_worker` command as well.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.db import OperationalError, connection, connections
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult


def run_queued_tasks(*, worker_id: str = "test-worker") -> int:
    """Run every task ready in the queue; how many ran."""
    worker = db_worker.Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    with _keep_connection():
        worker.run()
    return worker._run_tasks


@contextmanager
def _keep_connection() -> Iterator[None]:
    if not connection.in_atomic_block:
        yield
        return
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        yield


def queued_task_count() -> int:
    return DBTaskResult.objects.ready().count()


@contextmanager
def background_worker(*, poll: float = 0.1) -> Iterator[None]:
    """The database worker in a thread of this process for the duration (browser tests: the
    live server's requests enqueue, the worker runs what they queued), polling as
    `manage.py db_worker` does. Stopped and joined on exit."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    # Look before taking: the worker's claim is an exclusive transaction, which
                    # on the suite's shared-cache SQLite would refuse the live server's writes
                    # at once; a plain read of the queue table stays out of their way.
                    if DBTaskResult.objects.ready().exists():
                        run_queued_tasks(worker_id="test-background")
                except OperationalError as exc:
                    # The suite's shared-cache in-memory SQLite reports a lock at once where a
                    # database file waits in its busy timeout: try again, as the worker does.
                    if "locked" not in str(exc):
                        raise
                stop.wait(poll)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="test-db-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive(), "the task worker did not stop"
    assert not failures, failures
