"""Backing up and restoring the platform: database, media files and a manifest in one archive.

An archive is a gzip-compressed tar file holding

* ``database.sqlite3`` (a consistent copy made with SQLite's online backup API) or
  ``database.pgdump`` (``pg_dump --format=custom``, taken from an exported snapshot);
* ``media/...``, the files under ``settings.MEDIA_ROOT``;
* ``manifest.json``, written last: what the archive holds, the row count of every table of the
  installed models and the head of the audit chain, all read from the same snapshot as the dump.

A restore refuses to overwrite a database or media directory that holds anything unless forced,
then recounts the restored rows and re-verifies the audit chain against the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
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
from mofan.env import parse_database_url

ARCHIVE_FORMAT = 1
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


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    target: str
    media_root: Path
    counts: dict[str, int]
    audit: dict[str, Any]
    media: dict[str, int]
    created_database: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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
    path = directory / f"mofan-{stamp}.tar.gz"
    counter = 1
    while path.exists():
        path = directory / f"mofan-{stamp}-{counter}.tar.gz"
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
                "sha256": _sha256(dump),
            },
            **snapshot,
        }
        partial = Path(work) / "archive.partial"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(dump, arcname=dump.name, recursive=False)
            # Never archive this backup's work files, nor backup directories inside MEDIA_ROOT.
            skip = [Path(work).resolve()]
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
        os.chmod(partial, 0o600)
        _fsync(partial)
        if output.exists():
            raise BackupError(f"备份文件已存在，不会覆盖：{output}")
        os.replace(partial, output)
        _fsync(output.parent)
    return BackupResult(path=output, manifest=manifest)


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
        _run(
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


def _run(command: list[str], env: Mapping[str, str]) -> None:
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


def _sha256(path: Path) -> str:
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


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        try:
            handle = tar.extractfile(MANIFEST_NAME)
        except KeyError as exc:
            raise BackupError(f"归档中没有 {MANIFEST_NAME}（备份不完整？）：{archive}") from exc
        if handle is None:
            raise BackupError(f"归档中的 {MANIFEST_NAME} 不是普通文件：{archive}")
        manifest: dict[str, Any] = json.loads(handle.read())
    return manifest


def restore_backup(
    archive: Path,
    *,
    database_url: str | None = None,
    media_root: Path | None = None,
    force: bool = False,
) -> RestoreResult:
    """Restore `archive` into the configured database and media root, or into the given ones."""
    archive = archive.expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"备份文件不存在：{archive}")
    if database_url:
        target = parse_database_url(database_url)
    else:
        target = dict(settings.DATABASES[DEFAULT_DB_ALIAS])
    media_root = (media_root or Path(settings.MEDIA_ROOT)).expanduser().resolve()
    vendor = vendor_of(target)

    with tempfile.TemporaryDirectory(prefix="mofan-restore-") as work:
        workdir = Path(work)
        manifest = _extract(archive, workdir)
        if manifest.get("vendor") != vendor:
            raise BackupError(
                f"备份来自 {manifest.get('vendor')} 数据库，不能恢复到 {vendor} 数据库"
            )
        dump = workdir / DATABASE_MEMBERS[vendor]
        expected = manifest.get("database", {})
        if not dump.is_file() or _sha256(dump) != expected.get("sha256"):
            raise BackupError("归档中的数据库文件缺失或校验值与清单不符（归档损坏？）")

        # Every refusal happens before anything is changed.
        if vendor == "sqlite":
            db_path = Path(str(target["NAME"])).expanduser().resolve()
            description = str(db_path)
            exists = _sqlite_has_tables(db_path)
        else:
            description = f"{target.get('HOST')}:{target.get('PORT')}/{target.get('NAME')}"
            exists = _pg_has_tables(target)
        if exists and not force:
            raise BackupError(f"目标数据库不是空的：{description}；确认要覆盖请加 --force")
        if _dir_has_entries(media_root) and not force:
            raise BackupError(f"目标媒体目录不是空的：{media_root}；确认要覆盖请加 --force")

        created = False
        if vendor == "sqlite":
            _sqlite_restore(dump, db_path)
        else:
            created = _pg_ensure_database(target)
            conninfo, env = pg_conninfo(target)
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-password",
                    f"--dbname={conninfo}",
                    str(dump),
                ],
                env,
            )
        _restore_media(workdir / MEDIA_DIR, media_root)

    with temporary_database(target) as alias:
        counts = table_row_counts(alias)
        audit = audit_state(alias)
    media = media_stats(media_root)
    return RestoreResult(
        manifest=manifest,
        target=description,
        media_root=media_root,
        counts=counts,
        audit=audit,
        media=media,
        created_database=created,
        problems=compare_with_manifest(manifest, counts, audit, media),
    )


def compare_with_manifest(
    manifest: Mapping[str, Any],
    counts: Mapping[str, int],
    audit: Mapping[str, Any],
    media: Mapping[str, int],
) -> list[str]:
    problems: list[str] = []
    expected_counts: Mapping[str, int] = manifest.get("tables", {})
    for table in sorted(set(expected_counts) | set(counts)):
        before, after = expected_counts.get(table), counts.get(table)
        if before != after:
            problems.append(
                f"表 {table}：备份 {_or_missing(before)} 行，恢复后 {_or_missing(after)} 行"
            )
    expected_audit: Mapping[str, Any] = manifest.get("audit", {})
    if expected_audit.get("ok") != audit.get("ok"):
        problems.append(
            f"审计链校验：备份时 {'通过' if expected_audit.get('ok') else '未通过'}，"
            f"恢复后 {'通过' if audit.get('ok') else '未通过'}（{audit.get('reason') or '无'}）；"
            "请确认 MOFAN_AUDIT_KEY 与备份时相同"
        )
    for key in ("head_id", "head", "count"):
        if expected_audit.get(key) != audit.get(key):
            problems.append(
                f"审计链 {key}：备份 {expected_audit.get(key)!r}，恢复后 {audit.get(key)!r}"
            )
    expected_media: Mapping[str, int] = manifest.get("media", {})
    for key in ("files", "bytes"):
        if expected_media.get(key, 0) != media.get(key, 0):
            problems.append(
                f"媒体文件 {key}：备份 {expected_media.get(key, 0)}，恢复后 {media.get(key, 0)}"
            )
    return problems


def _or_missing(value: int | None) -> str:
    return "（无此表）" if value is None else str(value)


def _extract(archive: Path, workdir: Path) -> dict[str, Any]:
    allowed = set(DATABASE_MEMBERS.values()) | {MANIFEST_NAME}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                name = member.name
                if not (name in allowed or name == MEDIA_DIR or name.startswith(f"{MEDIA_DIR}/")):
                    raise BackupError(f"归档中有不属于备份的成员：{name}")
                if not (member.isfile() or member.isdir()):
                    raise BackupError(f"归档成员不是普通文件或目录：{name}")
            tar.extractall(workdir, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"无法读取备份归档 {archive}：{exc}") from exc
    manifest_path = workdir / MANIFEST_NAME
    if not manifest_path.is_file():
        raise BackupError(f"归档中没有 {MANIFEST_NAME}（备份不完整？）：{archive}")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(f"不认识的备份格式版本：{manifest.get('format')!r}")
    return manifest


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with closing(sqlite3.connect(path, timeout=60)) as con:
        row = con.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()
    return bool(row[0])


def _sqlite_restore(dump: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(dump)) as src, closing(sqlite3.connect(target, timeout=60)) as dst:
        try:
            src.backup(dst, pages=-1)
        except sqlite3.Error as exc:
            raise BackupError(f"写入 SQLite 数据库 {target} 失败：{exc}") from exc
        # The project's connections run in WAL mode (mofan.env.sqlite_options).
        dst.execute("PRAGMA journal_mode=WAL")
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise BackupError(f"恢复后的数据库完整性检查失败：{check}")


def _pg_connect(conf: Mapping[str, Any], dbname: str) -> Any:
    import psycopg

    conninfo, env = pg_conninfo(conf, dbname=dbname)
    return psycopg.connect(conninfo, password=env.get("PGPASSWORD"), autocommit=True)


def _pg_database_exists(conf: Mapping[str, Any]) -> bool:
    with _pg_connect(conf, "postgres") as con:
        row = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [conf["NAME"]]).fetchone()
    return row is not None


def _pg_has_tables(conf: Mapping[str, Any]) -> bool:
    if not _pg_database_exists(conf):
        return False
    with _pg_connect(conf, str(conf["NAME"])) as con:
        row = con.execute(
            "SELECT COUNT(*) FROM pg_catalog.pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return bool(row and row[0])


def _pg_ensure_database(conf: Mapping[str, Any]) -> bool:
    """Create the target database when it does not exist; say whether it was created."""
    from psycopg import sql

    if _pg_database_exists(conf):
        return False
    with _pg_connect(conf, "postgres") as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(conf["NAME"]))))
    return True


def _dir_has_entries(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def _restore_media(source: Path, target: Path) -> None:
    """Make `target` hold exactly the archived media files."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
