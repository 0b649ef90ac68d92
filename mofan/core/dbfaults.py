"""A lost database connection answered gracefully: retried once when safe, else 503.

A connection is "lost" when the server went away under it (a restart, a failover, a killed
backend, a network blip) or cannot be reached at all; not when the server refused one statement
(a lock or statement timeout, a deadlock, a serialisation failure, bad data), which are answered
as before. On PostgreSQL the SQLSTATE says which: class 08 (connection exception) and 57P01-03
(admin shutdown, crash shutdown, cannot connect now); an error with no SQLSTATE counts as lost
when the driver's connection is closed or broken afterwards. On SQLite the only equivalent is a
closed connection.

`DatabaseFaultMiddleware` (settings.MIDDLEWARE, above the session) catches such an error raised
by a view (`process_exception`; `mark_if_lost` does the same for one raised by a middleware below
it, called from the 500 handler), closes the broken connection and then:

* GET and HEAD, when nothing was committed yet: runs the request once more on a fresh
  connection, after a short pause (MOFAN_DB_RETRY_DELAY_MS) that lets a restarting server come
  back;
* any other method, or a retry that fails again: answers 503 with Retry-After and the Chinese
  page `503.html`, or, for an htmx request, the partial `core/_unavailable.html`, inserted before
  the element that sent the request (HX-Retarget: this, HX-Reswap: beforebegin) so that the form
  and what was typed in it stay. A write is never replayed: every service writes in one
  transaction (`transaction.atomic`), which the lost connection rolled back, so the user's
  resubmission is the only retry and cannot double it (and the versioned services refuse a
  stale one).

Whether the request had already committed a write when the connection went (a save that
committed, then lost the connection while reading what to show) is tracked: an execute wrapper
notes every INSERT, UPDATE or DELETE, as committed at once in autocommit or through
`transaction.on_commit` inside a transaction (the callback is dropped on rollback). Then the
request is not retried and the 503 says the change may well be saved and asks to reload and
check instead of submitting again. (A connection lost during COMMIT itself leaves the outcome
unknown to the server too; the page then says "not saved" and the versioned services refuse a
resubmission that would overwrite.)

The page is rendered without the request's context processors: they read the database.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connections,
    transaction,
)
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)
T = TypeVar("T")

# SQLSTATEs of a lost connection besides class 08: admin_shutdown (pg_terminate_backend, a fast
# shutdown), crash_shutdown, cannot_connect_now (the server is starting).
LOST_STATES = frozenset({"57P01", "57P02", "57P03"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
_MARK = "_mofan_db_lost"
_RETRIED = "_mofan_db_retried"
_COMMITTED = "_mofan_db_committed"
WRITES = ("INSERT", "UPDATE", "DELETE")


def _raw_closed(alias: str) -> bool:
    """Whether the driver's connection of `alias` is gone (never opened, closed or broken)."""
    raw = connections[alias].connection
    if raw is None:
        return True
    closed = getattr(raw, "closed", None)  # psycopg: a bool (3) or an int (2)
    if closed is not None:
        return bool(closed) or bool(getattr(raw, "broken", False)) or _stuck(raw)
    try:  # sqlite3: any attribute read on a closed connection raises ProgrammingError
        raw.total_changes  # noqa: B018
    except Exception:
        return True
    return False


def _stuck(raw: Any) -> bool:
    """Whether libpq holds `raw` as busy with a command nobody is reading, or cannot tell its
    state. A synchronous driver never leaves a command running, so after a failed statement this
    means the connection is gone: when the server ends the backend just as a query is sent,
    libpq can fail the send ("sending query failed: terminating connection due to administrator
    command", no SQLSTATE) and keep the command as in progress, the socket not yet marked bad;
    every later query is refused with "another command is already in progress"."""
    status = getattr(getattr(raw, "info", None), "transaction_status", None)
    return getattr(status, "name", None) in {"ACTIVE", "UNKNOWN"}


_LOST_AT = "mofan_lost_alias"


def note_loss(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """An execute wrapper that notes on the error, at the failing statement, that its
    connection was gone. Judged later, the connection may already look healthy: Django closes it
    when the rollback fails, and the next query (a savepoint's release, the audit's) opens a
    fresh one."""
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError, ProgrammingError) as exc:
        alias = context["connection"].alias
        if _raw_closed(alias):
            setattr(exc, _LOST_AT, alias)
        raise


def lost_alias(exc: BaseException) -> str | None:
    """The alias whose connection `exc` says was lost, or None when it is no such error."""
    if not isinstance(exc, (OperationalError, InterfaceError, ProgrammingError)):
        return None
    noted = getattr(exc, _LOST_AT, None)
    if noted is not None:
        return str(noted)
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate and not (sqlstate.startswith("08") or sqlstate in LOST_STATES):
        return None
    # The connection the error came through, when Django still flags it (errors_occurred; a
    # rollback that closed the broken connection may have reset it), else any.
    flagged = [alias for alias in connections if connections[alias].errors_occurred]
    for alias in flagged or list(connections):
        if sqlstate or isinstance(exc, InterfaceError) or _raw_closed(alias):
            return alias
    return None


def _close(alias: str) -> None:
    connection = connections[alias]
    with contextlib.suppress(DatabaseError):
        connection.close()
    # close() inside an atomic block keeps the wrapper's state for the rollback: drop the
    # broken handle so that the next query opens a fresh connection.
    if connection.connection is not None and _raw_closed(alias):
        connection.connection = None


def mark_if_lost(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """When `exc` is a lost connection: note it on the request, close the connection, and return
    a placeholder response (the middleware replaces it); else None."""
    alias = lost_alias(exc) if exc is not None else None
    if alias is None:
        return None
    setattr(request, _MARK, alias)
    _close(alias)
    logger.warning(
        "database connection lost (%s) during %s %s: %s",
        alias,
        request.method,
        request.path,
        str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
    )
    response = HttpResponse(status=503)
    response._has_been_logged = True  # type: ignore[attr-defined]  # no "Internal Server Error"
    return response


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer: the page, or for htmx the message placed before the sending element."""
    retry_after = str(settings.MOFAN_DB_RETRY_AFTER_SECONDS)
    unsafe = request.method not in SAFE_METHODS
    committed = bool(getattr(request, _COMMITTED, False))
    context = {"unsafe": unsafe, "committed": committed, "retry_after": retry_after}
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(render_to_string("core/_unavailable.html", context), status=503)
        response["HX-Retarget"] = "this"
        response["HX-Reswap"] = "beforebegin"
    else:
        response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # type: ignore[attr-defined]  # mark_if_lost logged it
    return response


class DatabaseFaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._tracked(request)
        if getattr(request, _MARK, None) is None:
            return response
        if (
            request.method in SAFE_METHODS
            and not getattr(request, _RETRIED, False)
            and not getattr(request, _COMMITTED, False)
        ):
            setattr(request, _RETRIED, True)
            delattr(request, _MARK)
            delay = settings.MOFAN_DB_RETRY_DELAY_MS / 1000
            if delay > 0:
                time.sleep(delay)
            response = self._tracked(request)
            if getattr(request, _MARK, None) is None:
                logger.info("%s %s answered on a fresh connection", request.method, request.path)
                return response
        return unavailable(request)

    def _tracked(self, request: HttpRequest) -> HttpResponse:
        """The response, with every committed write of the request noted on it."""

        def committed() -> None:
            setattr(request, _COMMITTED, True)

        def track(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            result = note_loss(execute, sql, params, many, context)
            if sql.lstrip()[:6].upper() in WRITES:
                connection = context["connection"]
                if connection.in_atomic_block:
                    transaction.on_commit(committed, using=connection.alias)
                else:
                    committed()
            return result

        with contextlib.ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(track))
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return mark_if_lost(request, exception)


# --- background tasks ----------------------------------------------------------------------

# Refusals that say "not now" rather than "never": the whole transaction was rolled back and the
# same work may simply be done again. SQLite's busy/locked (a writer held the lock beyond the
# busy timeout; a shared-cache database reports table locks at once), PostgreSQL's
# serialization_failure and deadlock_detected.
_SQLITE_LOCKS = ("database is locked", "database table is locked")
_RETRY_STATES = frozenset({"40001", "40P01"})


def transient_alias(exc: BaseException) -> str | None:
    """The alias of the connection `exc` came through when it is a transient fault (a lost
    connection, a lock or a serialisation conflict), else None."""
    alias = lost_alias(exc)
    if alias is not None:
        return alias
    if _driver_error(exc) and not isinstance(exc, DatabaseError):
        # Raised by the driver past Django's wrapper: a cursor closed after the failed statement
        # on a connection that is gone (sqlite3 on a closed database).
        for name in connections:
            if connections[name].connection is not None and _raw_closed(name):
                return name
        return None
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in _RETRY_STATES or any(text in str(exc).lower() for text in _SQLITE_LOCKS):
        flagged = [a for a in connections if connections[a].errors_occurred]
        return (flagged or ["default"])[0]
    return None


def _driver_error(exc: BaseException) -> bool:
    drivers = (getattr(connections[name], "Database", None) for name in connections)
    return any(isinstance(exc, driver.Error) for driver in drivers if driver is not None)


def backoff_delays(attempts: int, *, base: float, cap: float) -> list[float]:
    """The pauses between `attempts` tries: base, 2×base, 4×base … at most `cap` each."""
    return [min(cap, base * 2**n) for n in range(max(0, attempts - 1))]


def retry_transient(
    operation: Callable[[], T],
    *,
    what: str,
    attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `operation` (a whole unit of work: one transaction, or work made only of such) and,
    when a transient fault interrupts it, close the broken connection, wait and run it again,
    with exponentially growing pauses (settings.MOFAN_TASK_RETRY_*). What is not transient, or
    the last attempt's fault, is raised as it came.

    Used by the background tasks (issue 22 point 1). Not inside a caller's transaction when the
    connection was lost: that transaction is gone and only its owner may start it again."""
    tries = settings.MOFAN_TASK_RETRY_ATTEMPTS if attempts is None else attempts
    delays = backoff_delays(
        tries,
        base=settings.MOFAN_TASK_RETRY_BASE_SECONDS,
        cap=settings.MOFAN_TASK_RETRY_MAX_SECONDS,
    )
    for attempt in range(tries):
        try:
            with contextlib.ExitStack() as stack:
                for name in connections:
                    stack.enter_context(connections[name].execute_wrapper(note_loss))
                return operation()
        except Exception as exc:
            alias = transient_alias(exc)
            if alias is None or attempt == tries - 1:
                raise
            lost = lost_alias(exc) is not None
            if lost and connections[alias].in_atomic_block:
                raise
            if lost:
                _close(alias)
            logger.warning(
                "%s: transient database fault (%s), attempt %d of %d, again in %.1f s: %s",
                what,
                alias,
                attempt + 1,
                tries,
                delays[attempt],
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            )
            sleep(delays[attempt])
    raise AssertionError("unreachable")
