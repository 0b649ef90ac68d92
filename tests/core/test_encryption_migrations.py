"""The migrations that turned phones and TOTP secrets into encrypted fields convert the rows that
exist (plain values are encrypted in place, the members' blind index is filled) and are
reversible (backwards, the values are plain again).

Runs in a subprocess against a database of its own (a SQLite file; a PostgreSQL database too when
the test run uses PostgreSQL), never against the test run's database."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.childenv import child_env
from tests.core.test_backup import _pg_admin_conninfo, _pg_url
from tests.passes import sqlite_pass_only

ROOT = Path(__file__).resolve().parents[2]

PHONE, LANDLINE, USER_PHONE, SECRET = "13912345678", "0391-2345678", "13700001111", "JBSWY3DP"

SCRIPT = """
import json, sys
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0001_initial"), ("organizations", "0003_unit_committee_order")]
AFTER = [("accounts", "0002_encrypt_phone_and_totp_secret"),
         ("organizations", "0004_encrypt_member_phone")]
phone, landline, user_phone, secret = sys.argv[1:5]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def raw():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone FROM organizations_member ORDER BY id")
        members = cursor.fetchall()
        digests = []
        if "phone_digest" in [c.name for c in connection.introspection.get_table_description(
                cursor, "organizations_member")]:
            cursor.execute("SELECT phone_digest FROM organizations_member ORDER BY id")
            digests = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT phone FROM accounts_user ORDER BY id")
        users = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT secret FROM accounts_totpdevice")
        devices = [row[0] for row in cursor.fetchall()]
    return {"members": members, "digests": digests, "users": users, "devices": devices}


migrate(BEFORE)
old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
committee = old.get_model("organizations", "Committee").objects.create(name="迁移工委", code="m")
unit = old.get_model("organizations", "Unit").objects.create(committee=committee, name="迁移单位")
Member = old.get_model("organizations", "Member")
for name, number in (("有手机", phone), ("有座机", landline), ("无电话", "")):
    Member.objects.create(unit=unit, name=name, gender="1", phone=number)
User = old.get_model("accounts", "User")
user = User.objects.create(username="migrated", full_name="迁移", phone=user_phone)
User.objects.create(username="no-phone", full_name="无手机", phone="")
old.get_model("accounts", "TotpDevice").objects.create(user=user, secret=secret)
before = raw()

migrate(AFTER)
after = raw()
from mofan.accounts.models import TotpDevice, User
from mofan.organizations.models import Member
read = {
    "members": list(Member.objects.order_by("id").values_list("phone", flat=True)),
    "users": list(User.objects.order_by("id").values_list("phone", flat=True)),
    "secret": TotpDevice.objects.get().secret,
    "found": list(Member.objects.filter(phone_digest=Member.phone_digest_of("0391 2345678"))
                  .values_list("name", flat=True)),
}
migrate(BEFORE)
back = raw()
migrate(AFTER)
print(json.dumps({"before": before, "after": after, "read": read, "back": back,
                  "again": raw()}))
"""


def _run(database_url: str, tmp: Path) -> dict:
    env = child_env(
        DATABASE_URL=database_url,
        MOFAN_VAR_DIR=str(tmp / "var"),
        MOFAN_AUDIT_KEY=secrets.token_urlsafe(32),
        MOFAN_DATA_KEY=secrets.token_urlsafe(40),
        MOFAN_LOG_LEVEL="WARNING",
    )
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, PHONE, LANDLINE, USER_PHONE, SECRET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _check(result: dict) -> None:
    plain_members = [["有手机", PHONE], ["有座机", LANDLINE], ["无电话", ""]]
    assert result["before"] == {
        "members": plain_members,
        "digests": [],
        "users": [USER_PHONE, ""],
        "devices": [SECRET],
    }
    for state in ("after", "again"):
        stored = result[state]
        phones = [phone for _name, phone in stored["members"]]
        assert phones[0].startswith("sm4gcm:1:") and phones[1].startswith("sm4gcm:1:")
        assert phones[2] == ""
        assert stored["users"][0].startswith("sm4gcm:1:") and stored["users"][1] == ""
        assert stored["devices"][0].startswith("sm4gcm:1:")
        assert [len(d) for d in stored["digests"]] == [64, 64, 0]
        text = json.dumps(stored)
        for value in (PHONE, LANDLINE, USER_PHONE, SECRET):
            assert value not in text
    assert result["read"] == {
        "members": [PHONE, LANDLINE, ""],
        "users": [USER_PHONE, ""],
        "secret": SECRET,
        "found": ["有座机"],
    }
    # Backwards: plain again, and the blind index column is gone.
    assert result["back"] == result["before"]


@sqlite_pass_only
def test_sqlite_migrations_encrypt_existing_rows_and_reverse(tmp_path: Path) -> None:
    _check(_run(f"sqlite:///{tmp_path / 'migrations.sqlite3'}", tmp_path))


@pytest.fixture
def pg_database() -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL variant: runs only when the test run uses PostgreSQL")
    import psycopg
    from psycopg import sql

    name = f"mofan_enc_mig_{secrets.token_hex(4)}"
    with psycopg.connect(dbname="postgres", autocommit=True, **_pg_admin_conninfo()) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **_pg_admin_conninfo()) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_postgresql_migrations_encrypt_existing_rows_and_reverse(
    tmp_path: Path, pg_database: str
) -> None:
    _check(_run(_pg_url(pg_database), tmp_path))
