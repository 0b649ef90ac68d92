"""Encryption at rest, proved on the raw database: members' and accounts' phone numbers and a
confirmed TOTP secret, all written through the real views and services, appear nowhere in the
database file (SQLite: a `VACUUM INTO` copy of the in-memory test database) or in the raw columns
and a `pg_dump` (PostgreSQL) — not in the tables, not in the audit trail, not in the sessions —
while the application reads them back."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pyotp
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from mofan.accounts.access import actor_for
from mofan.accounts.models import TotpDevice, User
from mofan.accounts.roles import Role
from mofan.accounts.services import AccountSpec, accounts_bulk_create
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from mofan.core.backup import pg_conninfo
from mofan.organizations.models import Member
from tests.factories import PASSWORD, make_user

# Committed data: VACUUM INTO cannot run inside a transaction, and pg_dump sees committed rows
# only.
pytestmark = pytest.mark.django_db(transaction=True)

MEMBER_PHONES = ["13912345678", "13698765432"]
LANDLINE = "0391-2345678"
ACCOUNT_PHONE = "13755501234"


def _enrol_totp(user: User) -> str:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200
    secret = TotpDevice.objects.get(user=user).secret
    response = client.post("/accounts/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    assert TotpDevice.objects.get(user=user).confirmed_at is not None
    return secret


def _people(login, unit_a, unit_admin, committee_admin) -> tuple[User, str]:
    """Members (through the roster form), an account (through the service) and a confirmed
    TOTP device (through the enrolment pages)."""
    client = login(unit_admin)
    for n, phone in enumerate([*MEMBER_PHONES, LANDLINE]):
        payload = {"name": f"保密成员{n}", "gender": "1", "political_status": "01", "phone": phone}
        response = client.post(reverse("organizations:member_create", args=[unit_a.pk]), payload)
        assert response.status_code == 302, response.content.decode()[:500]
    ((account, _password),) = accounts_bulk_create(
        committee=unit_a.committee,
        specs=[
            AccountSpec(
                username="phone-owner",
                full_name="有手机号",
                role=Role.UNIT_LEADER,
                unit=unit_a,
                phone=ACCOUNT_PHONE,
            )
        ],
        actor=actor_for(committee_admin),
    )
    holder = make_user(Role.COMMITTEE_ADMIN, committee=unit_a.committee)
    return account, _enrol_totp(holder)


def _secrets(totp_secret: str) -> list[bytes]:
    markers = [p.encode() for p in [*MEMBER_PHONES, LANDLINE, ACCOUNT_PHONE]]
    markers += [LANDLINE.replace("-", "").encode(), totp_secret.encode()]
    markers.append(base64.b32decode(totp_secret))  # the raw key bytes
    return markers


def _application_reads_them_back(account: User, totp_secret: str) -> None:
    phones = sorted(
        Member.objects.filter(name__startswith="保密成员").values_list("phone", flat=True)
    )
    assert phones == sorted([*MEMBER_PHONES, LANDLINE])
    assert User.objects.get(pk=account.pk).phone == ACCOUNT_PHONE
    assert TotpDevice.objects.get(confirmed_at__isnull=False).secret == totp_secret
    # The audit trail masks phones before the MAC, and still verifies.
    created = AuditEntry.objects.filter(action="member.create").order_by("id").first()
    assert created is not None
    assert created.data["after"]["phone"] == "139****5678"
    assert audit_verify().ok


def test_sqlite_file_holds_no_phone_and_no_totp_secret(
    audit_triggers_lifted, login, unit_a, unit_admin, committee_admin, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite variant; the PostgreSQL variant runs on PostgreSQL")
    account, totp_secret = _people(login, unit_a, unit_admin, committee_admin)
    _application_reads_them_back(account, totp_secret)

    # The test database lives in memory: write it out as a file, as SQLite would store it.
    copy = tmp_path / "copy.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(copy)])
    data = copy.read_bytes()
    assert data.startswith(b"SQLite format 3")
    assert "保密成员0".encode() in data  # what is not encrypted is there, in the clear
    assert b"sm4gcm:1:" in data
    for marker in _secrets(totp_secret):
        assert marker not in data, marker


def test_postgresql_columns_and_dump_hold_no_phone_and_no_totp_secret(
    audit_triggers_lifted, login, unit_a, unit_admin, committee_admin
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL variant; the SQLite variant runs on SQLite")
    account, totp_secret = _people(login, unit_a, unit_admin, committee_admin)
    _application_reads_them_back(account, totp_secret)

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_digest FROM organizations_member")
        members = cursor.fetchall()
        cursor.execute("SELECT phone FROM accounts_user WHERE phone <> ''")
        users = cursor.fetchall()
        cursor.execute("SELECT secret FROM accounts_totpdevice")
        devices = cursor.fetchall()
        cursor.execute("SELECT data::text FROM audit_auditentry")
        audit = cursor.fetchall()
    raw = [str(value) for row in [*members, *users, *devices, *audit] for value in row]
    assert len(members) == 3 and len(users) == 1 and len(devices) == 1
    assert all(phone.startswith("sm4gcm:1:") for phone, _digest in members)
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for _phone, digest in members)
    joined = "\n".join(raw).encode()
    for marker in _secrets(totp_secret):
        assert marker not in joined, marker

    # The whole database as pg_dump writes it (the format of `manage.py backup`'s dump).
    if shutil.which("pg_dump") is None:
        return
    conninfo, env = pg_conninfo(connection.settings_dict)
    dump = subprocess.run(
        ["pg_dump", "--no-password", f"--dbname={conninfo}"],
        env={**os.environ, **env},
        capture_output=True,
        timeout=120,
        check=False,
    )
    if dump.returncode != 0 and b"server version" in dump.stderr:
        pytest.skip(f"pg_dump does not match the server: {dump.stderr.decode()[:200]}")
    assert dump.returncode == 0, dump.stderr.decode()
    assert "保密成员0".encode() in dump.stdout
    for marker in _secrets(totp_secret):
        assert marker not in dump.stdout, marker
