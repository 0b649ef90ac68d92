"""Typed helpers that read settings from environment variables.

Every helper raises ImproperlyConfigured with the variable's name when a value cannot be parsed,
so a misconfigured deployment fails at start-up rather than at the first request.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def sqlite_options() -> dict[str, Any]:
    """Options that make SQLite safe under concurrent writers (see RECIPES.md)."""
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
            "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"
        ),
    }


def sqlite_database(path: str) -> dict[str, Any]:
    """A Django DATABASES entry for the SQLite file at `path`. Connections are kept for a minute
    (one per server thread) instead of being opened, set up (the PRAGMAs above) and closed on
    every request; `manage.py restore` wants the service stopped anyway (docs/deploy.md)."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": sqlite_options(),
    }


def postgres_options(query: dict[str, str]) -> dict[str, Any]:
    """psycopg's options: those of the URL's query, over server-side binding with prepared
    statements. Django's default (client-side binding, nothing prepared) has PostgreSQL parse
    and plan every query again; here a query that a connection has run
    `prepare_threshold` times (psycopg's default, 5) is prepared once and then only executed,
    which halved the server's CPU per page (docs/performance.md). `?server_side_binding=false`
    or `?prepare_threshold=none` turns it off, for a pooler in transaction mode (PgBouncer
    before 1.21) that cannot keep prepared statements."""
    options: dict[str, Any] = {"server_side_binding": True, "prepare_threshold": 5}
    for key, value in query.items():
        if key == "server_side_binding":
            options[key] = value.strip().lower() in {"1", "true", "yes", "on"}
        elif key == "prepare_threshold":
            options[key] = None if value.strip().lower() in {"", "none"} else int(value)
        else:
            options[key] = value
    return options


def parse_database_url(url: str) -> dict[str, Any]:
    """Turn `sqlite:///abs/path`, `sqlite:///relative` or `postgres://u:p@h:port/db?opt=v`
    into a Django DATABASES entry."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:////abs/path.db is absolute, sqlite:///rel/path.db is relative to the cwd.
        path = unquote(parts.path)[1:]
        if parts.netloc or not path:
            raise ImproperlyConfigured("DATABASE_URL for SQLite needs a file path")
        return sqlite_database(path)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL for PostgreSQL needs a database name")
        options = postgres_options(dict(parse_qsl(parts.query)))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or "postgres"),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": str(parts.port or 5432),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite:// or postgres://)"
    )


def secret_from_file(path: Path, *, create: bool, nbytes: int = 50) -> str | None:
    """Read a secret kept in a file; create it (mode 0600) when asked and absent."""
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def env_secret(name: str, *, default_file: Path, create: bool) -> str:
    """A key kept outside the database: the variable `name`, else the file named by
    `name`_FILE (default `default_file`), created when `create` (development) and absent."""
    value = env_str(name) or secret_from_file(env_path(f"{name}_FILE", default_file), create=create)
    if not value:
        raise ImproperlyConfigured(f"{name} or {name}_FILE is required in production")
    return value
