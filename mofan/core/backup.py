"""Backing up and restoring the platform: database, media files and a manifest in one archive.

An archive is a gzip-compressed tar file, encrypted as it is written with SM4-GCM under the
backup subkey of the data key (`mofan.core.crypto`: a chunked stream, each chunk authenticated,
the last one marked, so a tampered, truncated or extended file is refused; nothing of it is
readable without the data key, which is never put into an archive). The tar file holds

* ``database.sqlite3`` (a consistent copy made with SQLite's online backup API) or
  ``database.pgdump`` (``pg_dump --format=custom``, taken from an exported snapshot);
* ``media/...``, the files under ``settings.MEDIA_ROOT``;
* ``manifest.json``, written last: what the archive holds, the row count of every table of the
  installed models and the head of the audit chain, all read from the same snapshot as the dump.

A restore first decrypts the whole archive, verifying every chunk, and extracts nothing unless
that succeeds; it refuses to overwrite a database or media directory that holds anything unless
forced, then recounts the restored rows and re-verifies the audit chain against the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from mofan.audit.services import audit_verify
from mofan.core.crypto import EncryptingWriter

ARCHIVE_FORMAT = 1
ARCHIVE_SUFFIX = ".tar.gz.sm4"
MANIFEST_NAME = "manifest.json"
MEDIA_DIR = "media"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

# OPTIONS understood by Django or psycopg but not by libpq, so never handed to pg_dump & co.
_NON_LIBPQ_OPTIONS = frozenset(
    {
        "isolation_level",
        "server_side_binding",
        "pool",
        "assume_role",
        "cursor_factory",
        "prepare_threshold",
        "context",
    }
)
_SUBPROCESS_TIMEOUT = 6 * 3600


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


# --- what a database holds --------------------------------------------------------------------


def vendor_of(settings_dict: Mapping[str, Any]) -> str:
    engine = str(settings_dict.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"不支持的数据库引擎：{engine or '(空)'}（仅支持 SQLite 与 PostgreSQL）")


def model_tables() -> list[str]:
    """Tables of every installed, managed model, including many-to-many tables."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables)


def table_row_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Row count of each installed model's table that exists in the database `using`."""
    connection = connections[using]
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in model_tables():
            if table not in existing:
                continue
            # The table name comes from model metadata and is quoted by the backend.
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


def audit_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    result = audit_verify(using=using)
    return {
        "ok": result.ok,
        "count": result.count,
        "head": result.head,
        "head_id": result.head_id,
        "bad_id": result.bad_id,
        "reason": result.reason,
    }


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app_label, []).append(name)
    return {app_label: sorted(names) for app_label, names in sorted(applied.items())}


def media_stats(root: Path) -> dict[str, int]:
    files = size = 0
    for path in _media_files(root):
        files += 1
        size += path.stat().st_size
    return {"files": files, "bytes": size}


def _media_files(root: Path) -> Iterator[Path]:
    """Regular files under `root`, in a stable order; symbolic links are not followed."""
    if not root.is_dir():
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


@contextmanager
def temporary_database(settings_dict: Mapping[str, Any]) -> Iterator[str]:
    """Register `settings_dict` as a throw-away connection alias; close and forget it after."""
    alias = f"mofan_backup_{secrets.token_hex(6)}"
    conf = dict(settings_dict)
    conf.pop("TEST", None)
    conf["CONN_MAX_AGE"] = 0
    conf["CONN_HEALTH_CHECKS"] = False
    conf["OPTIONS"] = {
        key: value for key, value in dict(conf.get("OPTIONS") or {}).items() if key != "pool"
    }
    filled = connections.configure_settings({DEFAULT_DB_ALIAS: conf})[DEFAULT_DB_ALIAS]
    connections.databases[alias] = filled
    try:
        yield alias
    finally:
        try:
            connections[alias].close()
        finally:
            del connections[alias]
            del connections.databases[alias]


# --- backup -------------------------------------------------------------------------------------


def default_backup_path() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    directory = Path(settings.VAR_DIR) / "backups"
    path = directory / f"mofan-{stamp}{ARCHIVE_SUFFIX}"
    counter = 1
    while path.exists():
        path = directory / f"mofan-{stamp}-{counter}{ARCHIVE_SUFFIX}"
        counter += 1
    return path


def create_backup(output: Path | None = None) -> BackupResult:
    """Write one archive of the default database and the media files; return its path."""
    if output is None:
        output = default_backup_path()
    elif output.is_dir():
        output = output / default_backup_path().name
    output = output.expanduser().resolve()
    if output.exists():
        raise BackupError(f"备份文件已存在，不会覆盖：{output}")
    if not output.parent.exists():
        output.parent.mkdir(mode=0o700, parents=True)

    source = settings.DATABASES[DEFAULT_DB_ALIAS]
    vendor = vendor_of(source)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix=".mofan-backup-", dir=output.parent) as work:
        dump = Path(work) / DATABASE_MEMBERS[vendor]
        if vendor == "sqlite":
            snapshot = _sqlite_snapshot(Path(str(source["NAME"])), dump)
        else:
            snapshot = _pg_snapshot(source, dump)
        manifest: dict[str, Any] = {
            "format": ARCHIVE_FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "django": django.get_version(),
            "mofan": _mofan_version(),
            "database": {
                "member": dump.name,
                "bytes": dump.stat().st_size,
                "sha256": file_sha256(dump),
            },
            **snapshot,
        }
        partial = Path(work) / "archive.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, EncryptingWriter(raw) as encrypted:
            _write_tar(encrypted, dump, media_root, output, Path(work), manifest)
        os.chmod(partial, 0o600)
        _fsync(partial)
        if output.exists():
            raise BackupError(f"备份文件已存在，不会覆盖：{output}")
        os.replace(partial, output)
        _fsync(output.parent)
    return BackupResult(path=output, manifest=manifest)


def _write_tar(
    fileobj: EncryptingWriter,
    dump: Path,
    media_root: Path,
    output: Path,
    work: Path,
    manifest: dict[str, Any],
) -> None:
    """The tar.gz stream of the dump, the media files and (last) the manifest, into `fileobj`."""
    with tarfile.open(fileobj=fileobj, mode="w:gz") as tar:  # type: ignore[call-overload]
        tar.add(dump, arcname=dump.name, recursive=False)
        # Never archive this backup's work files, nor backup directories inside MEDIA_ROOT.
        skip = [work.resolve()]
        media = media_root.resolve()
        for backups in (output.parent, (Path(settings.VAR_DIR) / "backups").resolve()):
            if backups != media and backups.is_relative_to(media):
                skip.append(backups)
        manifest["media"] = _add_media(tar, media_root, skip=skip)
        body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(body)
        info.mtime = int(timezone.now().timestamp())
        info.mode = 0o600
        tar.addfile(info, io.BytesIO(body))


def _add_media(tar: tarfile.TarFile, root: Path, *, skip: list[Path]) -> dict[str, int]:
    files = size = 0
    for path in _media_files(root):
        resolved = path.resolve()
        if any(resolved.is_relative_to(directory) for directory in skip):
            continue
        arcname = f"{MEDIA_DIR}/{path.relative_to(root).as_posix()}"
        try:
            info = tar.gettarinfo(str(path), arcname=arcname)
            with path.open("rb") as handle:
                tar.addfile(info, handle)
        except FileNotFoundError:
            continue  # removed while the backup ran: it is simply not in the archive
        files += 1
        size += info.size
    return {"files": files, "bytes": size}


def _sqlite_snapshot(source: Path, dest: Path) -> dict[str, Any]:
    """Copy the live database with the online backup API, then describe the copy.

    One backup step copies every page inside a single read transaction, so the copy is the state
    of one commit even while other processes keep writing (WAL lets them).
    """
    if not source.is_file():
        raise BackupError(f"SQLite 数据库文件不存在：{source}")
    with (
        closing(sqlite3.connect(source, timeout=60)) as src,
        closing(sqlite3.connect(dest)) as dst,
    ):
        src.backup(dst, pages=-1)
        # A self-contained file: no -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise BackupError(f"备份副本完整性检查失败：{check}")
    with temporary_database({"ENGINE": "django.db.backends.sqlite3", "NAME": str(dest)}) as alias:
        return _describe(alias)


def _describe(alias: str) -> dict[str, Any]:
    return {
        "tables": table_row_counts(alias),
        "audit": audit_state(alias),
        "migrations": migration_state(alias),
    }


def _pg_snapshot(source: Mapping[str, Any], dest: Path) -> dict[str, Any]:
    """pg_dump from a snapshot exported by a REPEATABLE READ transaction that also counts rows."""
    import psycopg

    conf = dict(source)
    conf["OPTIONS"] = {
        **dict(conf.get("OPTIONS") or {}),
        "isolation_level": psycopg.IsolationLevel.REPEATABLE_READ,
    }
    with temporary_database(conf) as alias, transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('transaction_isolation')")
            snapshot_id, isolation = cursor.fetchone()
        if isolation != "repeatable read":
            raise BackupError(f"无法建立一致性快照（事务隔离级别为 {isolation}）")
        conninfo, env = pg_conninfo(source)
        run_tool(
            [
                "pg_dump",
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot_id}",
                f"--file={dest}",
                f"--dbname={conninfo}",
            ],
            env,
        )
        return _describe(alias)


def pg_conninfo(conf: Mapping[str, Any], dbname: str | None = None) -> tuple[str, dict[str, str]]:
    """A libpq connection string (without the password) and the environment carrying it."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, str] = {"dbname": dbname or str(conf.get("NAME") or "")}
    for key in ("HOST", "PORT", "USER"):
        if conf.get(key):
            params[key.lower()] = str(conf[key])
    for key, value in dict(conf.get("OPTIONS") or {}).items():
        if key not in _NON_LIBPQ_OPTIONS and isinstance(value, str | int) and key != "password":
            params[key] = str(value)
    env = {"PGAPPNAME": "mofan-backup"}
    password = conf.get("PASSWORD") or dict(conf.get("OPTIONS") or {}).get("password")
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{key: value for key, value in params.items() if value}), env


def run_tool(command: list[str], env: Mapping[str, str]) -> None:
    try:
        completed = subprocess.run(
            command,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=_SUBPROCESS_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise BackupError(
            f"找不到 {command[0]}：请安装 PostgreSQL 客户端（Debian：postgresql-client）"
        ) from exc
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()
        raise BackupError(f"{command[0]} 失败（退出码 {completed.returncode}）：{detail}")


def _mofan_version() -> str:
    try:
        return metadata.version("mofan")
    except metadata.PackageNotFoundError:
        return "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- restore ------------------------------------------------------------------------------------
