"""Escalation of open ledger items: the pure decision (`escalation_decide`) and applying it to
every open item (`ledger_escalate`, run daily by `supervision_escalate`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.notifications.recipients import committee_people, unit_people
from mofan.notifications.services import notify
from mofan.supervision.common import today_or
from mofan.supervision.ledger.common import item_url, notify_unit
from mofan.supervision.models import CADENCE_DAYS, Escalation, LedgerItem, LedgerState

# Escalation thresholds, in days after the deadline ("after +N days": today > deadline + N).
REMINDER_DAYS_BEFORE = (7, 1)
WARN_AFTER_DAYS = 7
INTERVIEW_AFTER_DAYS = 14
# A progress report counts as late this many days after its cadence has run out.
REPORT_GRACE_DAYS = 3


def _leaders(unit_id: int) -> Any:
    return unit_people(unit_id, roles=(Role.UNIT_LEADER,))


# --- escalation: the pure decision ---------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFacts:
    """What the decision needs to know about one open item, as plain data."""

    deadline: datetime.date
    level: int = Escalation.NONE
    cadence_days: int | None = None
    created_on: datetime.date | None = None
    last_report_on: datetime.date | None = None


@dataclass(frozen=True)
class Decision:
    level: int  # the level the item has after today (never lower than before)
    reached: tuple[int, ...] = ()  # levels newly reached today, lowest first
    reminder: int | None = None  # 7 or 1: a "days before the deadline" reminder is due
    report_due_since: datetime.date | None = None  # a progress report is late since this date


def level_on(deadline: datetime.date, today: datetime.date) -> int:
    """The escalation level the calendar alone asks for."""
    overdue = (today - deadline).days
    if overdue > INTERVIEW_AFTER_DAYS:
        return Escalation.INTERVIEW
    if overdue > WARN_AFTER_DAYS:
        return Escalation.WARNED
    if overdue > 0:
        return Escalation.REMINDED
    return Escalation.NONE


def escalation_decide(facts: LedgerFacts, today: datetime.date) -> Decision:
    """Pure: what is due for one open item on `today`.

    Before the deadline: a reminder once the deadline is 7 days away or less (the 7-day one) and
    once it is 1 day away or due today (the 1-day one). After it: 已提醒 the day after, 已预警 when
    more than 7 days have passed, 需约谈 after 14; a level never goes down here. Until the
    deadline, a progress report is late when nothing was reported for its cadence + 3 days
    (counted from the last report, else from the item's creation); never for "完成时报告"."""
    days_left = (facts.deadline - today).days
    reminder = None
    if 0 <= days_left <= 1:
        reminder = 1
    elif 1 < days_left <= 7:
        reminder = 7
    target = max(facts.level, level_on(facts.deadline, today))
    reached = tuple(range(facts.level + 1, target + 1))
    report_due_since = None
    since = facts.last_report_on or facts.created_on
    if facts.cadence_days and since is not None and days_left >= 0:
        late_from = since + datetime.timedelta(days=facts.cadence_days + REPORT_GRACE_DAYS)
        if today >= late_from:
            report_due_since = since
    return Decision(
        level=target, reached=reached, reminder=reminder, report_due_since=report_due_since
    )


def facts_of(item: LedgerItem) -> LedgerFacts:
    local = timezone.localtime
    return LedgerFacts(
        deadline=item.deadline,
        level=item.escalation,
        cadence_days=CADENCE_DAYS.get(item.cadence),
        created_on=local(item.created_at).date() if item.created_at else None,
        last_report_on=local(item.last_report_at).date() if item.last_report_at else None,
    )


# --- escalation: applying it ------------------------------------------------------------


@dataclass
class EscalationSummary:
    today: datetime.date
    checked: int = 0
    reminders: dict[int, int] = field(default_factory=lambda: {7: 0, 1: 0})
    reached: dict[int, int] = field(
        default_factory=lambda: {
            Escalation.REMINDED: 0,
            Escalation.WARNED: 0,
            Escalation.INTERVIEW: 0,
        }
    )
    report_reminders: int = 0

    def text(self) -> str:
        return _(
            "督办升级（%(day)s）：检查督办中事项 %(n)d 项；到期前7天提醒 %(r7)d 项、前1天提醒"
            " %(r1)d 项；新逾期（已提醒）%(l1)d 项，新预警 %(l2)d 项，新需约谈 %(l3)d 项；"
            "进展报告提醒 %(rep)d 项。"
        ) % {
            "day": self.today.isoformat(),
            "n": self.checked,
            "r7": self.reminders[7],
            "r1": self.reminders[1],
            "l1": self.reached[Escalation.REMINDED],
            "l2": self.reached[Escalation.WARNED],
            "l3": self.reached[Escalation.INTERVIEW],
            "rep": self.report_reminders,
        }


def ledger_escalate(*, today: datetime.date | None = None) -> EscalationSummary:
    """Apply `escalation_decide` to every open item. Each item in its own transaction, audited
    under the system actor; idempotent for a given day."""
    day = today_or(today)
    summary = EscalationSummary(today=day)
    items = LedgerItem.objects.filter(state=LedgerState.OPEN).select_related("unit")
    for item in items.iterator(chunk_size=500):
        summary.checked += 1
        decision = escalation_decide(facts_of(item), day)
        if decision.reached or decision.reminder or decision.report_due_since:
            _apply(item, decision, day, summary)
    return summary


@transaction.atomic
def _apply(
    item: LedgerItem, decision: Decision, day: datetime.date, summary: EscalationSummary
) -> None:
    deadline = item.deadline.isoformat()
    if decision.reminder is not None:
        days_left = (item.deadline - day).days
        sent = notify_unit(
            item,
            kind="ledger.due",
            title=_("督办事项即将到期：%(t)s"),
            body=(
                _("完成时限为今天（%(d)s）。")
                if days_left == 0
                else _("完成时限：%(d)s，还有 %(n)d 天。")
            )
            % {"d": deadline, "n": days_left},
            key=f"ledger:{item.pk}:due{decision.reminder}:{deadline}",
        )
        if sent:
            summary.reminders[decision.reminder] += 1
    if decision.report_due_since is not None:
        sent = notify_unit(
            item,
            kind="ledger.report_due",
            title=_("督办事项待报进展：%(t)s"),
            body=_("自 %(s)s 以来尚未报送进展（报告频次：%(c)s）。请在方便时报送一次进展。")
            % {"s": decision.report_due_since.isoformat(), "c": item.get_cadence_display()},
            key=f"ledger:{item.pk}:report:{decision.report_due_since.isoformat()}",
        )
        if sent:
            summary.report_reminders += 1
    if not decision.reached:
        return
    updated = LedgerItem.objects.filter(
        pk=item.pk, state=LedgerState.OPEN, escalation=item.escalation
    ).update(escalation=decision.level, escalated_at=timezone.now())
    if updated != 1:  # closed or escalated by somebody else meanwhile
        return
    audit_record(
        action="ledger.escalate",
        actor_name="system",
        target=item,
        committee_id=item.committee_id,
        before={"escalation": item.escalation},
        after={"escalation": decision.level},
        extra={"today": day.isoformat(), "deadline": deadline},
    )
    for level in decision.reached:
        summary.reached[level] += 1
        _notify_level(item, level, deadline)


def _notify_level(item: LedgerItem, level: int, deadline: str) -> None:
    unit_name, task, url = item.unit.name, item.task[:30], item_url(item)
    if level == Escalation.REMINDED:
        notify_unit(
            item,
            kind="ledger.overdue",
            title=_("督办事项已逾期：%(t)s"),
            body=_("完成时限为 %(d)s，现已逾期。请报送进展或说明情况。") % {"d": deadline},
            key=f"ledger:{item.pk}:overdue:{deadline}",
        )
    elif level == Escalation.WARNED:
        notify(
            recipients=[*_leaders(item.unit_id), *committee_people(item.committee_id)],
            kind="ledger.warned",
            title=_("督办预警：%(u)s“%(t)s”逾期超过7天") % {"u": unit_name, "t": task},
            body=_("完成时限为 %(d)s。预警已显示在该单位首页。") % {"d": deadline},
            url=url,
            key=f"ledger:{item.pk}:warned:{deadline}",
        )
    elif level == Escalation.INTERVIEW:
        notify(
            recipients=committee_people(item.committee_id),
            kind="ledger.interview_due",
            title=_("需约谈：%(u)s“%(t)s”逾期超过14天") % {"u": unit_name, "t": task},
            body=_("完成时限为 %(d)s。请安排约谈并登记约谈记录。") % {"d": deadline},
            url=url,
            key=f"ledger:{item.pk}:interview:{deadline}",
        )
