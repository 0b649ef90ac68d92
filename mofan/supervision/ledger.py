"""Writes of the supervision ledger (挂账督办), its escalation, 约谈 records and yellow cards.

- Ledger items: the committee admin puts a key task on a unit's ledger (`ledger_item_create`),
  adjusts deadline, cadence or leader (`ledger_item_update`), and ends it through the one
  transition function (`ledger_item_transition`: 督办中 → 已办结 / 已撤销). The unit's admin or
  leader reports progress at the chosen cadence (`progress_report_add`) — weekly at most often.
- Escalation: `escalation_decide` is pure (plain facts and a date in, a decision out);
  `ledger_escalate(today=...)` applies it to every open item: reminders 7 and 1 days before the
  deadline, then 已提醒 (overdue) → 已预警 (+7 days, shown on the unit's home page) → 需约谈
  (+14 days), and one reminder when a progress report is a cadence (+3 days) late. Running it
  twice the same day changes nothing: levels only rise and every notice carries a dedupe key.
- 约谈 (`interview_create`) and yellow cards (`yellow_card_issue`, `yellow_card_lift`) put items on
  the unit's problem list through `rectification.services.problem_item_create`.

Every write is audited in its own transaction; notices never ask anyone to check in, take photos
or report daily.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.evidence.models import Evidence
from mofan.notifications.recipients import committee_people, unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import PartyOrganization, Unit
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from mofan.rectification.services import problem_item_create
from mofan.supervision.models import (
    CADENCE_DAYS,
    Cadence,
    Escalation,
    Interview,
    LedgerItem,
    LedgerState,
    ProgressReport,
    YellowCard,
)

# Escalation thresholds, in days after the deadline ("after +N days": today > deadline + N).
REMINDER_DAYS_BEFORE = (7, 1)
WARN_AFTER_DAYS = 7
INTERVIEW_AFTER_DAYS = 14
# A progress report counts as late this many days after its cadence has run out.
REPORT_GRACE_DAYS = 3
# Problem items from a 约谈 or a yellow card without their own date are due after this.
DEFAULT_RECTIFY_DAYS = 30

INTERVIEW_ORIGIN = "supervision.interview"
YELLOW_CARD_ORIGIN = "supervision.yellowcard"


def _today(today: datetime.date | None) -> datetime.date:
    return today if today is not None else timezone.localdate()


def _require_committee_admin(actor: Actor, committee_id: int, message: str) -> None:
    if committee_id not in actor.committees_with(Role.COMMITTEE_ADMIN):
        raise PermissionDenied(message)


def _stale() -> ValidationError:
    return ValidationError(_("该督办事项已被他人修改，请刷新后重试。"), code="stale")


def _item_url(item: LedgerItem) -> str:
    return reverse("supervision:ledger_detail", args=[item.pk])


def _leaders(unit_id: int) -> Any:
    return unit_people(unit_id, roles=(Role.UNIT_LEADER,))


# --- ledger items ------------------------------------------------------------------------------


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
    _require_committee_admin(actor, unit.committee_id, _("只有本工委管理员可以挂账督办。"))
    if not task.strip():
        raise ValidationError(_("请填写督办事项。"))
    if not leader_in_charge.strip():
        raise ValidationError(_("请填写分管领导。"))
    if cadence not in Cadence.values:
        raise ValidationError(_("进展报告频次无效。"))
    if deadline < _today(today):
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
    notify(
        recipients=unit_people(unit.pk),
        kind="ledger.new",
        title=_("新的挂账督办事项：%(t)s") % {"t": item.task[:30]},
        body=_("完成时限：%(d)s；进展报告频次：%(c)s。")
        % {
            "d": deadline.isoformat(),
            "c": Cadence(cadence).label,
        },
        url=_item_url(item),
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
    _require_committee_admin(actor, item.committee_id, _("只有本工委管理员可以调整督办事项。"))
    if item.state != LedgerState.OPEN:
        raise ValidationError(_("已办结或已撤销的督办事项不能再调整。"))
    if version is not None and version != item.version:
        raise _stale()
    if cadence not in Cadence.values:
        raise ValidationError(_("进展报告频次无效。"))
    if not leader_in_charge.strip():
        raise ValidationError(_("请填写分管领导。"))
    new = {"deadline": deadline, "cadence": cadence, "leader_in_charge": leader_in_charge.strip()}
    changed = {k: v for k, v in new.items() if getattr(item, k) != v}
    if not changed:
        return item
    day = _today(today)
    if "deadline" in changed and deadline < day:
        raise ValidationError(_("完成时限不能早于今天。"))
    before: dict[str, Any] = {k: _plain(getattr(item, k)) for k in changed}
    after: dict[str, Any] = {k: _plain(v) for k, v in changed.items()}
    if "deadline" in changed and item.escalation != Escalation.NONE:
        changed["escalation"] = Escalation.NONE
        changed["escalated_at"] = None
        before["escalation"] = item.escalation
        after["escalation"] = Escalation.NONE
    updated = LedgerItem.objects.filter(pk=item.pk, version=item.version).update(
        **changed, version=F("version") + 1
    )
    if updated != 1:
        raise _stale()
    item.refresh_from_db()
    audit_record(
        action="ledger.update",
        actor=actor.user,
        target=item,
        before=before,
        after=after,
        extra={"note": note.strip()} if note.strip() else None,
    )
    notify(
        recipients=unit_people(item.unit_id),
        kind="ledger.update",
        title=_("督办事项已调整：%(t)s") % {"t": item.task[:30]},
        body=_("完成时限：%(d)s；进展报告频次：%(c)s；分管领导：%(l)s。")
        % {
            "d": item.deadline.isoformat(),
            "c": item.get_cadence_display(),
            "l": item.leader_in_charge,
        },
        url=_item_url(item),
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
    if item.unit_id not in actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER):
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
    _require_committee_admin(
        actor, item.committee_id, _("只有本工委管理员可以办结或撤销督办事项。")
    )
    name, empty_message = TRANSITIONS[key]
    if not note.strip():
        raise ValidationError(str(empty_message))
    expected = item.version if version is None else version
    now = timezone.now()
    updated = LedgerItem.objects.filter(pk=item.pk, version=expected, state=item.state).update(
        state=to, closed_at=now, close_note=note.strip(), version=F("version") + 1
    )
    if updated != 1:
        raise _stale()
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
    notify(
        recipients=unit_people(item.unit_id),
        kind=f"ledger.{name}",
        title=title % {"t": item.task[:30]},
        body=item.close_note,
        url=_item_url(item),
        key=f"ledger:{item.pk}:{name}",
    )
    return item


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
    day = _today(today)
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
    url = _item_url(item)
    task = item.task[:30]
    if decision.reminder is not None:
        days_left = (item.deadline - day).days
        sent = notify(
            recipients=unit_people(item.unit_id),
            kind="ledger.due",
            title=_("督办事项即将到期：%(t)s") % {"t": task},
            body=(
                _("完成时限为今天（%(d)s）。")
                if days_left == 0
                else _("完成时限：%(d)s，还有 %(n)d 天。")
            )
            % {"d": deadline, "n": days_left},
            url=url,
            key=f"ledger:{item.pk}:due{decision.reminder}:{deadline}",
        )
        if sent:
            summary.reminders[decision.reminder] += 1
    if decision.report_due_since is not None:
        sent = notify(
            recipients=unit_people(item.unit_id),
            kind="ledger.report_due",
            title=_("督办事项待报进展：%(t)s") % {"t": task},
            body=_("自 %(s)s 以来尚未报送进展（报告频次：%(c)s）。请在方便时报送一次进展。")
            % {"s": decision.report_due_since.isoformat(), "c": item.get_cadence_display()},
            url=url,
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
        _notify_level(item, level, url, task, deadline)


def _notify_level(item: LedgerItem, level: int, url: str, task: str, deadline: str) -> None:
    unit_name = item.unit.name
    if level == Escalation.REMINDED:
        notify(
            recipients=unit_people(item.unit_id),
            kind="ledger.overdue",
            title=_("督办事项已逾期：%(t)s") % {"t": task},
            body=_("完成时限为 %(d)s，现已逾期。请报送进展或说明情况。") % {"d": deadline},
            url=url,
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


# --- 约谈 ----------------------------------------------------------------------------------------


@transaction.atomic
def interview_create(
    *,
    unit: Unit,
    interviewer: str,
    interviewee: str,
    held_on: datetime.date,
    points: str,
    actor: Actor,
    commitments: str = "",
    rectify_by: datetime.date | None = None,
    ledger_item: LedgerItem | None = None,
    today: datetime.date | None = None,
) -> Interview:
    """Record a 约谈 (the committee admin). The points raised become an item on the unit's
    problem list (due `rectify_by`, else in 30 days); a linked ledger item at 需约谈 level gets
    an audited record that the 约谈 took place."""
    _require_committee_admin(actor, unit.committee_id, _("只有本工委管理员可以登记约谈。"))
    day = _today(today)
    if not interviewer.strip() or not interviewee.strip():
        raise ValidationError(_("请填写约谈人和被约谈人。"))
    if not points.strip():
        raise ValidationError(_("请填写约谈指出的问题。"))
    if held_on > day:
        raise ValidationError(_("约谈日期不能晚于今天：请在约谈后登记。"))
    if rectify_by is not None and rectify_by < held_on:
        raise ValidationError(_("整改时限不能早于约谈日期。"))
    if ledger_item is not None and ledger_item.unit_id != unit.pk:
        raise ValidationError(_("所选督办事项不属于该单位。"))
    interview = Interview.objects.create(
        committee_id=unit.committee_id,
        unit=unit,
        ledger_item=ledger_item,
        interviewer=interviewer.strip(),
        interviewee=interviewee.strip(),
        held_on=held_on,
        points=points.strip(),
        commitments=commitments.strip(),
        rectify_by=rectify_by,
        recorded_by=actor.user,
    )
    deadline = rectify_by or day + datetime.timedelta(days=DEFAULT_RECTIFY_DAYS)
    problem = problem_item_create(
        unit=unit,
        source=ProblemSource.INTERVIEW,
        description=interview.points,
        deadline=deadline,
        actor=actor,
        required_measures=interview.commitments,
        responsible_person=interview.interviewee[:50],
        origin=(INTERVIEW_ORIGIN, interview.pk),
    )
    audit_record(
        action="interview.create",
        actor=actor.user,
        target=interview,
        after={
            "unit": unit.pk,
            "ledger_item": ledger_item.pk if ledger_item else None,
            "interviewer": interview.interviewer,
            "interviewee": interview.interviewee,
            "held_on": held_on.isoformat(),
            "rectify_by": rectify_by.isoformat() if rectify_by else None,
            "problem_item": problem.pk,
        },
    )
    if ledger_item is not None and ledger_item.escalation == Escalation.INTERVIEW:
        audit_record(
            action="ledger.interview_held",
            actor=actor.user,
            target=ledger_item,
            after={"interview": interview.pk, "held_on": held_on.isoformat()},
        )
    return interview


# --- yellow cards --------------------------------------------------------------------------------


def problem_lines(text: str) -> list[str]:
    """One problem per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@transaction.atomic
def yellow_card_issue(
    *,
    party_org: PartyOrganization,
    reasons: str,
    actor: Actor,
    problems: Sequence[str] = (),
    rectify_by: datetime.date | None = None,
    issued_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> YellowCard:
    """Mark a party organisation 软弱涣散 (the committee admin): a yellow card with the reasons,
    and one 挂牌整改 problem item per problem given. The unit's people are told."""
    unit = Unit.objects.get(pk=party_org.unit_id)
    _require_committee_admin(actor, unit.committee_id, _("只有本工委管理员可以挂牌警示。"))
    day = _today(today)
    issued = issued_on or day
    if not reasons.strip():
        raise ValidationError(_("请填写认定软弱涣散的理由。"))
    if issued > day:
        raise ValidationError(_("挂牌日期不能晚于今天。"))
    if rectify_by is not None and rectify_by < issued:
        raise ValidationError(_("整改时限不能早于挂牌日期。"))
    lines = [p.strip() for p in problems if p.strip()]
    if (
        YellowCard.objects.select_for_update()
        .filter(party_org=party_org, lifted_on__isnull=True)
        .exists()
    ):
        raise ValidationError(_("该党组织已处于黄牌警示中。"))
    card = YellowCard.objects.create(
        committee_id=unit.committee_id,
        party_org=party_org,
        reasons=reasons.strip(),
        issued_on=issued,
        issued_by=actor.user,
    )
    deadline = rectify_by or day + datetime.timedelta(days=DEFAULT_RECTIFY_DAYS)
    items = [
        problem_item_create(
            unit=unit,
            source=ProblemSource.YELLOW_CARD,
            description=line,
            deadline=deadline,
            actor=actor,
            party_org=party_org,
            origin=(YELLOW_CARD_ORIGIN, card.pk),
            one_per_origin=False,
        )
        for line in lines
    ]
    audit_record(
        action="yellow_card.issue",
        actor=actor.user,
        target=card,
        after={
            "party_org": party_org.pk,
            "unit": unit.pk,
            "issued_on": issued.isoformat(),
            "reasons": card.reasons,
            "problem_items": [i.pk for i in items],
        },
    )
    notify(
        recipients=unit_people(unit.pk),
        kind="yellow_card.issue",
        title=_("黄牌警示：%(o)s被认定为软弱涣散党组织") % {"o": party_org.name},
        body=_("挂牌日期：%(d)s。认定理由：%(r)s") % {"d": issued.isoformat(), "r": card.reasons},
        url=reverse("supervision:yellow_card_detail", args=[card.pk]),
        key=f"yellowcard:{card.pk}:issue",
    )
    return card


def yellow_card_items(card: YellowCard) -> QuerySet[ProblemItem]:
    """The 挂牌整改 items made from a card."""
    return ProblemItem.objects.filter(origin_type=YELLOW_CARD_ORIGIN, origin_id=card.pk)


@transaction.atomic
def yellow_card_lift(
    *,
    card: YellowCard,
    lifted_on: datetime.date,
    note: str,
    actor: Actor,
    today: datetime.date | None = None,
) -> YellowCard:
    """摘牌 (the committee admin), only once every 挂牌整改 item of the card is closed."""
    card = YellowCard.objects.select_related("party_org").get(pk=card.pk)
    _require_committee_admin(actor, card.committee_id, _("只有本工委管理员可以摘牌。"))
    if card.lifted_on is not None:
        raise ValidationError(_("该黄牌已于 %(d)s 摘除。") % {"d": card.lifted_on.isoformat()})
    if not note.strip():
        raise ValidationError(_("请填写摘牌说明。"))
    if lifted_on > _today(today):
        raise ValidationError(_("摘牌日期不能晚于今天。"))
    if lifted_on < card.issued_on:
        raise ValidationError(_("摘牌日期不能早于挂牌日期。"))
    still_open = yellow_card_items(card).exclude(state=ProblemState.CLOSED).count()
    if still_open:
        raise ValidationError(
            _("还有 %(n)d 项挂牌整改问题未销号，全部销号后才能摘牌。") % {"n": still_open}
        )
    updated = YellowCard.objects.filter(pk=card.pk, lifted_on__isnull=True).update(
        lifted_on=lifted_on, lifted_by=actor.user, lift_reason=note.strip()
    )
    if updated != 1:
        raise ValidationError(_("该黄牌已被摘除，请刷新后查看。"))
    card.refresh_from_db()
    audit_record(
        action="yellow_card.lift",
        actor=actor.user,
        target=card,
        before={"lifted_on": None},
        after={"lifted_on": lifted_on.isoformat(), "note": card.lift_reason},
    )
    notify(
        recipients=unit_people(card.party_org.unit_id),
        kind="yellow_card.lift",
        title=_("黄牌已摘除：%(o)s") % {"o": card.party_org.name},
        body=_("摘牌日期：%(d)s。%(n)s") % {"d": lifted_on.isoformat(), "n": card.lift_reason},
        url=reverse("supervision:yellow_card_detail", args=[card.pk]),
        key=f"yellowcard:{card.pk}:lift",
    )
    return card
