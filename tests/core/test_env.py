"""Settings helpers read typed values from the environment and fail loudly on bad ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from mofan import env


def test_sqlite_urls(tmp_path):
    absolute = env.parse_database_url(f"sqlite:///{tmp_path}/db.sqlite3")
    assert absolute["NAME"] == f"{tmp_path}/db.sqlite3"
    assert absolute["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in absolute["OPTIONS"]["init_command"]
    assert "synchronous=FULL" in absolute["OPTIONS"]["init_command"]
    assert "secure_delete=ON" in absolute["OPTIONS"]["init_command"]
    relative = env.parse_database_url("sqlite:///var/x.sqlite3")
    assert relative["NAME"] == "var/x.sqlite3"
    # connections are kept between requests, like PostgreSQL's
    assert absolute["CONN_MAX_AGE"] == 60 and absolute["CONN_HEALTH_CHECKS"] is True


def test_postgres_url():
    cfg = env.parse_database_url("postgres://alice:s%40cret@db.internal:6543/mofan?sslmode=require")
    assert cfg["ENGINE"] == "django.db.backends.postgresql"
    assert (cfg["USER"], cfg["PASSWORD"], cfg["HOST"], cfg["PORT"], cfg["NAME"]) == (
        "alice",
        "s@cret",
        "db.internal",
        "6543",
        "mofan",
    )
    assert cfg["OPTIONS"] == {
        "sslmode": "require",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }


def test_postgres_prepared_statements_can_be_turned_off():
    """For a pooler that cannot keep prepared statements: the URL says so, typed."""
    cfg = env.parse_database_url(
        "postgres://db.internal/mofan?server_side_binding=false&prepare_threshold=none"
    )
    assert cfg["OPTIONS"] == {"server_side_binding": False, "prepare_threshold": None}
    cfg = env.parse_database_url("postgres://db.internal/mofan?prepare_threshold=2")
    assert cfg["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "sqlite://"])
def test_bad_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured):
        env.parse_database_url(url)


def test_typed_helpers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env.env_bool("X_BOOL", False) is True
    assert env.env_int("X_INT", 1) == 42
    assert env.env_list("X_LIST", []) == ["a", "b", "c"]
    assert env.env_bool("X_MISSING", True) is True
    monkeypatch.setenv("X_BOOL", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env.env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "many")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env.env_int("X_INT", 1)


def test_secret_file_is_created_once_with_private_mode(tmp_path):
    path = tmp_path / "secret"
    first = env.secret_from_file(path, create=True)
    assert first and len(first) > 40
    assert path.stat().st_mode & 0o777 == 0o600
    assert env.secret_from_file(path, create=True) == first
    assert env.secret_from_file(tmp_path / "absent", create=False) is None
