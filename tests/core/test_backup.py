"""Backs up while writing, restores into a fresh location, and finds the same row counts and the
same audit chain head.

Everything runs in subprocesses against databases of their own (a SQLite file, or PostgreSQL
databases created for the test), never against the test run's database. The SQLite variant runs in
every run; the PostgreSQL variant runs when the test run itself uses PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")
AUDIT_KEY = secrets.token_urlsafe(32)

WRITER = """
import os, sys
from pathlib import Path
import django
django.setup()
from mofan.audit.services import audit_record
progress, stop = Path(sys.argv[1]), Path(sys.argv[2])
written = 0
while not stop.exists():
    audit_record(action="test.write", extra={"n": written})
    written += 1
    partial = progress.with_suffix(".partial")
    partial.write_text(str(written))
    os.replace(partial, progress)
print(written)
"""

MEASURE = """
import json
import django
django.setup()
from django.apps import apps
from django.db import connection
from mofan.audit.services import audit_verify
existing = set(connection.introspection.table_names())
counts = {
    model._meta.db_table: model._base_manager.count()
    for model in apps.get_models(include_auto_created=True)
    if model._meta.managed and not model._meta.proxy and model._meta.db_table in existing
}
result = audit_verify()
print(json.dumps({"counts": counts, "ok": result.ok, "count": result.count,
                  "head": result.head, "head_id": result.head_id, "reason": result.reason}))
"""

MEDIA_FILES = {
    "uploads/证明材料.txt": "模范机关创建 证明材料\n".encode(),
    "photos/2024/site.bin": os.urandom(50_000),
}


def _env(tmp: Path, database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOFAN_")
        and key not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mofan.settings",
        DATABASE_URL=database_url,
        MOFAN_VAR_DIR=str(tmp / "var"),
        MOFAN_MEDIA_ROOT=str(tmp / "media"),
        MOFAN_AUDIT_KEY=AUDIT_KEY,
        MOFAN_LOG_LEVEL="WARNING",
    )
    return env


def _run(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _restore(
    archive: Path, target_url: str, media_root: Path, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    args = [MANAGE, "restore", str(archive), "--database-url", target_url]
    return _run([*args, "--media-root", str(media_root), *extra], env)


def _ok(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 0, (
        f"exit {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
    )
    return completed.stdout


def _wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _progress(path: Path) -> int:
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return 0


def _read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        return json.loads(handle.read())


def _rewrite_manifest(archive: Path, dest: Path, change: Any) -> None:
    """Copy `archive` to `dest` with `change(manifest)` applied to its manifest."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(dest, "w:gz") as out:
        for member in src.getmembers():
            handle = src.extractfile(member) if member.isfile() else None
            if member.name == "manifest.json":
                assert handle is not None
                manifest = json.loads(handle.read())
                change(manifest)
                body = json.dumps(manifest).encode()
                member.size = len(body)
                out.addfile(member, io.BytesIO(body))
            else:
                out.addfile(member, handle)


def roundtrip(tmp: Path, source_url: str, target_url: str) -> None:
    media = tmp / "media"
    for name, content in MEDIA_FILES.items():
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(content)
    env = _env(tmp, source_url)
    _ok(_run([MANAGE, "migrate", "--noinput", "-v0"], env))

    progress, stop = tmp / "progress", tmp / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(progress), str(stop)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: _progress(progress) >= 20, "the writer's first entries")
        written_before = _progress(progress)
        archive = tmp / "backup.tar.gz"
        backup = _run([MANAGE, "backup", "--output", str(archive)], env)
        written_at_end = _progress(progress)
        manifest = _read_manifest(archive)
        head_id = manifest["audit"]["head_id"]
        # Keep writing after the snapshot, so the source has moved on past the backup.
        _wait_for(lambda: _progress(progress) > head_id + 10, "writes after the backup")
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    stdout = _ok(backup)
    assert f"Backup written: {archive}" in stdout
    assert int(out) > head_id

    # The backup was taken while the writer ran, and holds one consistent state of the chain.
    assert written_before <= head_id <= written_at_end + 1
    assert manifest["audit"]["ok"] is True
    assert manifest["audit"]["count"] == head_id
    assert manifest["tables"]["audit_auditentry"] == head_id
    assert manifest["vendor"] == ("sqlite" if source_url.startswith("sqlite") else "postgresql")
    assert manifest["media"] == {
        "files": len(MEDIA_FILES),
        "bytes": sum(len(content) for content in MEDIA_FILES.values()),
    }
    assert "accounts_user" in manifest["tables"]

    restored_media = tmp / "restored-media"
    restore = _restore(archive, target_url, restored_media, env)
    assert "Restore matches the manifest." in _ok(restore)

    measured = json.loads(_ok(_run(["-c", MEASURE], _env(tmp, target_url))))
    assert measured["counts"] == manifest["tables"]
    assert measured["ok"] is True, measured["reason"]
    assert (measured["head_id"], measured["head"]) == (head_id, manifest["audit"]["head"])
    assert measured["count"] == head_id
    for name, content in MEDIA_FILES.items():
        assert (restored_media / name).read_bytes() == content

    # The restored database is no longer empty: a second restore needs --force.
    again = _restore(archive, target_url, tmp / "other-media", env)
    assert again.returncode != 0
    assert "--force" in again.stderr
    assert not (tmp / "other-media").exists()

    # A manifest that disagrees with the data makes the restore fail.
    tampered = tmp / "tampered.tar.gz"
    _rewrite_manifest(archive, tampered, lambda m: m["tables"].update(audit_auditentry=head_id + 1))
    mismatch = _restore(tampered, target_url, restored_media, env, "--force")
    assert mismatch.returncode != 0
    assert "audit_auditentry" in mismatch.stderr
    assert "不一致" in mismatch.stderr


def test_sqlite_backup_while_writing_restores_same_counts_and_chain_head(tmp_path: Path) -> None:
    target = tmp_path / "restored" / "dst.sqlite3"
    roundtrip(tmp_path, f"sqlite:///{tmp_path / 'src.sqlite3'}", f"sqlite:///{target}")
    # The restored file is in WAL mode and kept the append-only triggers.
    with closing(sqlite3.connect(target)) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM audit_auditentry")


def _pg_admin_conninfo() -> dict[str, Any]:
    conf = settings.DATABASES["default"]
    return {
        "host": conf.get("HOST") or "127.0.0.1",
        "port": str(conf.get("PORT") or 5432),
        "user": conf.get("USER") or "postgres",
        "password": conf.get("PASSWORD") or None,
    }


def _pg_url(name: str) -> str:
    params = _pg_admin_conninfo()
    auth = quote(params["user"], safe="")
    if params["password"]:
        auth += ":" + quote(params["password"], safe="")
    return f"postgres://{auth}@{params['host']}:{params['port']}/{name}"


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """A fresh source database, and the name of a target database the restore must create."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL variant: runs only when the test run uses PostgreSQL "
            "(DATABASE_URL=postgres://...); the SQLite variant ran instead"
        )
    import psycopg
    from psycopg import sql

    suffix = secrets.token_hex(4)
    source, target = f"mofan_bk_src_{suffix}", f"mofan_bk_dst_{suffix}"
    with psycopg.connect(dbname="postgres", autocommit=True, **_pg_admin_conninfo()) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(source)))
    try:
        yield source, target
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **_pg_admin_conninfo()) as admin:
            for name in (source, target):
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def test_postgresql_backup_while_writing_restores_same_counts_and_chain_head(
    tmp_path: Path, pg_databases: tuple[str, str]
) -> None:
    import psycopg

    source, target = pg_databases
    roundtrip(tmp_path, _pg_url(source), _pg_url(target))
    # The restore created the target, and the append-only triggers came back with the data.
    with psycopg.connect(dbname=target, autocommit=True, **_pg_admin_conninfo()) as con:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            con.execute("DELETE FROM audit_auditentry")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            con.execute("TRUNCATE audit_auditentry")
