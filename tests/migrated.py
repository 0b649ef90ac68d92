"""A freshly migrated, empty database for a test whose child processes need one of their own
(a real server, a backup round trip, racing writers, `check --deploy`).

Migrating from scratch costs 15-25 s on this machine (Django renders the model states of 90
migrations), and the suite did it about ten times per pass. Now each pass keeps a template:
its own test database as pytest-django has just migrated it, before any test ran
(`keep_template`, called from tests/conftest.py), or, in a run that never opens the test
database, the database of one real `manage.py migrate` in a child process. Every test gets a
copy of the template: on SQLite a copy of the file (SQLite's backup API), on PostgreSQL
`CREATE DATABASE ... TEMPLATE`. The copy is the schema and the rows the migrations write (the
built-in activity kinds, content types, permissions), nothing else. The template is removed
when the pass ends.

The migrations themselves stay tested from scratch: each pass creates its test database by
migrating, the product scripts (`make bench`, `make loadtest`, `backup`'s restore) migrate their
own databases, and tests/core/test_encryption_migrations.py migrates step by step.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from tests.childenv import child_env

ROOT = Path(__file__).resolve().parents[1]
_templates: dict[str, str] = {}  # "sqlite" -> the file; a PostgreSQL server -> the database


def pg_admin(url: str, statements: list[str]) -> None:
    import psycopg

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def _migrate(database_url: str, var_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=child_env(
            DATABASE_URL=database_url, MOFAN_VAR_DIR=str(var_dir), MOFAN_LOG_LEVEL="WARNING"
        ),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py migrate failed:\n{done.stdout}\n{done.stderr}")


def _scratch() -> Path:
    """A directory of this pass, removed when it ends."""
    tmp = Path(tempfile.mkdtemp(prefix="mofan-migrated-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return tmp


def _pg_template_made(server_url: str, create: str) -> str:
    """Create this pass's template database on the server by `create` (the statement, with
    `{name}` for the name), dropped when the pass ends; returns its name."""
    name = f"mofan_migrated_{os.getpid()}"
    pg_admin(server_url, [f'DROP DATABASE IF EXISTS "{name}"', create.format(name=name)])
    atexit.register(pg_admin, server_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
    _templates[_server(server_url)] = name
    return name


def _sqlite_template() -> Path:
    if "sqlite" not in _templates:
        tmp = _scratch()
        path = tmp / "template.sqlite3"
        _migrate(f"sqlite:///{path}", tmp / "var")
        _templates["sqlite"] = str(path)
    return Path(_templates["sqlite"])


def _pg_template(server_url: str) -> str:
    if _server(server_url) not in _templates:
        name = _pg_template_made(server_url, 'CREATE DATABASE "{name}"')
        _migrate(urlsplit(server_url)._replace(path=f"/{name}").geturl(), _scratch() / "var")
    return _templates[_server(server_url)]


def pg_url(settings_dict: Mapping[str, Any], name: str) -> str:
    """The URL of the database `name` on the PostgreSQL server of Django's `settings_dict`."""
    auth = quote(settings_dict.get("USER") or "postgres", safe="")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{settings_dict.get('PORT') or 5432}/{name}"


def keep_template(connection: Any) -> None:
    """Keep the test database `connection` opens, freshly migrated, as this pass's template."""
    if connection.vendor == "sqlite":
        path = _scratch() / "template.sqlite3"
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(path)) as target:
            connection.connection.backup(target)
        _templates["sqlite"] = str(path)
        return
    source = connection.settings_dict["NAME"]
    connection.close()  # CREATE DATABASE ... TEMPLATE wants nobody connected to the source
    _pg_template_made(
        pg_url(connection.settings_dict, "postgres"),
        f'CREATE DATABASE "{{name}}" TEMPLATE "{source}"',
    )


def _server(url: str) -> str:
    """What identifies a PostgreSQL server in a URL: user, host and port."""
    parts = urlsplit(url)
    return f"{parts.username or ''}@{parts.hostname or ''}:{parts.port or 5432}"


def sqlite_copy(path: Path) -> Path:
    """Make `path` a migrated, empty SQLite database (it must not exist yet); returns it."""
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(_sqlite_template())) as source,
        contextlib.closing(sqlite3.connect(path)) as target,
    ):
        source.backup(target)
    return path


def pg_copy(server_url: str, name: str) -> str:
    """Create the database `name` on the server of `server_url`, migrated and empty; returns
    its URL."""
    template = _pg_template(server_url)
    pg_admin(server_url, [f'CREATE DATABASE "{name}" TEMPLATE "{template}"'])
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def migrated(database_url: str) -> None:
    """Make the database of `database_url` (a SQLite file that does not exist yet, or a
    PostgreSQL database that does not exist yet) a migrated, empty one."""
    if database_url.startswith("sqlite"):
        sqlite_copy(Path(urlsplit(database_url).path[1:]))
        return
    name = urlsplit(database_url).path.lstrip("/")
    pg_copy(database_url, name)
