"""Restoring an archive written by `mofan.core.backup` into the configured or another
location, then checking the result against the archive's manifest.

The archive is decrypted first, as a whole, into the restore's private work directory: every
chunk's tag verifies (or the data key is wrong, or the file was tampered with, and the restore
stops) before a single member is extracted or anything outside the work directory is touched."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from mofan.core.backup import (
    ARCHIVE_FORMAT,
    DATABASE_MEMBERS,
    MANIFEST_NAME,
    MEDIA_DIR,
    BackupError,
    audit_state,
    file_sha256,
    media_stats,
    pg_conninfo,
    run_tool,
    table_row_counts,
    temporary_database,
    vendor_of,
)
from mofan.core.crypto import CryptoError, decrypt_stream
from mofan.env import parse_database_url

PLAIN_ARCHIVE = "archive.tar.gz"


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


def decrypt_archive(archive: Path, dest: Path) -> None:
    """Decrypt `archive` into the new file `dest` (mode 0600), verifying every chunk; a wrong
    data key or a damaged archive raises BackupError, and `dest` is then removed."""
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with archive.open("rb") as src, os.fdopen(fd, "wb") as out:
            decrypt_stream(src, out)
    except CryptoError as exc:
        dest.unlink(missing_ok=True)
        raise BackupError(f"{exc} 未恢复任何内容：{archive}") from exc
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise BackupError(f"无法读取备份归档 {archive}：{exc}") from exc


def read_manifest(archive: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mofan-manifest-") as work:
        plain = Path(work) / PLAIN_ARCHIVE
        decrypt_archive(archive.expanduser().resolve(), plain)
        return _read_plain_manifest(plain, archive)


def _read_plain_manifest(plain: Path, archive: Path) -> dict[str, Any]:
    with tarfile.open(plain, "r:gz") as tar:
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
    target = _target_database(database_url)
    media_root = (media_root or Path(settings.MEDIA_ROOT)).expanduser().resolve()
    vendor = vendor_of(target)

    with tempfile.TemporaryDirectory(prefix="mofan-restore-") as work:
        workdir = Path(work)
        plain = workdir / PLAIN_ARCHIVE
        decrypt_archive(archive, plain)  # the whole file verifies before anything is extracted
        manifest = _extract(plain, workdir, archive)
        plain.unlink()
        dump = _checked_dump(manifest, workdir, vendor)
        # Every refusal happens before anything is changed.
        description = _refuse_non_empty(target, vendor, media_root, force=force)
        created = _restore_database(dump, target, vendor)
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


def _target_database(database_url: str | None) -> dict[str, Any]:
    """The database settings to restore into: the given URL's, else the configured default."""
    if database_url:
        return parse_database_url(database_url)
    return dict(settings.DATABASES[DEFAULT_DB_ALIAS])


def _checked_dump(manifest: Mapping[str, Any], workdir: Path, vendor: str) -> Path:
    """The extracted database dump, refused unless it is for `vendor` and matches the manifest."""
    if manifest.get("vendor") != vendor:
        raise BackupError(f"备份来自 {manifest.get('vendor')} 数据库，不能恢复到 {vendor} 数据库")
    dump = workdir / DATABASE_MEMBERS[vendor]
    expected = manifest.get("database", {})
    if not dump.is_file() or file_sha256(dump) != expected.get("sha256"):
        raise BackupError("归档中的数据库文件缺失或校验值与清单不符（归档损坏？）")
    return dump


def _refuse_non_empty(
    target: Mapping[str, Any], vendor: str, media_root: Path, *, force: bool
) -> str:
    """Refuse (without `force`) a target database with tables or a media root with entries;
    return the target database's description."""
    if vendor == "sqlite":
        db_path = _sqlite_path(target)
        description = str(db_path)
        exists = _sqlite_has_tables(db_path)
    else:
        description = f"{target.get('HOST')}:{target.get('PORT')}/{target.get('NAME')}"
        exists = _pg_has_tables(target)
    if exists and not force:
        raise BackupError(f"目标数据库不是空的：{description}；确认要覆盖请加 --force")
    if _dir_has_entries(media_root) and not force:
        raise BackupError(f"目标媒体目录不是空的：{media_root}；确认要覆盖请加 --force")
    return description


def _restore_database(dump: Path, target: Mapping[str, Any], vendor: str) -> bool:
    """Load `dump` into the target database; True when the PostgreSQL database was created."""
    if vendor == "sqlite":
        _sqlite_restore(dump, _sqlite_path(target))
        return False
    created = _pg_ensure_database(target)
    conninfo, env = pg_conninfo(target)
    run_tool(
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
    return created


def _sqlite_path(target: Mapping[str, Any]) -> Path:
    return Path(str(target["NAME"])).expanduser().resolve()


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


def _extract(plain: Path, workdir: Path, archive: Path) -> dict[str, Any]:
    allowed = set(DATABASE_MEMBERS.values()) | {MANIFEST_NAME}
    try:
        with tarfile.open(plain, "r:gz") as tar:
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
