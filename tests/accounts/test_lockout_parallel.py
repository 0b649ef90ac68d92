"""Password guesses in parallel against a real server (gunicorn, 2 workers x 4 threads, its own
database): at most the configured number of guesses (5) are evaluated in a window, for the
login form, re-authentication and the old-password check of a password change, and the right
password sent after them is refused by the lock.

Each guess is counted by the audit entry the server writes when it has evaluated one
(`account.login.failed`, `account.reauth` or `account.password.change` with result failure).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.realserver import Browser, RealServer, real_server

PASSWORD = "Test-Passw0rd!"
WRONG = "Wrong-Passw0rd!"
NEW = "Brand-New-Passw0rd#2"
PARALLEL = 30
LIMIT = 5  # MOFAN_LOCKOUT_THRESHOLD's default

SETUP = """
from tests.factories import UnitFactory, CommitteeFactory, make_user
from mofan.accounts.roles import Role
committee = CommitteeFactory(code="parallel")
unit = UnitFactory(committee=committee)
for name in ("guess-login", "guess-reauth", "guess-password"):
    make_user(Role.UNIT_ADMIN, unit=unit, username=name)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[RealServer]:
    with real_server(SETUP) as instance:
        yield instance


def _in_parallel(make: Callable[[], Browser], path: str, data: dict[str, str]) -> list[int]:
    """Prepare PARALLEL clients (each with the form's CSRF token), then post at once."""
    barrier = threading.Barrier(PARALLEL)

    def one(_: int) -> int:
        browser = make()
        token = browser.get(path).csrf
        barrier.wait(timeout=120)
        return browser.post(path, {"csrfmiddlewaretoken": token, **data}).status

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(one, range(PARALLEL)))


def _audited(server: RealServer, action: str, username: str, result: str) -> int:
    rows = server.sql(
        "SELECT count(*) FROM audit_auditentry WHERE action = %s AND actor_name = %s "
        "AND result = %s",
        (action, username, result),
    )
    return int(rows[0][0])


def _logged_in(server: RealServer, username: str) -> Browser:
    browser = Browser(server.port)
    answer = browser.form_post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert answer.status == 302, answer.body[:500]
    return browser


def test_parallel_login_guesses_are_capped_and_the_lock_holds(server):
    user = "guess-login"

    statuses = _in_parallel(
        lambda: Browser(server.port), "/accounts/login/", {"username": user, "password": WRONG}
    )
    assert all(status == 400 for status in statuses), statuses
    evaluated = _audited(server, "account.login.failed", user, "failure")
    assert 1 <= evaluated <= LIMIT, f"{evaluated} guesses evaluated against a limit of {LIMIT}"

    time.sleep(0.6)
    late = Browser(server.port)
    answer = late.form_post("/accounts/login/", {"username": user, "password": PASSWORD})
    assert answer.status == 400
    assert "已被锁定" in answer.body
    assert _audited(server, "account.login.success", user, "success") == 0


def test_parallel_reauthentication_guesses_are_capped(server):
    user = "guess-reauth"
    session = _logged_in(server, user)

    _in_parallel(
        lambda: Browser(server.port, dict(session.cookies)),
        "/accounts/reauth/",
        {"password": WRONG},
    )
    evaluated = _audited(server, "account.reauth", user, "failure")
    assert 1 <= evaluated <= LIMIT, f"{evaluated} guesses evaluated against a limit of {LIMIT}"

    time.sleep(0.6)
    fresh = _logged_in_or_refused(server, user)
    assert fresh is None, "the account should be locked after the re-authentication guesses"
    assert _audited(server, "account.reauth", user, "success") == 0


def test_parallel_old_password_guesses_are_capped(server):
    user = "guess-password"
    session = _logged_in(server, user)

    _in_parallel(
        lambda: Browser(server.port, dict(session.cookies)),
        "/accounts/password/",
        {"old_password": WRONG, "new_password1": NEW, "new_password2": NEW},
    )
    evaluated = _audited(server, "account.password.change", user, "failure")
    assert 1 <= evaluated <= LIMIT, f"{evaluated} guesses evaluated against a limit of {LIMIT}"

    time.sleep(0.6)
    # The lock ended the session, and the right password does not open a new one.
    assert session.get("/accounts/password/").status == 302
    assert _logged_in_or_refused(server, user) is None
    assert _audited(server, "account.password.change", user, "success") == 0


def _logged_in_or_refused(server: RealServer, username: str) -> Browser | None:
    browser = Browser(server.port)
    answer = browser.form_post("/accounts/login/", {"username": username, "password": PASSWORD})
    return browser if answer.status == 302 else None
