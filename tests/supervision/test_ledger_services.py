"""Ledger services: who may put a task on the ledger, adjust it, report progress and close it;
the audit entries and the notices each write leaves."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from mofan.supervision import ledger
from mofan.supervision.models import (
    CADENCE_DAYS,
    Cadence,
    Escalation,
    LedgerItem,
    LedgerState,
    ProgressReport,
)
from tests.supervision.ledger_world import (
    audit_actions,
    local_today,
    make_evidence,
    make_item,
    world,
)

__all__ = ["world"]
pytestmark = pytest.mark.django_db

DEADLINE = local_today() + datetime.timedelta(days=30)


def _create(w, persona, unit, **kw):
    data = dict(
        unit=unit,
        task="落实“三会一课”制度，补齐上半年记录",
        leader_in_charge="王副局长",
        deadline=DEADLINE,
        cadence=Cadence.BIWEEKLY,
    )
    data.update(kw)
    return ledger.ledger_item_create(actor=w.actor(persona), **data)


def test_the_committee_admin_puts_a_task_on_a_units_ledger(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    assert (item.state, item.escalation, item.committee_id) == (
        LedgerState.OPEN,
        Escalation.NONE,
        w.committee.pk,
    )
    entry = AuditEntry.objects.get(action="ledger.create", object_id=str(item.pk))
    assert (
        entry.data["after"]["deadline"] == DEADLINE.isoformat()
        and entry.data["after"]["unit"] == w.a.pk
    )
    told = set(
        Notice.objects.filter(kind="ledger.new").values_list("recipient__username", flat=True)
    )
    assert told == {w.users["a_admin"].username, w.users["a_leader"].username}
    notice = Notice.objects.filter(kind="ledger.new").first()
    assert "三会一课" in notice.title and "每两周" in notice.body
    assert notice.url == f"/supervision/ledger/{item.pk}/"


@pytest.mark.parametrize(
    "persona", ["committee_leader", "a_admin", "a_leader", "other_admin", "auditor", "reviewer"]
)
def test_nobody_else_puts_tasks_on_the_ledger(world, persona):
    with pytest.raises(PermissionDenied):
        _create(world, persona, world.a)
    assert not LedgerItem.objects.exists() and not Notice.objects.exists()


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"task": "  "}, "督办事项"),
        ({"leader_in_charge": ""}, "分管领导"),
        ({"cadence": "daily"}, "频次"),
        ({"deadline": local_today() - datetime.timedelta(days=1)}, "不能早于今天"),
    ],
)
def test_bad_input_is_refused_in_chinese(world, kw, message):
    with pytest.raises(ValidationError) as exc:
        _create(world, "committee_admin", world.a, **kw)
    assert message in str(exc.value)
    assert not LedgerItem.objects.exists()


def test_there_is_no_daily_cadence():
    assert "daily" not in Cadence.values
    assert min(d for d in CADENCE_DAYS.values() if d) == 7


def test_update_changes_deadline_cadence_and_leader_audited_and_told(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    Notice.objects.all().delete()
    new_deadline = DEADLINE + datetime.timedelta(days=15)
    item = ledger.ledger_item_update(
        item=item,
        actor=w.admin,
        deadline=new_deadline,
        cadence=Cadence.MONTHLY,
        leader_in_charge="李副局长",
        version=item.version,
        note="任务量调整",
    )
    assert (item.deadline, item.cadence, item.leader_in_charge, item.version) == (
        new_deadline,
        Cadence.MONTHLY,
        "李副局长",
        2,
    )
    entry = AuditEntry.objects.get(action="ledger.update")
    assert entry.data["before"] == {
        "deadline": DEADLINE.isoformat(),
        "cadence": "biweekly",
        "leader_in_charge": "王副局长",
    }
    assert (
        entry.data["after"]["leader_in_charge"] == "李副局长"
        and entry.data["extra"]["note"] == "任务量调整"
    )
    assert Notice.objects.filter(kind="ledger.update", recipient=w.users["a_admin"]).exists()


def test_update_with_a_stale_version_or_by_a_leader_is_refused(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    kw = dict(deadline=DEADLINE, cadence=Cadence.WEEKLY, leader_in_charge="王副局长")
    with pytest.raises(PermissionDenied):
        ledger.ledger_item_update(item=item, actor=w.actor("committee_leader"), **kw)
    with pytest.raises(PermissionDenied):
        ledger.ledger_item_update(item=item, actor=w.actor("other_admin"), **kw)
    ledger.ledger_item_update(item=item, actor=w.admin, version=1, **kw)
    with pytest.raises(ValidationError) as exc:
        ledger.ledger_item_update(
            item=item, actor=w.admin, version=1, **{**kw, "cadence": Cadence.MONTHLY}
        )
    assert "已被他人修改" in str(exc.value)
    assert LedgerItem.objects.get(pk=item.pk).cadence == Cadence.WEEKLY


def test_moving_the_deadline_into_the_future_lifts_the_escalation(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    LedgerItem.objects.filter(pk=item.pk).update(escalation=Escalation.WARNED)
    later = local_today() + datetime.timedelta(days=10)
    item = ledger.ledger_item_update(
        item=item, actor=w.admin, deadline=later, cadence=item.cadence, leader_in_charge="王副局长"
    )
    assert item.escalation == Escalation.NONE
    entry = AuditEntry.objects.get(action="ledger.update")
    assert (
        entry.data["before"]["escalation"] == Escalation.WARNED
        and entry.data["after"]["escalation"] == 0
    )


def test_an_unchanged_update_writes_nothing(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    ledger.ledger_item_update(
        item=item,
        actor=w.admin,
        deadline=item.deadline,
        cadence=item.cadence,
        leader_in_charge=item.leader_in_charge,
    )
    assert not AuditEntry.objects.filter(action="ledger.update").exists()
    assert LedgerItem.objects.get(pk=item.pk).version == 1


@pytest.mark.parametrize("persona", ["a_admin", "a_leader"])
def test_the_units_admin_or_leader_reports_progress_with_own_evidence(world, persona):
    w = world
    item = _create(w, "committee_admin", w.a)
    own = make_evidence(w.a, w.users["a_admin"])
    report = ledger.progress_report_add(
        item=item, actor=w.actor(persona), text="已补齐记录", percent=60, evidence=[own]
    )
    assert list(report.evidence.all()) == [own]
    item.refresh_from_db()
    assert item.last_report_at == report.reported_at
    entry = AuditEntry.objects.get(action="ledger.report")
    assert entry.data["after"] == {"report": report.pk, "percent": 60, "evidence": [own.pk]}
    assert entry.actor_id == w.users[persona].pk


@pytest.mark.parametrize(
    "persona", ["a_member", "b_admin", "committee_admin", "committee_leader", "other_admin"]
)
def test_nobody_else_reports_progress(world, persona):
    item = _create(world, "committee_admin", world.a)
    with pytest.raises(PermissionDenied):
        ledger.progress_report_add(item=item, actor=world.actor(persona), text="x", percent=10)
    assert not ProgressReport.objects.exists()


def test_a_report_may_not_point_at_another_units_files_or_be_out_of_range(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    theirs = make_evidence(w.b, w.users["b_admin"], "乙单位材料.pdf")
    actor = w.actor("a_admin")
    with pytest.raises(ValidationError) as exc:
        ledger.progress_report_add(item=item, actor=actor, text="x", percent=10, evidence=[theirs])
    assert "本单位" in str(exc.value)
    for percent in (-1, 101):
        with pytest.raises(ValidationError):
            ledger.progress_report_add(item=item, actor=actor, text="x", percent=percent)
    with pytest.raises(ValidationError):
        ledger.progress_report_add(item=item, actor=actor, text=" ", percent=10)
    assert not ProgressReport.objects.exists()


def test_done_needs_the_committee_admin_and_a_note_and_is_final(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    with pytest.raises(PermissionDenied):
        ledger.ledger_item_transition(
            item=item, to=LedgerState.DONE, actor=w.actor("committee_leader"), note="完成"
        )
    with pytest.raises(ValidationError) as exc:
        ledger.ledger_item_transition(item=item, to=LedgerState.DONE, actor=w.admin, note="")
    assert "办结说明" in str(exc.value)
    item = ledger.ledger_item_transition(
        item=item, to=LedgerState.DONE, actor=w.admin, note="记录已补齐，经核实办结", version=1
    )
    assert item.state == LedgerState.DONE and item.closed_at and item.version == 2
    entry = AuditEntry.objects.get(action="ledger.done")
    assert (entry.data["before"], entry.data["after"]) == ({"state": "open"}, {"state": "done"})
    assert Notice.objects.filter(kind="ledger.done", recipient=w.users["a_leader"]).exists()
    for to in (LedgerState.CANCELLED, LedgerState.OPEN):
        with pytest.raises(ValidationError):
            ledger.ledger_item_transition(item=item, to=to, actor=w.admin, note="x")
    with pytest.raises(ValidationError):  # reports stop once it is closed
        ledger.progress_report_add(item=item, actor=w.actor("a_admin"), text="x", percent=100)
    with pytest.raises(ValidationError):
        ledger.ledger_item_update(
            item=item, actor=w.admin, deadline=DEADLINE, cadence="weekly", leader_in_charge="x"
        )


def test_cancel_needs_a_reason_and_a_fresh_version(world):
    w = world
    item = _create(w, "committee_admin", w.a)
    with pytest.raises(ValidationError) as exc:
        ledger.ledger_item_transition(item=item, to=LedgerState.CANCELLED, actor=w.admin, note=" ")
    assert "撤销理由" in str(exc.value)
    with pytest.raises(ValidationError):
        ledger.ledger_item_transition(
            item=item, to=LedgerState.CANCELLED, actor=w.admin, note="任务调整", version=7
        )
    item = ledger.ledger_item_transition(
        item=item, to=LedgerState.CANCELLED, actor=w.admin, note="任务调整"
    )
    assert item.state == LedgerState.CANCELLED and item.close_note == "任务调整"
    assert audit_actions(item) == ["ledger.create", "ledger.cancel"]


def test_another_committees_admin_cannot_close_the_item(world):
    w = world
    item = make_item(w, w.a)
    with pytest.raises(PermissionDenied):
        ledger.ledger_item_transition(
            item=item, to=LedgerState.DONE, actor=w.actor("other_admin"), note="x"
        )
    assert LedgerItem.objects.get(pk=item.pk).state == LedgerState.OPEN
