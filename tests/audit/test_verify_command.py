"""`manage.py verify_audit` and `manage.py audit_purge`."""

from __future__ import annotations

import io
import json
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from mofan.audit import services as audit_services
from mofan.audit import triggers
from mofan.audit.models import AuditCheckpoint, AuditEntry
from mofan.audit.services import audit_record

pytestmark = pytest.mark.django_db

TABLE = triggers.TABLE


def triggers_lifted() -> AbstractContextManager[None]:
    """Play the attacker with direct database access: drop the triggers, then put them back."""
    return triggers.lifted(connection)


def _sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def verify(*args: str) -> tuple[int, str, str]:
    """Run the command as cron would: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    else:
        code = 0
    return code, out.getvalue(), err.getvalue()


def _entries(n: int) -> list[AuditEntry]:
    return [audit_record(action="test.event", extra={"n": i}) for i in range(n)]


def _record_at(monkeypatch: pytest.MonkeyPatch, moment: datetime, n: int) -> list[AuditEntry]:
    with monkeypatch.context() as m:
        m.setattr(audit_services, "timezone", SimpleNamespace(now=lambda: moment))
        return [audit_record(action="test.old", extra={"n": i}) for i in range(n)]


# --- verify_audit ------------------------------------------------------------------------------


def test_intact_chain_exits_0_with_count_and_head():
    entries = _entries(4)
    code, out, err = verify()
    assert code == 0, err
    assert "4 entries" in out
    assert f"head #4 {entries[-1].mac}" in out
    assert err == ""


def test_empty_chain_is_intact():
    code, out, _err = verify()
    assert code == 0
    assert "0 entries" in out


def test_edited_row_exits_1_naming_it():
    _entries(5)
    with triggers_lifted():
        _sql(f"UPDATE {TABLE} SET actor_name = 'somebody' WHERE id = 4")
    code, out, err = verify()
    assert code == 1
    assert "#4" in err
    assert "校验码不符" in err
    assert "OK" not in out


def test_deleted_row_exits_1_naming_it():
    _entries(5)
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id = 2")
    code, _out, err = verify()
    assert code == 1
    assert "#2" in err
    assert "缺失" in err


def test_inserted_row_exits_1_naming_it():
    entries = _entries(3)
    _sql(
        f"INSERT INTO {TABLE} (id, created_at, actor_id, actor_name, client_ip, action, result, "
        "object_type, object_id, data, algorithm, prev_mac, mac) VALUES (4, %s, NULL, "
        "'intruder', NULL, 'account.role.grant', 'success', '', '', '{}', %s, %s, %s)",
        [timezone.now(), entries[-1].algorithm, entries[-1].mac, "f" * 64],
    )
    code, _out, err = verify()
    assert code == 1
    assert "#4" in err


def test_verify_from_a_subprocess_style_exit_status():
    """The exit status is what a monitoring job sees: SystemExit(1), not an exception."""
    _entries(2)
    with triggers_lifted():
        _sql(f"UPDATE {TABLE} SET result = 'failure' WHERE id = 1")
    with pytest.raises(SystemExit) as info:
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.code == 1


def test_truncated_tail_is_caught_with_the_previous_anchor():
    _entries(5)
    code, out, _err = verify()
    anchor = out.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert anchor.startswith("6:")  # the five, and the first run's audit.anchor.created
    _entries(1)
    assert verify("--anchor", anchor)[0] == 0  # the chain grew: fine

    # Cut off the newest three entries: the chain that is left is self-consistent, but not
    # with what the previous run saw (given, or kept in the anchor file).
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id >= 4")
    code, _out, err = verify("--anchor", anchor)
    assert code == 1
    assert "#4" in err
    assert "链尾被截断" in err


def test_anchor_entry_replaced_is_caught():
    _entries(3)
    anchor = verify()[1].strip().splitlines()[-1].rsplit(" ", 1)[-1]
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id = 3")
    audit_record(action="test.replacement")  # a new, correctly chained #3
    code, _out, err = verify("--anchor", anchor)
    assert code == 1
    assert "#3" in err


def test_anchor_survives_a_purge(monkeypatch):
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=400), 3)
    anchor = verify()[1].strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert anchor.startswith("4:")  # the three, and the first run's audit.anchor.created
    call_command("audit_purge", "--before", now.date().isoformat(), stdout=io.StringIO())
    assert verify("--anchor", anchor)[0] == 0
    with pytest.raises(CommandError):
        call_command("verify_audit", "--anchor", "garbage", stdout=io.StringIO())


# --- audit_purge --------------------------------------------------------------------------------


def test_purge_command_removes_old_entries_and_verify_still_passes(monkeypatch):
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=400), 3)
    young = _record_at(monkeypatch, now - timedelta(days=100), 2)
    young += _entries(2)
    out = io.StringIO()
    call_command(
        "audit_purge", "--before", (now - timedelta(days=200)).date().isoformat(), stdout=out
    )
    assert "Removed 3" in out.getvalue()
    assert set(AuditEntry.objects.values_list("id", flat=True)) >= {e.id for e in young}
    assert AuditEntry.objects.filter(action="test.old").count() == 2
    code, stdout, err = verify()
    assert code == 0, err
    assert "5 entries" in stdout  # 4 young + the purge's own entry
    assert AuditCheckpoint.objects.count() == 1


def test_purge_command_never_removes_young_entries_even_with_a_future_date(monkeypatch):
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=182), 2)
    _entries(2)
    out = io.StringIO()
    call_command("audit_purge", "--before", "2999-12-31", stdout=out)
    assert "Removed 0" in out.getvalue()
    assert "retention" in out.getvalue()
    assert AuditEntry.objects.count() == 4
    assert not AuditCheckpoint.objects.exists()
    assert verify()[0] == 0


def test_purge_command_with_future_date_removes_only_beyond_retention(monkeypatch):
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=200), 2)
    _record_at(monkeypatch, now - timedelta(days=170), 2)
    call_command("audit_purge", "--before", "2999-12-31", stdout=io.StringIO())
    assert AuditEntry.objects.filter(action="test.old").count() == 2
    assert all(
        now - created < timedelta(days=183)
        for created in AuditEntry.objects.values_list("created_at", flat=True)
    )
    assert verify()[0] == 0


def test_tampered_checkpoint_fails_verify(monkeypatch):
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=400), 3)
    _entries(1)
    call_command("audit_purge", "--before", now.date().isoformat(), stdout=io.StringIO())
    assert verify()[0] == 0
    # Hide two more deletions by moving the checkpoint forward.
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id IN (4, 5)")
    AuditCheckpoint.objects.update(through_id=5)
    code, _out, err = verify()
    assert code == 1
    assert "检查点被篡改" in err


def test_purge_command_rejects_a_bad_date():
    with pytest.raises(CommandError):
        call_command("audit_purge", "--before", "yesterday", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("audit_purge", stdout=io.StringIO())


# --- the stored anchor ----------------------------------------------------------------------------


def test_a_truncated_tail_fails_without_any_argument(settings):
    _entries(5)
    code, _out, _err = verify()  # the first run keeps the head in the anchor file
    assert code == 0
    assert Path(settings.MOFAN_AUDIT_ANCHOR_FILE).exists()
    _entries(2)
    assert verify()[0] == 0  # the chain grew: fine, and the anchor moves on
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id >= 6")
    code, _out, err = verify()
    assert code == 1
    assert "链尾被截断" in err


def test_the_anchor_file_is_signed(settings):
    _entries(3)
    assert verify()[0] == 0
    path = Path(settings.MOFAN_AUDIT_ANCHOR_FILE)
    data = json.loads(path.read_text())
    data["head_id"] = 1  # an attacker moves the anchor back before cutting the tail
    path.write_text(json.dumps(data))
    code, _out, err = verify()
    assert code == 1
    assert "锚点" in err


def test_a_deleted_anchor_file_is_noticed(settings):
    _entries(3)
    assert verify()[0] == 0
    Path(settings.MOFAN_AUDIT_ANCHOR_FILE).unlink()
    code, _out, err = verify()
    assert code == 1
    assert "锚点" in err


def test_a_deliberate_reset_is_audited(settings):
    _entries(4)
    assert verify()[0] == 0
    with triggers_lifted():
        _sql(f"DELETE FROM {TABLE} WHERE id >= 3")  # as after restoring an older backup
    assert verify()[0] == 1
    code, out, _err = verify("--reset-anchor")
    assert code == 0, out
    assert AuditEntry.objects.filter(action="audit.anchor.reset").exists()
    assert verify()[0] == 0


@pytest.mark.parametrize("statement", [0, 1])
def test_a_missing_trigger_is_reported(statement):
    _entries(2)
    assert verify()[0] == 0
    dropped = triggers.drop_sql(connection.vendor)[statement]
    try:
        _sql(dropped)
        code, _out, err = verify()
        assert code == 1
        assert "触发器" in err
    finally:
        with triggers_lifted():
            pass  # lifted() drops what is left and re-creates every trigger
    assert verify()[0] == 0
