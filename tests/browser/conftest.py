"""Browser-test fixtures: one headless Debian Chromium per session, a fresh context per test.

Chromium comes from Debian (/usr/bin/chromium), never from `playwright install`: `make test`
installs it through scripts/system_deps.sh.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps calling outside hosts, which the closed network refuses.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


class _Chromium:
    """One Chromium for the whole session, started on first use, stopped after the last test
    that uses it.

    Playwright's sync API runs its own asyncio event loop in the test's thread (switching to it
    through greenlets) and marks that loop as running between its calls. Django's async-safety
    guard then sees a running loop and refuses ORM calls from the test thread (factories,
    assertions, the database flush after each test) with SynchronousOnlyOperation, although
    nothing ever runs concurrently: the loop is idle whenever test code runs. Setting
    DJANGO_ALLOW_ASYNC_UNSAFE is the known requirement when combining pytest-django with
    Playwright's sync API. The live server handles requests in threads of its own, without a
    loop, so the application code stays checked.

    It is set only while Chromium runs, not when this conftest is imported: the variable is
    inherited by subprocesses, and `manage.py check --deploy` run by other tests rightly fails
    on it (async.E001).
    """

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None
        self._env_before: str | None = None

    def get(self) -> Any:
        if self._browser is not None:
            return self._browser
        if not os.path.exists(CHROMIUM):
            pytest.fail(
                f"Chromium is missing at {CHROMIUM}. The browser tests need Debian's chromium and "
                "fonts-noto-cjk: run `make test`, which installs them via "
                "scripts/system_deps.sh (never `playwright install`).",
                pytrace=False,
            )
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:  # pragma: no cover - the dev extra pins playwright
            pytest.fail(
                "Playwright for Python is not installed: run `make test` (it installs .[dev]).",
                pytrace=False,
            )
        self._env_before = os.environ.get(ASYNC_UNSAFE)
        os.environ[ASYNC_UNSAFE] = "true"
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        except BaseException:
            self.stop()
            raise
        return self._browser

    def stop(self) -> None:
        if self._playwright is None:
            return
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._playwright.stop()
            self._playwright = self._browser = None
            if self._env_before is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self._env_before


_chromium = _Chromium()


@pytest.fixture
def browser() -> _Chromium:
    """Chromium, through `browser.get()`: started at the first call, so that a missing Chromium
    fails the test itself (FAILED, not a setup ERROR, and never a skip)."""
    return _chromium


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    # After this test's fixtures are gone (its database flush included): stop Chromium when no
    # browser test follows, so that later tests run without Playwright's loop and the variable.
    if nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ()):
        _chromium.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _chromium.stop()


@pytest.fixture(scope="module", autouse=True)
def _audit_triggers_lifted(audit_triggers_lifted: None) -> None:
    """The live server needs committed data, so these tests are transactional: the audit
    table's triggers are lifted while this package's modules run (tests/conftest.py)."""


@pytest.fixture(autouse=True)
def _task_worker(request: pytest.FixtureRequest) -> Iterator[None]:
    """What a page enqueues (an export, an approval) is run as in `make run`: the django-tasks
    database worker polls the queue, here in a thread of the test process (tests/task_worker.py),
    while a test with the live server runs."""
    if "live_server" not in request.fixturenames:
        yield
        return
    from tests.task_worker import background_worker

    with background_worker():
        yield


@dataclass
class BrowserLog:
    """Console messages and uncaught page errors of every context a test opened."""

    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    broken_assets: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def new_page(browser: _Chromium, browser_log: BrowserLog) -> Iterator[Callable[..., Any]]:
    """Open a page in a new browser context (zh-CN, downloads allowed); all closed afterwards.

    After the test, no page may have reported a Content Security Policy violation or an uncaught
    JavaScript error, and every stylesheet and script under /static/ must have loaded.
    """
    contexts: list[Any] = []

    def open_page(**options: Any) -> Any:
        context = browser.get().new_context(locale="zh-CN", accept_downloads=True, **options)
        context.set_default_timeout(10_000)
        context.on("console", lambda msg: browser_log.console.append(f"{msg.type}: {msg.text}"))
        context.on("weberror", lambda err: browser_log.page_errors.append(str(err.error)))
        context.on("response", lambda r: _note_broken_asset(r, browser_log))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not browser_log.broken_assets, (
        f"static assets failed to load (is mofan/static in STATICFILES_DIRS?): "
        f"{sorted(set(browser_log.broken_assets))}"
    )
    assert not browser_log.csp_violations(), browser_log.csp_violations()
    assert not browser_log.page_errors, browser_log.page_errors


def _note_broken_asset(response: Any, log: BrowserLog) -> None:
    if "/static/" in response.url and response.status >= 400:
        log.broken_assets.append(f"{response.status} {response.url}")


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    def take(page: Any, name: str) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
