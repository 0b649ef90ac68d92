"""Which of the two test passes (`make test` runs the suite on SQLite and on PostgreSQL side by
side) runs which tests.

* A test that builds its own SQLite database in a subprocess tests the same thing in both
  passes, so it runs once, in the SQLite pass (`sqlite_pass_only`), and the longer PostgreSQL
  pass is spared it.
* A test that asks for no database at all (no `django_db` mark, no fixture that opens the
  test database: pytest-django refuses such a test any query) gives the same answer on both,
  so the PostgreSQL pass leaves it out (`deselect_database_free`): it ran in the SQLite pass.
  A module that reaches a database by other means (a subprocess or server of its own given
  ``DATABASE_URL``, `tests.realserver`, a variant chosen by ``connection.vendor``) keeps all
  its tests in both passes; each decides for itself with its own skip. Set
  ``MOFAN_TEST_EVERY_PASS=1`` to run everything in the PostgreSQL pass too (for instance when
  running that pass alone).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

sqlite_pass_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="builds its own SQLite database; run once, in the SQLite pass",
)

# The fixtures through which a test reaches the test database (directly or by a fixture that
# depends on one of them, which pytest lists in `fixturenames` as well).
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
    }
)
# What a module that reaches a database of its own says in its source.
OWN_DATABASE = re.compile(r"DATABASE_URL|realserver|connection\.vendor|postgres", re.IGNORECASE)


def postgresql_pass() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


@cache
def _reaches_own_database(path: Path) -> bool:
    return bool(OWN_DATABASE.search(path.read_text(encoding="utf-8")))


def database_free(item: pytest.Item) -> bool:
    """The test neither asks for the test database nor sits in a module that reaches one."""
    if item.get_closest_marker("django_db") is not None:
        return False
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return False
    return not _reaches_own_database(Path(str(item.path)))


def deselect_database_free(config: pytest.Config, items: list[pytest.Item]) -> int:
    """In the PostgreSQL pass, leave out the database-free tests; returns how many."""
    if not postgresql_pass() or os.environ.get("MOFAN_TEST_EVERY_PASS") == "1":
        return 0
    spared = [item for item in items if database_free(item)]
    if spared:
        kept = set(map(id, spared))
        items[:] = [item for item in items if id(item) not in kept]
        config.hook.pytest_deselected(items=spared)
    return len(spared)
