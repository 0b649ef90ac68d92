"""The production configuration passes `manage.py check --deploy` with no warning at all, and
refuses to load without its secrets."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.childenv import child_env
from tests.migrated import sqlite_copy
from tests.passes import sqlite_pass_only

# Every test here runs its own SQLite database in a subprocess, whatever the pass.
pytestmark = sqlite_pass_only

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")


def _production_env(tmp: Path) -> dict[str, str]:
    env = child_env(
        MOFAN_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        MOFAN_AUDIT_KEY=secrets.token_urlsafe(32),
        MOFAN_DATA_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="mofan.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp / 'production.sqlite3'}",
        MOFAN_VAR_DIR=str(tmp / "var"),
        # Uploads are scanned by clamd in production; the check only reads the setting.
        MOFAN_CLAMD_SOCKET="/run/clamav/clamd.ctl",
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
    sqlite_copy(tmp_path / "production.sqlite3")

    check = _manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    output = check.stdout + check.stderr
    assert check.returncode == 0, output
    assert "System check identified no issues" in output


def test_development_commands_do_not_exist_in_production(tmp_path: Path) -> None:
    """mofan.devtools (demo data, simulation, scale seed, bench) is installed only outside
    production, so its commands are unknown there."""
    done = _manage(["help", "--commands"], _production_env(tmp_path))
    assert done.returncode == 0, done.stderr
    commands = set(done.stdout.split())
    assert {"create_account", "migrate", "verify_audit"} <= commands
    assert not commands & {"load_demo", "demo_accounts", "campaign_simulate", "seed_scale", "bench"}
    unknown = _manage(["load_demo"], _production_env(tmp_path))
    assert unknown.returncode != 0
    assert "Unknown command: 'load_demo'" in unknown.stderr


def test_check_deploy_warns_without_a_malware_scanner(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["MOFAN_CLAMD_SOCKET"]
    check = _manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    output = check.stdout + check.stderr
    assert check.returncode != 0, output
    assert "mofan.W002" in output
    assert "未配置病毒扫描服务" in output
    # TCP is configuration as well.
    env.update(MOFAN_CLAMD_HOST="10.0.0.5", MOFAN_CLAMD_PORT="3310")
    check = _manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert "mofan.W002" not in check.stdout + check.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("MOFAN_AUDIT_KEY", None),
        ("MOFAN_DATA_KEY", None),
        ("MOFAN_DATA_KEY", "too-short"),
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
    assert not (tmp_path / "var" / "data.key").exists()


# Start-up with 国密 algorithms taken away before Django loads: SM3 from hashlib (what OpenSSL
# builds without SM3 look like), or SM4 from `cryptography`.
WITHOUT = {
    "sm3": 'import hashlib\nhashlib.algorithms_available.discard("sm3")\n',
    "sm4": (
        "from cryptography.exceptions import UnsupportedAlgorithm\n"
        "from cryptography.hazmat.primitives.ciphers import algorithms\n"
        "class NoSM4:\n"
        "    def __init__(self, key):\n"
        '        raise UnsupportedAlgorithm("SM4 taken away by the test")\n'
        "algorithms.SM4 = NoSM4\n"
    ),
    "nothing": "",
}
START = "import django\ndjango.setup()\nprint('started')\n"


def _start(prelude: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", prelude + START],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("taken", "named"), [("sm3", "SM3 (hashlib)"), ("sm4", "SM4-GCM")])
def test_production_refuses_to_start_without_gm_algorithms(
    tmp_path: Path, taken: str, named: str
) -> None:
    env = _production_env(tmp_path)
    started = _start(WITHOUT[taken], env)
    assert started.returncode != 0, started.stdout
    assert "ImproperlyConfigured" in started.stderr
    assert f"OpenSSL lacks {named}" in started.stderr
    assert "production requires SM3 and SM4" in started.stderr
    assert "started" not in started.stdout
    # Development still starts: the audit chain falls back to HMAC-SHA256 there only (and
    # encrypted fields fail when used).
    development = {**env, "MOFAN_ENV": "development"}
    assert _start(WITHOUT[taken], development).stdout.strip() == "started"


def test_production_starts_with_sm3_and_sm4(tmp_path: Path) -> None:
    started = _start(WITHOUT["nothing"], _production_env(tmp_path))
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "started"


def test_the_audit_chain_never_falls_back_in_production(monkeypatch, settings) -> None:
    import hashlib

    from django.core.exceptions import ImproperlyConfigured

    from mofan.audit import chain

    assert chain.preferred_algorithm() == "hmac-sm3"
    monkeypatch.setattr(hashlib, "algorithms_available", hashlib.algorithms_available - {"sm3"})
    settings.PRODUCTION = False
    assert chain.preferred_algorithm() == "hmac-sha256"
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="SM3"):
        chain.preferred_algorithm()
