"""The audit trail: written in the caller's transaction, append-only in the database, secrets
masked, and every edit, deletion or forged insertion found by verification."""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from mofan.accounts import services as account_services
from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.audit import chain, triggers
from mofan.audit import services as audit_services
from mofan.audit.models import AuditCheckpoint, AuditEntry
from mofan.audit.services import audit_purge, audit_record, audit_verify
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TABLE = triggers.TABLE


def triggers_lifted() -> AbstractContextManager[None]:
    """Play the attacker with direct database access: drop the triggers, then put them back."""
    return triggers.lifted(connection)


def _sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _entries(n: int) -> list[AuditEntry]:
    return [
        audit_record(action="test.event", actor_name=f"tester{i}", extra={"n": i}) for i in range(n)
    ]


# --- written with the change, in the same transaction --------------------------------------------


def test_a_failing_audit_write_rolls_back_the_change(
    committee, unit_a, monkeypatch, committee_admin
):
    admin = actor_for(committee_admin)
    users, assignments, entries = (
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEntry.objects.count(),
    )

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr(chain, "compute_mac", broken)
    spec = account_services.AccountSpec(
        username="new-admin", full_name="新联络员", role=Role.UNIT_ADMIN, unit=unit_a
    )
    with pytest.raises(RuntimeError):
        account_services.accounts_bulk_create(committee=committee, specs=[spec], actor=admin)
    assert not User.objects.filter(username="new-admin").exists()
    assert User.objects.count() == users
    assert RoleAssignment.objects.count() == assignments
    assert AuditEntry.objects.count() == entries

    target = make_user(Role.UNIT_ADMIN, unit=unit_a)
    with pytest.raises(RuntimeError):
        account_services.role_grant(user=target, role=Role.MEMBER, unit=unit_a, actor=admin)
    assert not RoleAssignment.objects.filter(user=target, role=Role.MEMBER).exists()

    # With the audit working again the same change goes through, and the chain is intact.
    monkeypatch.undo()
    account_services.accounts_bulk_create(committee=committee, specs=[spec], actor=admin)
    assert User.objects.filter(username="new-admin").exists()
    assert AuditEntry.objects.filter(action="account.create", object_id__isnull=False).exists()
    assert audit_verify().ok


def test_entries_form_a_gapless_chain():
    first, second, third = _entries(3)
    assert [first.id, second.id, third.id] == [1, 2, 3]
    assert first.prev_mac == chain.GENESIS
    assert second.prev_mac == first.mac
    assert third.prev_mac == second.mac
    assert first.algorithm in {"hmac-sm3", "hmac-sha256"}
    result = audit_verify()
    assert result.ok and result.count == 3 and result.head == third.mac and result.head_id == 3


def test_mac_depends_on_the_key():
    entry = _entries(1)[0]
    with override_settings(MOFAN_AUDIT_KEY="another key"):
        result = audit_verify()
    assert not result.ok
    assert result.bad_id == entry.id
    assert audit_verify().ok


def test_the_stored_entry_is_the_signed_one_even_for_oversized_text():
    entry = audit_record(
        action="account.login.failed", actor_name="n" * 400, object_id="x" * 400, extra={}
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert len(stored.actor_name) == 150
    assert len(stored.object_id) == 64
    assert audit_verify().ok


# --- secrets are masked ------------------------------------------------------------------------


def test_secrets_are_masked_at_any_depth():
    entry = audit_record(
        action="test.secrets",
        before={"password": "hunter2", "username": "zhang"},
        extra={
            "new_password1": "Secret-1",
            "nested": [{"api_token": "tok-4711"}, {"totp_secret": "JBSWY3DP", "label": "ok"}],
            "recovery_codes": ["abc-def"],
            "count": 3,
        },
    )
    stored = AuditEntry.objects.get(pk=entry.pk).data
    assert stored["before"] == {"password": "******", "username": "zhang"}
    assert stored["extra"]["new_password1"] == "******"
    assert stored["extra"]["nested"] == [
        {"api_token": "******"},
        {"totp_secret": "******", "label": "ok"},
    ]
    assert stored["extra"]["recovery_codes"] == "******"
    assert stored["extra"]["count"] == 3
    for secret in ("hunter2", "Secret-1", "tok-4711", "JBSWY3DP", "abc-def"):
        assert secret not in str(stored)
    assert audit_verify().ok


def test_values_that_json_would_change_still_verify():
    audit_record(
        action="test.types",
        extra={
            "float": 0.1,
            "tuple": (1, 2),
            "when": timezone.now(),
            7: "int key",
            "text": "中文 \u2028 ok",
        },
    )
    assert audit_verify().ok


# --- the database refuses changes -------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET action = 'tampered' WHERE id = 1",
        f"UPDATE {TABLE} SET data = '{{}}'",
        f"DELETE FROM {TABLE} WHERE id = 2",
        f"DELETE FROM {TABLE}",
    ],
)
def test_triggers_refuse_update_and_delete(statement):
    _entries(3)
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql(statement)
    assert AuditEntry.objects.count() == 3
    assert not AuditEntry.objects.filter(action="tampered").exists()
    assert audit_verify().ok


def test_triggers_refuse_orm_changes_too():
    entry = _entries(2)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.count() == 2


def test_postgresql_trigger_refuses_truncate():
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    _entries(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql(f"TRUNCATE {TABLE}")
    assert AuditEntry.objects.count() == 2


# --- verification finds tampering -------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "account.login.success"),
        ("actor_name", "somebody-else"),
        ("actor_id", 999),
        ("client_ip", "192.0.2.1"),
        ("result", "failure"),
        ("object_id", "42"),
        ("data", '{"extra": {"n": 99}}'),
    ],
)
def test_verify_finds_an_edited_row(column, value):
    _entries(5)
    with triggers_lifted():
        _sql(f"UPDATE {TABLE} SET {column} = %s WHERE id = 3", [value])
    result = audit_verify()
    assert not result.ok
    assert result.bad_id == 3
    assert "校验码不符" in result.reason
    assert result.count == 2  # entries 1 and 2 checked out


def test_verify_finds_an_edited_timestamp():
    _entries(4)
    moment = AuditEntry.objects.get(pk=2).created_at - timedelta(seconds=1)
    with triggers_lifted():
        AuditEntry.objects.filter(pk=2).update(created_at=moment)
    result = audit_verify()
    assert (result.ok, result.bad_id) == (False, 2)


@pytest.mark.parametrize("victim", [1, 3])
def test_verify_finds_a_deleted_row(victim):
    _entries(5)
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id = %s", [victim])
    result = audit_verify()
    assert not result.ok
    assert result.bad_id == victim
    assert "缺失" in result.reason


def test_verify_finds_a_deleted_row_hidden_by_renumbering():
    """Delete #3 and renumber #4 and #5 down to close the gap: the links no longer match."""
    _entries(5)
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id = 3")
        _sql(f"UPDATE {TABLE} SET id = 3 WHERE id = 4")
        _sql(f"UPDATE {TABLE} SET id = 4 WHERE id = 5")
    result = audit_verify()
    assert not result.ok
    assert result.bad_id == 3


def _forge(entry_id: int, prev_mac: str, mac: str, when: datetime) -> None:
    """An INSERT behind the application's back (inserts are not blocked: the MAC catches them)."""
    _sql(
        f"INSERT INTO {TABLE} (id, created_at, actor_id, actor_name, client_ip, action, result, "
        "object_type, object_id, data, algorithm, prev_mac, mac) "
        "VALUES (%s, %s, NULL, 'intruder', NULL, 'account.role.grant', 'success', '', '', "
        "'{}', %s, %s, %s)",
        [entry_id, when, chain.preferred_algorithm(), prev_mac, mac],
    )


def test_verify_finds_a_forged_row_appended_at_the_end():
    entries = _entries(3)
    _forge(4, entries[-1].mac, secrets.token_hex(32), timezone.now())
    result = audit_verify()
    assert not result.ok
    assert result.bad_id == 4
    assert result.count == 3


def test_verify_finds_a_forged_row_signed_with_a_guessed_key():
    entries = _entries(3)
    when = timezone.now()
    fields = chain.entry_fields(
        id=4,
        created_at=when,
        actor_id=None,
        actor_name="intruder",
        client_ip=None,
        action="account.role.grant",
        result="success",
        object_type="",
        object_id="",
        data={},
    )
    mac = chain.compute_mac("guessed-key", chain.preferred_algorithm(), entries[-1].mac, fields)
    _forge(4, entries[-1].mac, mac, when)
    assert audit_verify().bad_id == 4
    # The same row signed with the real key verifies: the MAC, not the row shape, is the proof.
    real = chain.compute_mac(
        settings.MOFAN_AUDIT_KEY, chain.preferred_algorithm(), entries[-1].mac, fields
    )
    with triggers_lifted():
        _sql(f"UPDATE {TABLE} SET mac = %s WHERE id = 4", [real])
    assert audit_verify().ok


def test_verify_finds_a_forged_row_inserted_in_the_middle():
    """Make room by moving the tail up one id, then slip a forged row into the gap."""
    entries = _entries(4)
    with triggers_lifted():
        for old in (4, 3):
            _sql(f"UPDATE {TABLE} SET id = %s WHERE id = %s", [old + 1, old])
        _forge(3, entries[1].mac, secrets.token_hex(32), entries[1].created_at)
    result = audit_verify()
    assert not result.ok
    assert result.bad_id == 3


def test_appending_continues_after_a_rolled_back_write(monkeypatch):
    _entries(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled.back")
        raise RuntimeError
    _entries(1)
    assert list(AuditEntry.objects.order_by("id").values_list("id", flat=True)) == [1, 2, 3]
    assert audit_verify().ok


# --- purge ------------------------------------------------------------------------------------


def _record_at(monkeypatch: pytest.MonkeyPatch, moment: datetime, n: int) -> list[AuditEntry]:
    """Entries written (and signed) as if at `moment`: the clock, not the database, is faked."""
    with monkeypatch.context() as m:
        m.setattr(audit_services, "timezone", SimpleNamespace(now=lambda: moment))
        return [audit_record(action="test.old", extra={"n": i}) for i in range(n)]


def test_purge_removes_only_entries_older_than_the_retention(monkeypatch):
    now = timezone.now()
    old = _record_at(monkeypatch, now - timedelta(days=400), 3)
    borderline = _record_at(monkeypatch, now - timedelta(days=180), 2)
    recent = _entries(2)

    removed = audit_purge(before=now + timedelta(days=365))  # asks for far too much
    assert removed == 3
    remaining = set(AuditEntry.objects.values_list("id", flat=True))
    assert not remaining & {e.id for e in old}
    assert {e.id for e in borderline + recent} <= remaining
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.through_id == old[-1].id
    assert checkpoint.through_mac == old[-1].mac
    assert checkpoint.purged_count == 3
    purge_entry = AuditEntry.objects.get(action="audit.purge")
    assert purge_entry.data["extra"]["count"] == 3

    result = audit_verify()
    assert result.ok
    assert result.count == len(borderline) + len(recent) + 1
    # The triggers are back in place after the purge.
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql(f"DELETE FROM {TABLE}")
    # New entries continue the chain.
    _entries(1)
    assert audit_verify().ok


def test_purge_with_nothing_old_enough_removes_nothing(monkeypatch):
    _record_at(monkeypatch, timezone.now() - timedelta(days=100), 2)
    assert audit_purge(before=timezone.now()) == 0
    assert AuditEntry.objects.count() == 2
    assert not AuditCheckpoint.objects.exists()


@override_settings(MOFAN_AUDIT_RETENTION_DAYS=30)
def test_purge_never_goes_below_183_days(monkeypatch):
    _record_at(monkeypatch, timezone.now() - timedelta(days=100), 2)
    assert audit_purge(before=timezone.now()) == 0
    assert AuditEntry.objects.count() == 2


def test_second_purge_continues_from_the_checkpoint(monkeypatch):
    now = timezone.now()
    oldest = _record_at(monkeypatch, now - timedelta(days=500), 2)
    older = _record_at(monkeypatch, now - timedelta(days=300), 2)
    assert audit_purge(before=now - timedelta(days=450)) == 2
    assert audit_verify().ok
    assert audit_purge(before=now) == 2
    remaining = list(AuditEntry.objects.order_by("id").values_list("id", "action"))
    assert remaining == [(5, "audit.purge"), (6, "audit.purge")]
    assert AuditCheckpoint.objects.order_by("-through_id").first().through_id == older[-1].id
    assert oldest[-1].id < older[0].id
    result = audit_verify()
    assert result.ok and result.count == 2


def test_tampered_checkpoint_is_detected(monkeypatch):
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=400), 3)
    _entries(2)
    audit_purge(before=now)
    assert audit_verify().ok
    AuditCheckpoint.objects.update(purged_count=1)
    result = audit_verify()
    assert not result.ok
    assert "检查点被篡改" in result.reason


def test_deleted_checkpoint_is_detected(monkeypatch):
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=400), 3)
    _entries(1)
    audit_purge(before=now)
    AuditCheckpoint.objects.all().delete()
    result = audit_verify()
    assert not result.ok
    assert result.bad_id == 1
    assert "缺失" in result.reason
