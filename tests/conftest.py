"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests check results, not speed: on a loaded machine (CI, parallel runs) generating
# inputs may be slow, which is no defect of the code under test.
hypothesis_settings.register_profile(
    "mofan", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("mofan")

# Python's cyclic garbage collector, at its default thresholds (700, 10, 10), ran about 11,600
# young and 54 full collections during tests/evaluations (371 tests), 10.8 s of its 67.8 s,
# 9.2 s of it the full ones, each walking every object the session holds (Django, the migrated
# apps, every test module). With the young generation collected every 50,000 allocations and the
# old ones more rarely, it ran 75 times for 2.8 s and the run took 60.4 s; tests/reports with
# tests/accounts 85-87 s against 89-91 s. (Freezing the heap after the database set-up, tried:
# 63.8 s.) Test processes only: the application keeps the defaults.
gc.set_threshold(50_000, 20, 20)


def pytest_configure(config: pytest.Config) -> None:
    # A fast hasher keeps the suite quick; production uses Django's PBKDF2 default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if os.environ.get("PYTEST_XDIST_WORKER") and not config.pluginmanager.has_plugin(
        "tests.workers"
    ):
        raise pytest.UsageError(
            "pytest-xdist workers need a var dir each: add `-p tests.workers` (make test does)"
        )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """SQLite: the test database is a file (in memory-backed /dev/shm where there is one) in
    WAL mode like production's, not Django's shared-cache in-memory database. Shared cache locks
    whole tables and reports "database table is locked" at once, without the busy timeout, so
    a browser test's page polled while the task worker wrote (an approval, an account batch)
    failed in ways production cannot. Under pytest-xdist each worker's PostgreSQL test database
    has its worker's suffix (pytest-django's parallel-suffix fixture, kept here)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(settings.VAR_DIR)
        database.setdefault("TEST", {})["NAME"] = str(base / f"mofan-test-{os.getpid()}.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """pytest-django's test database, and a copy of it as migrated, before any test wrote to
    it, kept as the template of the tests whose child processes need a database of their own
    (tests/migrated.py; not with --reuse-db, whose database may hold an earlier run's rows);
    and the cheaper flush after transactional tests (tests/fastflush.py)."""
    from django.db import connection

    from tests import fastflush
    from tests.migrated import keep_template

    with django_db_blocker.unblock():
        if not request.config.getoption("reuse_db", default=False):
            keep_template(connection)
        fastflush.install(connection)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass leaves out the tests that use no database (tests/passes.py)."""
    from tests.passes import deselect_database_free

    spared = deselect_database_free(config, items)
    if spared:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"PostgreSQL pass: {spared} tests that use no database ran in the SQLite pass "
                "and are left out here (MOFAN_TEST_EVERY_PASS=1 runs them too)."
            )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what one test counted there (the survey's
    per-address rate limit, the login lockout's counters) does not leak into the next."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _audit_anchor_in_tmp(settings, tmp_path):
    """`verify_audit` keeps its anchor in a file: one per test, never the repository's var/."""
    settings.MOFAN_AUDIT_ANCHOR_FILE = tmp_path / "audit.anchor"


@pytest.fixture(scope="module")
def audit_triggers_lifted(django_db_setup, django_db_blocker):
    """Lift the audit table's append-only triggers while a module's transactional tests run.

    pytest-django empties every table after a transactional test (DELETE on SQLite, TRUNCATE on
    PostgreSQL), which the triggers refuse for the audit rows the test wrote. They come back
    when the module ends, so other modules still run against them."""
    from django.db import connection

    from mofan.audit import triggers

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for statement in triggers.drop_sql(connection.vendor):
            cursor.execute(statement)
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for statement in triggers.create_sql(connection.vendor):
            cursor.execute(statement)
        connection.close()


@pytest.fixture
def committee(db):
    from tests.factories import CommitteeFactory

    return CommitteeFactory(name="焦作市直机关工委测试", code="test")


@pytest.fixture
def unit_a(committee):
    from tests.factories import UnitFactory

    return UnitFactory(committee=committee, name="甲单位", short_name="甲")


@pytest.fixture
def unit_b(committee):
    from tests.factories import UnitFactory

    return UnitFactory(committee=committee, name="乙单位", short_name="乙")


# --- the standard personas (tests/world.py): one account each, made on first use ---
def _persona_fixture(name: str, *units: str):
    """A fixture for the standard persona `name`, of the committee (and `units`, by fixture
    name: unit A's personas need `unit_a`, the outsider `unit_b`)."""

    def make(request, committee):
        from tests.world import persona

        return persona(name, committee=committee, **{u: request.getfixturevalue(u) for u in units})

    make.__doc__ = f"The standard persona {name!r} (tests/world.py)."
    return pytest.fixture(name=name)(make)


committee_admin = _persona_fixture("committee_admin")
committee_leader = _persona_fixture("committee_leader")
security_admin = _persona_fixture("security_admin")
auditor = _persona_fixture("auditor")
reviewer = _persona_fixture("reviewer")
unit_admin = _persona_fixture("unit_admin", "unit_a")  # the owner of unit A's data (联络员)
unit_leader = _persona_fixture("unit_leader", "unit_a")  # the owner's colleague
member = _persona_fixture("member", "unit_a")
outsider = _persona_fixture("outsider", "unit_b")  # unit B's 联络员: same committee


@pytest.fixture
def login(client):
    """Log a user in through the real login form (audit, session fields and all)."""
    from tests.factories import PASSWORD
    from tests.world import logged_in

    def do(user, password=PASSWORD):
        return logged_in(user, client, password=password)

    return do


# --- malware scanning: a real clamd with a signature database of our own (tests/clamd.py) ---
@pytest.fixture(scope="session")
def clamd_socket(tmp_path_factory):
    """One clamd for the session (started on first use); the path of its unix socket."""
    from tests.clamd import start_clamd

    yield from start_clamd(tmp_path_factory.mktemp("clamd"))


@pytest.fixture
def clamd(settings, clamd_socket):
    """Uploads in this test are scanned by the session's clamd, failing closed."""
    settings.MOFAN_CLAMD_SOCKET = str(clamd_socket)
    settings.MOFAN_CLAMD_HOST = ""
    settings.MOFAN_CLAMD_FAIL_CLOSED = True
    return clamd_socket
