"""The production configuration passes `manage.py check --deploy` with no warning at all, and
refuses to load without its secrets."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")


def _production_env(tmp: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOFAN_")
        and key not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
        and key not in {"CSRF_TRUSTED_ORIGINS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mofan.settings",
        MOFAN_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        MOFAN_AUDIT_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="mofan.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp / 'production.sqlite3'}",
        MOFAN_VAR_DIR=str(tmp / "var"),
    )
    assert len(env["SECRET_KEY"]) == 64
    return env


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_configuration_passes_check_deploy(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    # Migrated, so the project's own deploy check can look for demo accounts.
    migrate = _manage(["migrate", "--noinput", "-v0"], env)
    assert migrate.returncode == 0, migrate.stderr

    check = _manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    output = check.stdout + check.stderr
    assert check.returncode == 0, output
    assert "System check identified no issues" in output


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("MOFAN_AUDIT_KEY", None),
        ("ALLOWED_HOSTS", None),
        ("MOFAN_DEBUG", "1"),
    ],
)
def test_production_settings_refuse_to_load(
    tmp_path: Path, variable: str, value: str | None
) -> None:
    env = _production_env(tmp_path)
    if value is None:
        del env[variable]
    else:
        env[variable] = value
    check = _manage(["check"], env)
    assert check.returncode != 0
    assert "ImproperlyConfigured" in check.stderr
    assert variable in check.stderr
    # Nothing was created in place of the missing secret.
    assert not (tmp_path / "var" / "secret_key").exists()
    assert not (tmp_path / "var" / "audit.key").exists()
