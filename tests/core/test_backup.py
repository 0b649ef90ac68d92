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

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from mofan.core.crypto import EncryptingWriter, decrypt_stream
from mofan.core.restore import read_manifest
from tests.childenv import child_env
from tests.migrated import migrated, pg_url, sqlite_copy
from tests.passes import sqlite_pass_only

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")
AUDIT_KEY = secrets.token_urlsafe(32)
DATA_KEY = secrets.token_urlsafe(40)

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
    env = child_env(
        DATABASE_URL=database_url,
        MOFAN_VAR_DIR=str(tmp / "var"),
        MOFAN_MEDIA_ROOT=str(tmp / "media"),
        MOFAN_AUDIT_KEY=AUDIT_KEY,
        MOFAN_DATA_KEY=DATA_KEY,
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


def _decrypted(archive: Path) -> io.BytesIO:
    """The plain tar.gz inside an encrypted archive (the test knows the data key)."""
    plain = io.BytesIO()
    with archive.open("rb") as src:
        decrypt_stream(src, plain, data_key=DATA_KEY)
    plain.seek(0)
    return plain


def _read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(fileobj=_decrypted(archive), mode="r:gz") as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        return json.loads(handle.read())


def _rewrite_manifest(archive: Path, dest: Path, change: Any) -> None:
    """Copy `archive` to `dest` with `change(manifest)` applied to its manifest, re-encrypted
    under the same data key (as somebody holding the key could)."""
    with (
        tarfile.open(fileobj=_decrypted(archive), mode="r:gz") as src,
        dest.open("wb") as raw,
        EncryptingWriter(raw, data_key=DATA_KEY) as encrypted,
        tarfile.open(fileobj=encrypted, mode="w:gz") as out,  # type: ignore[call-overload]
    ):
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
    migrated(source_url)
    env = _env(tmp, source_url)

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


@sqlite_pass_only
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
    return pg_url(settings.DATABASES["default"], name)


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """The names of a source database (made migrated by `roundtrip`) and of a target database
    the restore must create; both dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL variant: runs only when the test run uses PostgreSQL "
            "(DATABASE_URL=postgres://...); the SQLite variant ran instead"
        )
    import psycopg
    from psycopg import sql

    suffix = secrets.token_hex(4)
    source, target = f"mofan_bk_src_{suffix}", f"mofan_bk_dst_{suffix}"
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


# --- encrypted archives ---------------------------------------------------------------------------

PHONE, USER_PHONE, TOTP_SECRET = "13912345678", "13787654321", "JBSWY3DPEHPK3PXPJBSWY3DP"

PEOPLE = """
import sys
import django
django.setup()
from mofan.accounts.models import TotpDevice, User
from mofan.organizations.models import Committee, Member, Unit
phone, user_phone, secret = sys.argv[1:4]
committee = Committee.objects.create(name="备份测试工委", code="backup-test")
unit = Unit.objects.create(committee=committee, name="备份测试单位")
Member.objects.create(unit=unit, name="备份成员", gender="1", phone=phone)
user = User.objects.create(username="backup-user", full_name="备份账号", phone=user_phone)
TotpDevice.objects.create(user=user, secret=secret)
"""

READ_PEOPLE = """
import json
import django
django.setup()
from mofan.accounts.models import User
from mofan.organizations.models import Member
user = User.objects.get(username="backup-user")
print(json.dumps({"member": Member.objects.get(name="备份成员").phone, "user": user.phone,
                  "secret": user.totp.secret}))
"""


def _plaintext_markers() -> list[bytes]:
    import base64

    return [
        b"SQLite format 3",
        b"manifest.json",
        b'"audit"',
        b"\x1f\x8b\x08",  # a gzip header
        PHONE.encode(),
        USER_PHONE.encode(),
        TOTP_SECRET.encode(),
        base64.b32decode(TOTP_SECRET),
        "备份成员".encode(),
        "证明材料".encode(),
    ]


@sqlite_pass_only
def test_archive_is_encrypted_and_a_wrong_key_or_tampering_is_refused(tmp_path: Path) -> None:
    media = tmp_path / "media"
    for name, content in MEDIA_FILES.items():
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(content)
    env = _env(tmp_path, f"sqlite:///{sqlite_copy(tmp_path / 'src.sqlite3')}")
    _ok(_run(["-c", PEOPLE, PHONE, USER_PHONE, TOTP_SECRET], env))
    archive = tmp_path / "backup.tar.gz.sm4"
    _ok(_run([MANAGE, "backup", "--output", str(archive)], env))

    # Nothing of the archive is readable on disk: not the database, not the manifest, not a
    # phone number or the TOTP secret, not even a gzip header.
    data = archive.read_bytes()
    assert data.startswith(b"MOFANENC")
    for marker in _plaintext_markers():
        assert marker not in data, marker
    # Inside (with the key), the database copy holds the fields encrypted too.
    with tarfile.open(fileobj=_decrypted(archive), mode="r:gz") as tar:
        handle = tar.extractfile("database.sqlite3")
        assert handle is not None
        database = handle.read()
    assert database.startswith(b"SQLite format 3")
    for marker in (PHONE, USER_PHONE, TOTP_SECRET):
        assert marker.encode() not in database
    assert b"sm4gcm:1:" in database
    with override_settings(MOFAN_DATA_KEY=DATA_KEY):
        assert read_manifest(archive)["tables"]["organizations_member"] == 1

    def refused(path: Path, run_env: dict[str, str], *expected: str) -> None:
        target = tmp_path / "refused" / "dst.sqlite3"
        restored_media = tmp_path / "refused-media"
        completed = _restore(path, f"sqlite:///{target}", restored_media, run_env)
        assert completed.returncode != 0, completed.stdout
        for text in expected:
            assert text in completed.stderr, completed.stderr
        assert "未恢复任何内容" in completed.stderr
        # Refused before anything was written.
        assert not target.exists()
        assert not restored_media.exists()

    # Another data key: told apart from damage by the key check in the header.
    refused(archive, {**env, "MOFAN_DATA_KEY": secrets.token_urlsafe(40)}, "数据密钥")

    # One flipped bit in the body, a cut-off tail or bytes appended after the end: each is
    # refused, and nothing is extracted (tests/core/test_crypto.py drops and reorders chunks).
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x01
    flipped = tmp_path / "flipped.sm4"
    flipped.write_bytes(bytes(damaged))
    refused(flipped, env, "篡改")

    truncated = tmp_path / "truncated.sm4"
    truncated.write_bytes(data[:-100])
    refused(truncated, env, "篡改")

    extended = tmp_path / "extended.sm4"
    extended.write_bytes(data + os.urandom(64))
    refused(extended, env, "篡改")

    header = tmp_path / "header.sm4"
    header.write_bytes(data[:20] + bytes([data[20] ^ 0x01]) + data[21:])  # a byte of the salt
    refused(header, env, "数据密钥")

    # A plain tar.gz (the old format, or anything substituted for a backup) is refused too.
    plain = tmp_path / "plain.tar.gz"
    plain.write_bytes(_decrypted(archive).getvalue())
    refused(plain, env, "未加密")

    # The intact archive with the right key restores, and the fields read back.
    target_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    _ok(_restore(archive, target_url, tmp_path / "restored-media", env))
    people = json.loads(_ok(_run(["-c", READ_PEOPLE], _env(tmp_path, target_url))))
    assert people == {"member": PHONE, "user": USER_PHONE, "secret": TOTP_SECRET}
