"""Several processes writing to one SQLite file with the project's settings never see
"database is locked", and the audit chain stays whole.

Each transaction reads the chain tail and then appends (audit_record reads the last entry and
inserts the next): the read-then-write pattern that fails with SQLITE_BUSY under DEFERRED
transactions. The project opens SQLite transactions IMMEDIATE, in WAL mode, with a busy timeout.
Runs on a temporary SQLite file in every test run, whatever database the run itself uses.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from tests.childenv import child_env
from tests.migrated import sqlite_copy
from tests.passes import sqlite_pass_only

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")
AUDIT_KEY = secrets.token_urlsafe(32)
WORKERS = 4
TRANSACTIONS = 100

WORKER = """
import json, sys, time
from pathlib import Path
import django
django.setup()
from django.db import OperationalError, connection, transaction
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_record
worker, count, start = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
pragmas = {}
with connection.cursor() as cursor:
    for name in ("journal_mode", "synchronous", "secure_delete", "foreign_keys", "busy_timeout"):
        cursor.execute(f"PRAGMA {name}")
        pragmas[name] = cursor.fetchone()[0]
print("ready", flush=True)
while not start.exists():
    time.sleep(0.002)
written = locked = 0
errors = []
for i in range(count):
    try:
        with transaction.atomic():
            tail = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            entry = audit_record(action="test.concurrent", extra={"worker": worker, "i": i})
            if entry.id != tail + 1:
                errors.append(f"entry #{entry.id} after tail #{tail}")
        written += 1
    except OperationalError as exc:
        if "locked" in str(exc):
            locked += 1
        else:
            errors.append(repr(exc))
    except Exception as exc:
        errors.append(repr(exc))
print(json.dumps({"worker": worker, "written": written, "locked": locked, "errors": errors,
                  "pragmas": pragmas}))
"""

VERIFY = """
import json
import django
django.setup()
from mofan.audit.services import audit_verify
result = audit_verify()
print(json.dumps({"ok": result.ok, "count": result.count, "head_id": result.head_id,
                  "reason": result.reason}))
"""


def _env(tmp: Path, database: Path) -> dict[str, str]:
    env = child_env(
        DATABASE_URL=f"sqlite:///{database}",
        MOFAN_VAR_DIR=str(tmp / "var"),
        MOFAN_AUDIT_KEY=AUDIT_KEY,
        MOFAN_LOG_LEVEL="WARNING",
    )
    return env


def _python(args: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@sqlite_pass_only
def test_concurrent_read_then_write_transactions_never_lock_and_keep_the_chain(
    tmp_path: Path,
) -> None:
    database = sqlite_copy(tmp_path / "concurrency.sqlite3")
    env = _env(tmp_path, database)

    start = tmp_path / "start"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(n), str(TRANSACTIONS), str(start)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    try:
        for worker in workers:  # every worker has set up Django before anyone writes
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.stderr
        start.touch()
        outputs = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    reports = [json.loads(out) for out, _ in outputs]

    assert [r["locked"] for r in reports] == [0] * WORKERS, "database is locked"
    assert [r["errors"] for r in reports] == [[]] * WORKERS
    assert sum(r["written"] for r in reports) == WORKERS * TRANSACTIONS

    # Connections opened by Django with the project's settings.
    for report in reports:
        assert report["pragmas"] == {
            "journal_mode": "wal",
            "synchronous": 2,  # FULL
            "secure_delete": 1,
            "foreign_keys": 1,
            "busy_timeout": 20_000,
        }

    with closing(sqlite3.connect(database)) as con:
        entries, first, last = con.execute(
            "SELECT COUNT(*), MIN(id), MAX(id) FROM audit_auditentry"
        ).fetchone()
        per_worker = dict(
            con.execute(
                "SELECT json_extract(data, '$.extra.worker'), COUNT(*) FROM audit_auditentry "
                "GROUP BY 1"
            ).fetchall()
        )
    assert (entries, first, last) == (WORKERS * TRANSACTIONS, 1, WORKERS * TRANSACTIONS)
    assert per_worker == dict.fromkeys(range(WORKERS), TRANSACTIONS)

    verified = json.loads(_python(["-c", VERIFY], env))
    assert verified == {
        "ok": True,
        "count": WORKERS * TRANSACTIONS,
        "head_id": WORKERS * TRANSACTIONS,
        "reason": "",
    }
