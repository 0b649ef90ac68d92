"""The register's serials under concurrent issues, on committed data: threads taking numbers at
the same moment each get a different one, with no gaps, and a transaction that fails after
taking its number gives it back.

On PostgreSQL the threads run in this process (transactional tests). SQLite's test database is
in memory with a shared cache, whose table locks ignore the busy timeout, so on SQLite the same
race runs in `manage.py shell` on a migrated file database (tests/migrated.py) with the
production connection options (IMMEDIATE transactions, busy timeout)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from mofan.reports import issuing
from mofan.reports.models import DocumentRegister, DocumentSerial
from tests.childenv import child_env
from tests.factories import CommitteeFactory
from tests.migrated import sqlite_copy
from tests.reports.issuing_race import race

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = {f"焦直文〔2026〕{k}号" for k in (1, 2, 3, 4)}


def _check(got: list, failed: list) -> None:
    assert sorted(serial for _n, serial in got) == [1, 2, 3, 4]
    assert {n for n, _s in got} == NUMBERS
    assert failed.count(None) == 1
    assert sorted(s[1] for s in failed if s) == [1, 2, 3]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="in-memory SQLite: see the docstring")
@pytest.mark.django_db(transaction=True)
def test_racing_issues_get_distinct_serials_without_gaps(audit_triggers_lifted):
    committee = CommitteeFactory()
    DocumentRegister.objects.create(committee=committee, prefix="焦直文")
    got = race(committee.pk)  # the year's counter does not exist yet: all four create it
    assert DocumentSerial.objects.get(register__committee=committee, year=2026).last == 4
    other = CommitteeFactory()
    DocumentRegister.objects.create(committee=other, prefix="焦直文")
    failed = race(other.pk, failing=1)
    _check(got, failed)
    assert DocumentSerial.objects.get(register__committee=other, year=2026).last == 3


SCRIPT = """
import json
from mofan.reports.models import DocumentRegister, DocumentSerial
from tests.factories import CommitteeFactory
from tests.reports.issuing_race import race
a, b = CommitteeFactory(), CommitteeFactory()
for c in (a, b):
    DocumentRegister.objects.create(committee=c, prefix="焦直文")
got, failed = race(a.pk), race(b.pk, failing=1)
last = [DocumentSerial.objects.get(register__committee=c).last for c in (a, b)]
print("RESULT" + json.dumps({"got": got, "failed": failed, "last": last}))
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL: tested in process")
def test_racing_issues_on_a_sqlite_file(tmp_path):
    env = child_env(
        MOFAN_ENV="development",
        MOFAN_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{sqlite_copy(tmp_path / 'race.sqlite3')}",
        MOFAN_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )

    def manage(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    out = manage("shell", stdin=SCRIPT)
    result = json.loads(out.split("RESULT", 1)[1])
    _check(result["got"], result["failed"])
    assert result["last"] == [4, 3]


@pytest.mark.django_db(transaction=True)
def test_a_number_is_taken_only_inside_a_transaction(audit_triggers_lifted):
    committee = CommitteeFactory()
    DocumentRegister.objects.create(committee=committee, prefix="焦直文")
    with pytest.raises(RuntimeError):
        issuing.number_next(committee=committee, year=2026)
    assert not DocumentSerial.objects.exists()
