"""`/healthz` and `/readyz`: JSON, no data, 200 or 503, answered to anyone (no login, no
session, any Host a probe uses) and never touching the database for liveness."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mofan.core import health
from mofan.core.extensions import Registry


def _json(response) -> dict:
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return json.loads(response.content)


@pytest.fixture
def media_dir(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_healthz_answers_without_the_database_or_a_login(db):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert _json(response) == {"status": "ok"}
    assert len(queries) == 0
    # A probe may use the backend's own address as Host; HEAD works too.
    assert Client().head("/healthz/", headers={"host": "10.1.2.3:8000"}).status_code == 200


def test_readyz_reports_each_check_by_name_and_nothing_else(db, media_dir):
    response = Client().get("/readyz", headers={"host": "10.1.2.3:8000"})
    assert response.status_code == 200
    body = _json(response)
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["media"] == "ok"
    assert body["checks"]["clamav"] == "not configured"
    assert body["checks"]["tasks"] == "idle"
    # the check's probe file is gone
    assert list(media_dir.iterdir()) == []


def test_readyz_says_503_when_media_is_not_writable(db, settings, tmp_path):
    # Tests may run as root, which chmod cannot stop: a media directory whose parent is a plain
    # file can be neither created nor written, by anyone (ENOTDIR), as on a failed mount.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = str(blocker / "media")
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = _json(response)
    assert body["status"] == "unavailable"
    assert body["checks"]["media"].startswith("not writable")
    assert body["checks"]["database"] == "ok"


def test_readyz_says_503_when_clamd_is_configured_but_silent(db, media_dir, settings, tmp_path):
    # A unix socket nobody listens on: connection refused.
    settings.MOFAN_CLAMD_SOCKET = str(tmp_path / "clamd.sock")
    settings.MOFAN_CLAMD_TIMEOUT = 1
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert _json(response)["checks"]["clamav"] == "unreachable"


def test_readyz_asks_a_running_clamd(db, media_dir, settings, clamd_socket):
    settings.MOFAN_CLAMD_SOCKET = str(clamd_socket)
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert _json(response)["checks"]["clamav"] == "ok"


def test_readyz_says_503_when_the_database_is_unreachable(
    db, settings, media_dir, django_db_blocker
):
    # A port nobody listens on (PostgreSQL), or a database file that cannot be opened (SQLite),
    # on a second alias, so that the test's own connection is left alone.
    from django.db import connections

    entry = dict(connections.settings["default"])
    if entry["ENGINE"].endswith("postgresql"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        entry.update(PORT=str(port), OPTIONS={"connect_timeout": 2})
    else:
        entry.update(NAME=str(media_dir.parent / "missing-dir" / "db.sqlite3"), OPTIONS={})
    connections.settings["unreachable"] = entry
    try:
        with django_db_blocker.unblock():  # the test database alone is allowed otherwise
            response = Client().get("/readyz")
    finally:
        connections["unreachable"].close()
        del connections.settings["unreachable"]
        del connections["unreachable"]
    assert response.status_code == 503
    assert _json(response)["checks"]["database"] == "unreachable: unreachable"


def test_an_app_contributes_a_check_and_its_failure_is_named_without_detail(
    db, media_dir, monkeypatch
):
    checks: Registry[health.ReadinessCheck] = Registry("readiness_checks")
    for check in health.readiness_checks:
        checks.register(check)

    def worker_seen() -> None:
        raise health.NotReady("not seen for 300 s")

    def crashing() -> None:
        raise RuntimeError("secret row content")

    checks.register(health.ReadinessCheck("tasks", worker_seen))
    checks.register(health.ReadinessCheck("other", crashing))
    monkeypatch.setattr(health, "readiness_checks", checks)
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = _json(response)
    assert body["checks"]["tasks"] == "not seen for 300 s"
    assert body["checks"]["other"] == "RuntimeError"
    assert "secret" not in response.content.decode()


def test_a_worker_not_seen_recently_makes_readyz_503(db, media_dir, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    seen = {"at": timezone.now() - timedelta(seconds=30)}
    checks: Registry[health.ReadinessCheck] = Registry("readiness_checks")
    for check in health.readiness_checks:
        checks.register(check)
    checks.register(health.seen_recently("tasks", lambda: seen["at"], max_age_seconds=120))
    monkeypatch.setattr(health, "readiness_checks", checks)
    response = Client().get("/readyz")
    assert response.status_code == 200 and _json(response)["checks"]["tasks"] == "ok"
    seen["at"] = timezone.now() - timedelta(seconds=600)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert _json(response)["checks"]["tasks"].startswith("not seen for 6")
    seen["at"] = None
    assert _json(Client().get("/readyz"))["checks"]["tasks"] == "never seen"


def test_readyz_says_503_when_no_worker_takes_a_ready_task(db, media_dir, settings):
    """A real task in the real queue: waiting briefly is normal, waiting over the limit means
    no worker serves the queue; a task scheduled for later does not count until it is due."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from mofan.evaluations.tasks import recompute_task

    settings.MOFAN_READY_TASK_WAIT_SECONDS = 600
    recompute_task.enqueue(1)
    response = Client().get("/readyz")
    assert response.status_code == 200 and _json(response)["checks"]["tasks"] == "ok"
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(seconds=601))
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert _json(response)["checks"]["tasks"] == "a task has waited over 600 s"
    # Scheduled to run only a minute ago: not yet overdue.
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=60))
    assert Client().get("/readyz").status_code == 200
    settings.MOFAN_READY_TASK_WAIT_SECONDS = 0
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=6000))
    response = Client().get("/readyz")
    assert response.status_code == 200 and _json(response)["checks"]["tasks"] == "not checked"


def test_health_refuses_writes(db):
    assert Client().post("/healthz").status_code == 405
    assert Client().post("/readyz").status_code == 405
