"""Ledger items (挂账督办): put on a unit's ledger, adjusted, reported on, and closed through the
one transition function."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.evidence.models import Evidence
from mofan.organizations.models import Unit
from mofan.supervision.common import require_committee_admin, today_or, update_if_current
from mofan.supervision.ledger.common import notify_unit, stale
from mofan.supervision.models import Cadence, Escalation, LedgerItem, LedgerState, ProgressReport


@transaction.atomic
def ledger_item_create(
    *,
    unit: Unit,
    task: str,
    leader_in_charge: str,
    deadline: datetime.date,
    actor: Actor,
    cadence: str = Cadence.MONTHLY,
    campaign: Campaign | None = None,
    today: datetime.date | None = None,
) -> LedgerItem:
    """Put a key task on a unit's ledger (the committee admin); the unit's people are told."""
    require_committee_admin(actor, unit.committee_id, _("只有本工委管理员可以挂账督办。"))
    if not task.strip():
        raise ValidationError(_("请填写督办事项。"))
    if not leader_in_charge.strip():
        raise ValidationError(_("请填写分管领导。"))
    if cadence not in Cadence.values:
        raise ValidationError(_("进展报告频次无效。"))
    if deadline < today_or(today):
        raise ValidationError(_("完成时限不能早于今天。"))
    if campaign is not None and campaign.committee_id != unit.committee_id:
        raise ValidationError(_("创建活动不属于该单位所在工委。"))
    item = LedgerItem.objects.create(
        committee_id=unit.committee_id,
        campaign=campaign,
        unit=unit,
        task=task.strip(),
        leader_in_charge=leader_in_charge.strip(),
        deadline=deadline,
        cadence=cadence,
        created_by=actor.user,
    )
    audit_record(
        action="ledger.create",
        actor=actor.user,
        target=item,
        committee_id=unit.committee_id,
        after={
            "unit": unit.pk,
            "task": item.task,
            "leader_in_charge": item.leader_in_charge,
            "deadline": deadline.isoformat(),
            "cadence": cadence,
            "campaign": campaign.pk if campaign else None,
        },
    )
    notify_unit(
        item,
        kind="ledger.new",
        title=_("新的挂账督办事项：%(t)s"),
        body=_("完成时限：%(d)s；进展报告频次：%(c)s。")
        % {
            "d": deadline.isoformat(),
            "c": Cadence(cadence).label,
        },
        key=f"ledger:{item.pk}:new",
    )
    return item


UPDATABLE = ("deadline", "cadence", "leader_in_charge")


@transaction.atomic
def ledger_item_update(
    *,
    item: LedgerItem,
    actor: Actor,
    deadline: datetime.date,
    cadence: str,
    leader_in_charge: str,
    version: int | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> LedgerItem:
    """Change the deadline, cadence or leader in charge of an open item (audited). A deadline
    moved to today or later resets the escalation: the item is no longer overdue."""
    item = LedgerItem.objects.get(pk=item.pk)
    require_committee_admin(actor, item.committee_id, _("只有本工委管理员可以调整督办事项。"))
    if item.state != LedgerState.OPEN:
        raise ValidationError(_("已办结或已撤销的督办事项不能再调整。"))
    if version is not None and version != item.version:
        raise stale()
    if cadence not in Cadence.values:
        raise ValidationError(_("进展报告频次无效。"))
    if not leader_in_charge.strip():
        raise ValidationError(_("请填写分管领导。"))
    new = {"deadline": deadline, "cadence": cadence, "leader_in_charge": leader_in_charge.strip()}
    changed: dict[str, Any] = {k: v for k, v in new.items() if getattr(item, k) != v}
    if not changed:
        return item
    day = today_or(today)
    if "deadline" in changed and deadline < day:
        raise ValidationError(_("完成时限不能早于今天。"))
    before: dict[str, Any] = {k: _plain(getattr(item, k)) for k in changed}
    after: dict[str, Any] = {k: _plain(v) for k, v in changed.items()}
    if "deadline" in changed and item.escalation != Escalation.NONE:
        changed["escalation"] = Escalation.NONE
        changed["escalated_at"] = None
        before["escalation"] = item.escalation
        after["escalation"] = Escalation.NONE
    if not update_if_current(LedgerItem, item.pk, version=item.version, **changed):
        raise stale()
    item.refresh_from_db()
    audit_record(
        action="ledger.update",
        actor=actor.user,
        target=item,
        before=before,
        after=after,
        extra={"note": note.strip()} if note.strip() else None,
    )
    notify_unit(
        item,
        kind="ledger.update",
        title=_("督办事项已调整：%(t)s"),
        body=_("完成时限：%(d)s；进展报告频次：%(c)s；分管领导：%(l)s。")
        % {
            "d": item.deadline.isoformat(),
            "c": item.get_cadence_display(),
            "l": item.leader_in_charge,
        },
    )
    return item


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


@transaction.atomic
def progress_report_add(
    *,
    item: LedgerItem,
    actor: Actor,
    text: str,
    percent: int,
    evidence: Iterable[Evidence] = (),
) -> ProgressReport:
    """A progress report by the unit's admin or leader, optionally pointing at files already in
    the unit's own evidence store (nothing is uploaded twice)."""
    item = LedgerItem.objects.get(pk=item.pk)
    if not rules.reads_unit(actor, item.unit_id):
        raise PermissionDenied(_("只有本单位联络员或单位领导可以报送进展。"))
    if item.state != LedgerState.OPEN:
        raise ValidationError(_("该督办事项已办结或已撤销，无需再报送进展。"))
    if not text.strip():
        raise ValidationError(_("请填写进展情况。"))
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValidationError(_("完成进度应为 0 到 100 之间的整数。"))
    files = list(evidence)
    if any(e.unit_id != item.unit_id for e in files):
        raise ValidationError(_("只能引用本单位佐证材料库中的文件。"))
    report = ProgressReport.objects.create(
        item=item, text=text.strip(), percent=percent, reported_by=actor.user
    )
    if files:
        report.evidence.set(files)
    LedgerItem.objects.filter(pk=item.pk).update(last_report_at=report.reported_at)
    audit_record(
        action="ledger.report",
        actor=actor.user,
        target=item,
        after={
            "report": report.pk,
            "percent": percent,
            "evidence": sorted(e.pk for e in files),
        },
    )
    return report


# The one state-transition function: (from, to) -> (action name, message when the note is empty).
TRANSITIONS: dict[tuple[str, str], tuple[str, Any]] = {
    (LedgerState.OPEN, LedgerState.DONE): ("done", gettext_lazy("请填写办结说明。")),
    (LedgerState.OPEN, LedgerState.CANCELLED): ("cancel", gettext_lazy("请写明撤销理由。")),
}


@transaction.atomic
def ledger_item_transition(
    *,
    item: LedgerItem,
    to: str,
    actor: Actor,
    note: str,
    version: int | None = None,
) -> LedgerItem:
    """督办中 → 已办结 (the committee admin confirms completion with a note) or → 已撤销 (with a
    reason). Checked, saved against the version, audited; the unit's people are told."""
    item = LedgerItem.objects.get(pk=item.pk)
    key = (item.state, to)
    if key not in TRANSITIONS:
        raise ValidationError(
            _("督办事项不能从“%(a)s”变为“%(b)s”。")
            % {
                "a": LedgerState(item.state).label,
                "b": LedgerState(to).label if to in LedgerState.values else to,
            }
        )
    require_committee_admin(actor, item.committee_id, _("只有本工委管理员可以办结或撤销督办事项。"))
    name, empty_message = TRANSITIONS[key]
    if not note.strip():
        raise ValidationError(str(empty_message))
    expected = item.version if version is None else version
    now = timezone.now()
    if not update_if_current(
        LedgerItem,
        item.pk,
        version=expected,
        in_state=item.state,
        state=to,
        closed_at=now,
        close_note=note.strip(),
    ):
        raise stale()
    before = item.state
    item.refresh_from_db()
    audit_record(
        action=f"ledger.{name}",
        actor=actor.user,
        target=item,
        before={"state": before},
        after={"state": to},
        extra={"note": item.close_note},
    )
    title = _("督办事项已办结：%(t)s") if name == "done" else _("督办事项已撤销：%(t)s")
    notify_unit(
        item,
        kind=f"ledger.{name}",
        title=title,
        body=item.close_note,
        key=f"ledger:{item.pk}:{name}",
    )
    return item
