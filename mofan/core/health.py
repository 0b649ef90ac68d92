"""Health endpoints for the load balancer and monitoring: `/healthz` and `/readyz`.

`/healthz` (liveness) says only that the process answers: no database, no file system. A load
balancer restarts or drops a backend that fails it.

`/readyz` (readiness) runs every registered readiness check and answers 200 when all pass, 503
when one fails. Core registers its own (the database answers, the media directory is writable,
clamd answers when one is configured, a task worker serves the queue: `check_task_worker`);
another app contributes a check from its AppConfig.ready or its `extensions.py` with
`readiness_checks.register(ReadinessCheck(...))`, or for something that must have been seen
lately `seen_recently(...)`, so core names no app.

Both answer JSON with the names of the checks and "ok" or a short reason, never data. They are
answered by `HealthMiddleware`, first in the chain: no session, no login, no CSRF (GET), no
host check (a probe may use the backend's address), no HTTPS redirect, no rate limit.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from mofan.core.extensions import Registry

logger = logging.getLogger(__name__)

LIVENESS_PATHS = frozenset({"/healthz", "/healthz/"})
READINESS_PATHS = frozenset({"/readyz", "/readyz/"})


class NotReady(Exception):
    """Raised by a readiness check with a short reason (no data: a reason a probe may log)."""


@dataclass(frozen=True)
class ReadinessCheck:
    """A named check `/readyz` runs: `run()` returns when ready, raises NotReady (or any
    exception, reported by its class name only) when not. `run()` may return a short status
    string instead of "ok" (e.g. "not configured")."""

    name: str
    run: Callable[[], str | None]


readiness_checks: Registry[ReadinessCheck] = Registry("readiness_checks")


def seen_recently(
    name: str, last_seen: Callable[[], datetime | None], *, max_age_seconds: float
) -> ReadinessCheck:
    """A check that something was seen lately, e.g. a task worker's last heartbeat or finished
    task: `last_seen()` returns when (aware datetime) or None for never. An app registers it:
    `readiness_checks.register(seen_recently("tasks", worker_last_seen, max_age_seconds=300))`."""

    def run() -> None:
        seen = last_seen()
        if seen is None:
            raise NotReady("never seen")
        age = (timezone.now() - seen).total_seconds()
        if age > max_age_seconds:
            raise NotReady(f"not seen for {int(age)} s")

    return ReadinessCheck(name, run)


# --- core's own checks ---------------------------------------------------------------------------
def check_database() -> None:
    for alias in connections:
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as exc:
            # A broken connection is not reused by the next request.
            with contextlib.suppress(DatabaseError):
                connection.close()
            raise NotReady(f"{alias}: unreachable") from exc


def media_writable(root: Path | None = None) -> None:
    """Create, write, flush and remove a small file in the media directory; NotReady when that
    fails (missing and not creatable, read-only, full, no permission)."""
    directory = Path(root if root is not None else settings.MEDIA_ROOT)
    try:
        directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".readyz-", suffix=".part", dir=directory)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(name)
    except OSError as exc:
        reason = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise NotReady(f"not writable ({reason})") from exc


def check_clamav() -> str | None:
    from mofan.core import malware

    if not malware.configured():
        return "not configured"
    try:
        answered = malware.ping()
    except malware.ScannerUnavailable as exc:
        raise NotReady("unreachable") from exc
    if not answered:
        raise NotReady("unexpected answer")
    return None


def check_task_worker() -> str | None:
    """A task worker is serving the queue: no task ready to run has waited longer than
    `MOFAN_READY_TASK_WAIT_SECONDS` (0: not checked). django-tasks-db keeps no heartbeat; a
    worker that is alive takes a ready task within its polling interval, so a long-waiting one
    is the sign that none runs. An empty queue needs no worker ("idle")."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    limit = settings.MOFAN_READY_TASK_WAIT_SECONDS
    if limit <= 0:
        return "not checked"
    cutoff = timezone.now() - timedelta(seconds=limit)
    ready = DBTaskResult.objects.ready()
    waiting = ready.filter(enqueued_at__lte=cutoff).filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=cutoff)
    )
    if waiting.exists():
        raise NotReady(f"a task has waited over {limit} s")
    return None if ready.exists() else "idle"


readiness_checks.register(ReadinessCheck("database", check_database))
readiness_checks.register(ReadinessCheck("media", lambda: media_writable()))
readiness_checks.register(ReadinessCheck("clamav", check_clamav))
readiness_checks.register(ReadinessCheck("tasks", check_task_worker))


def readiness() -> tuple[bool, dict[str, str]]:
    """Run every check: (all passed, {name: "ok" or the reason})."""
    results: dict[str, str] = {}
    ready = True
    for check in readiness_checks:
        try:
            status = check.run()
        except NotReady as exc:
            ready = False
            results[check.name] = str(exc) or "not ready"
        except Exception as exc:
            ready = False
            results[check.name] = type(exc).__name__
            logger.warning("readiness check %s failed", check.name, exc_info=True)
        else:
            results[check.name] = status or "ok"
    if not ready:
        logger.warning("not ready: %s", results)
    return ready, results


def _answer(ready: bool, checks: dict[str, str] | None = None) -> HttpResponse:
    body: dict[str, object] = {"status": "ok" if ready else "unavailable"}
    if checks is not None:
        body["checks"] = checks
    response = JsonResponse(body, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    # readiness() logged the failing checks once; not Django's "Service Unavailable" per probe
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class HealthMiddleware:
    """Answers `/healthz` and `/readyz` before anything else runs (first in MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path in LIVENESS_PATHS or path in READINESS_PATHS:
            if request.method not in ("GET", "HEAD"):
                response = HttpResponse(status=405)
                response["Allow"] = "GET, HEAD"
                return response
            if path in LIVENESS_PATHS:
                return _answer(True)
            return _answer(*readiness())
        return self.get_response(request)
