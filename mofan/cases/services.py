"""The writes of calls for brand cases and of the units' cases: `call_create`, `call_update`
(a draft only), the one state transition `call_transition` (open → review → publish the
selection; close), `case_save` and `case_submit`; each audited in its own transaction. The
expert panel's writes are in `panel.py`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules as access
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.cases.models import CallState, Case, CaseCall, CasePanel, CaseState
from mofan.evidence.models import Evidence
from mofan.honours import rules as selection_rules
from mofan.notifications.recipients import units_people
from mofan.notifications.services import notify
from mofan.organizations.models import Committee, Unit

FIELDS = ("title", "year", "deadline", "per_unit_limit", "criteria", "quota", "notes")


def require_admin(actor: Actor, committee_id: int) -> None:
    if not access.administers(actor, committee_id):
        raise PermissionDenied(_("只有本工委管理员可以管理案例征集。"))


def snapshot(call: CaseCall) -> dict[str, Any]:
    values = {name: getattr(call, name) for name in FIELDS}
    values["deadline"] = call.deadline.isoformat() if call.deadline else None
    values["state"] = call.state
    return values


def check(call: CaseCall) -> None:
    if not call.title.strip():
        raise ValidationError(_("请填写征集名称。"))
    if not 2000 <= call.year <= 2100:
        raise ValidationError(_("年度须在2000至2100之间。"))
    if call.per_unit_limit < 1 or call.quota < 1:
        raise ValidationError(_("每单位报送数和优秀案例名额至少为1。"))
    if not call.criteria:
        raise ValidationError(_("请至少填写一项评审标准。"))


def _apply(call: CaseCall, values: dict[str, Any]) -> None:
    for name in FIELDS:
        if name in values:
            setattr(call, name, values[name])


@transaction.atomic
def call_create(*, committee: Committee, values: dict[str, Any], actor: Actor) -> CaseCall:
    """A new call (a draft) of the committee."""
    require_admin(actor, committee.pk)
    call = CaseCall(committee=committee, created_by=actor.user)
    _apply(call, values)
    check(call)
    call.save()
    audit_record(
        action="case.call.create",
        actor=actor.user,
        target=call,
        committee_id=committee.pk,
        after=snapshot(call),
    )
    return call


@transaction.atomic
def call_update(*, call: CaseCall, values: dict[str, Any], actor: Actor) -> CaseCall:
    """Change a draft call's settings (once open, its rules stand)."""
    call = CaseCall.objects.select_for_update().get(pk=call.pk)
    require_admin(actor, call.committee_id)
    if call.state != CallState.DRAFT:
        raise ValidationError(_("征集已开始，不能再修改设置。"))
    before = snapshot(call)
    _apply(call, values)
    check(call)
    call.save()
    audit_record(
        action="case.call.update",
        actor=actor.user,
        target=call,
        committee_id=call.committee_id,
        before=before,
        after=snapshot(call),
    )
    return call


def in_review(call: CaseCall) -> list[Case]:
    """The cases under review: those submitted."""
    return list(call.cases.filter(state=CaseState.SUBMITTED).select_related("unit").order_by("pk"))


def selection_of(call: CaseCall) -> selection_rules.Selection:
    """The selection the rules give from the consolidated scores as they stand."""
    candidates = [selection_rules.Candidate(c.pk, c.score) for c in in_review(call)]
    return selection_rules.select(candidates, call.quota, call.tie_choice)


def _tell_units(call: CaseCall, title: str, url: str) -> None:
    unit_ids = Unit.objects.filter(committee_id=call.committee_id, is_active=True).values_list(
        "pk", flat=True
    )
    people = [user for users in units_people(unit_ids).values() for user in users]
    notify(recipients=people, kind=f"case.{call.state}", title=title, url=url)


def _publish(call: CaseCall, today: dt.date) -> dict[str, Any]:
    panel = CasePanel.objects.filter(call=call).first()
    if panel is None or not panel.closed:
        raise ValidationError(_("专家评分尚未结束，不能公布评选结果。"))
    selection = selection_of(call)
    if selection.unscored:
        raise ValidationError(_("还有案例没有专家评分，不能公布。"))
    if selection.tied:
        raise ValidationError(_("名额线上有同分的案例，请先确定入选案例。"))
    call.cases.filter(pk__in=selection.named).update(excellent=True)
    call.published_on = today
    return {"excellent": sorted(selection.named)}


TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "open": ((CallState.DRAFT,), CallState.COLLECTING),
    "review": ((CallState.COLLECTING,), CallState.REVIEWING),
    "publish": ((CallState.REVIEWING,), CallState.SELECTED),
    "close": ((CallState.DRAFT, CallState.COLLECTING, CallState.REVIEWING), CallState.CLOSED),
}


@transaction.atomic
def call_transition(
    *, call: CaseCall, action: str, actor: Actor, reason: str = "", today: dt.date | None = None
) -> CaseCall:
    """The one state change of a call: `open` (units may submit until the deadline; their
    联络员 and 单位领导 are told), `review` (submission ends; refused without a submitted case),
    `publish` (after the experts' scoring is closed and any tie across the quota line decided,
    the 优秀案例 within the quota are published and the units told), `close` (ended without a
    selection, with a reason)."""
    call = CaseCall.objects.select_for_update().get(pk=call.pk)
    require_admin(actor, call.committee_id)
    if action not in TRANSITIONS:
        raise ValidationError(_("未知操作。"))
    sources, target = TRANSITIONS[action]
    if call.state not in sources:
        raise ValidationError(_("征集当前状态下不能进行此操作。"))
    today = today or timezone.localdate()
    before = call.state
    details: dict[str, Any] = {}
    if action == "open":
        if call.deadline < today:
            raise ValidationError(_("截止日期已过，请先修改截止日期。"))
        if not Unit.objects.filter(committee_id=call.committee_id, is_active=True).exists():
            raise ValidationError(_("本工委还没有单位。"))
    elif action == "review":
        if not call.cases.filter(state=CaseState.SUBMITTED).exists():
            raise ValidationError(_("还没有单位报送案例，不能开始评审。"))
    elif action == "publish":
        details = _publish(call, today)
    elif action == "close":
        if not reason.strip():
            raise ValidationError(_("请说明终止原因。"))
        call.close_reason = reason.strip()
        details = {"reason": call.close_reason}
    call.state = target
    call.save()
    audit_record(
        action=f"case.call.{action}",
        actor=actor.user,
        target=call,
        committee_id=call.committee_id,
        before={"state": before},
        after={"state": target, **details},
    )
    url = reverse("cases:call_detail", args=[call.pk])
    if action == "open":
        _tell_units(
            call,
            _("%(title)s开始征集，截止日期%(date)s")
            % {"title": call.title, "date": call.deadline.isoformat()},
            url,
        )
    elif action == "publish":
        _tell_units(call, _("%(title)s优秀案例评选结果已公布") % {"title": call.title}, url)
    return call


# --- the units' cases -------------------------------------------------------------------------


@dataclass
class CaseInput:
    title: str
    brand: str
    summary: str
    body: str
    tags: str = ""
    evidence: list[int] = field(default_factory=list)


def _require_unit_admin(actor: Actor, unit_id: int) -> None:
    if not access.is_unit_admin_of(actor, unit_id):
        raise PermissionDenied(_("只有本单位联络员可以报送案例。"))


def _require_open(call: CaseCall, today: dt.date) -> None:
    if call.state != CallState.COLLECTING:
        raise ValidationError(_("该征集不在征集阶段。"))
    if today > call.deadline:
        raise ValidationError(_("征集已截止（%(date)s）。") % {"date": call.deadline.isoformat()})


def _check_input(data: CaseInput, unit_id: int) -> None:
    for name, label, limit in (
        ("title", _("案例标题"), 100),
        ("brand", _("品牌名称"), 50),
        ("summary", _("案例摘要"), 300),
        ("tags", _("标签"), 100),
    ):
        value = getattr(data, name).strip()
        if name != "tags" and not value:
            raise ValidationError(_("请填写%(label)s。") % {"label": label})
        if len(value) > limit:
            raise ValidationError(_("%(label)s不超过%(n)d个字。") % {"label": label, "n": limit})
    if not data.body.strip():
        raise ValidationError(_("请填写案例正文。"))
    files = set(data.evidence)
    own = set(Evidence.objects.filter(unit_id=unit_id, pk__in=files).values_list("pk", flat=True))
    if files - own:
        raise ValidationError(_("只能关联本单位佐证库中的文件。"))


def case_snapshot(case: Case) -> dict[str, Any]:
    return {
        "title": case.title,
        "brand": case.brand,
        "summary": case.summary,
        "tags": case.tags,
        "body_length": len(case.body),
        "evidence": sorted(case.evidence.values_list("pk", flat=True)) if case.pk else [],
        "state": case.state,
    }


@transaction.atomic
def case_save(
    *,
    call: CaseCall,
    unit: Unit,
    data: CaseInput,
    actor: Actor,
    case: Case | None = None,
    today: dt.date | None = None,
) -> Case:
    """Write a unit's case (new, or a draft not yet submitted) while the call collects and
    before its deadline; a new one only within the call's per-unit limit."""
    call = CaseCall.objects.select_for_update().get(pk=call.pk)
    today = today or timezone.localdate()
    if case is not None:
        case = Case.objects.select_for_update().get(pk=case.pk)
        unit = case.unit
        if case.call_id != call.pk:
            raise ValidationError(_("案例不属于该征集。"))
    _require_unit_admin(actor, unit.pk)
    if unit.committee_id != call.committee_id:
        raise PermissionDenied(_("该征集不是本单位所属工委的征集。"))
    _require_open(call, today)
    _check_input(data, unit.pk)
    before: dict[str, Any] = {}
    if case is None:
        if Case.objects.filter(call=call, unit=unit).count() >= call.per_unit_limit:
            raise ValidationError(_("每个单位最多报送%(n)d个案例。") % {"n": call.per_unit_limit})
        case = Case(call=call, unit=unit, created_by=actor.user)
    else:
        if case.state != CaseState.DRAFT:
            raise ValidationError(_("案例已报送，不能再修改。"))
        before = case_snapshot(case)
    case.title = data.title.strip()
    case.brand = data.brand.strip()
    case.summary = data.summary.strip()
    case.body = data.body.strip()
    case.tags = data.tags.strip()
    case.save()
    case.evidence.set(sorted(set(data.evidence)))
    audit_record(
        action="case.save",
        actor=actor.user,
        target=case,
        committee_id=call.committee_id,
        before=before,
        after=case_snapshot(case),
    )
    return case


@transaction.atomic
def case_submit(*, case: Case, actor: Actor, today: dt.date | None = None) -> Case:
    """The unit's 联络员 submits the case (报送) before the deadline; it is then read-only."""
    case = Case.objects.select_for_update().select_related("call").get(pk=case.pk)
    _require_unit_admin(actor, case.unit_id)
    _require_open(case.call, today or timezone.localdate())
    if case.state != CaseState.DRAFT:
        raise ValidationError(_("案例已报送。"))
    case.state = CaseState.SUBMITTED
    case.submitted_at = timezone.now()
    case.save(update_fields=["state", "submitted_at", "updated_at"])
    audit_record(
        action="case.submit",
        actor=actor.user,
        target=case,
        committee_id=case.call.committee_id,
        before={"state": CaseState.DRAFT},
        after={"state": CaseState.SUBMITTED},
    )
    return case


def cases_left(call: CaseCall, unit: Unit) -> int:
    """How many more cases the unit may submit to the call."""
    return max(0, call.per_unit_limit - Case.objects.filter(call=call, unit=unit).count())
