"""The writes of bulletins: `bulletin_create_draft`, `bulletin_monthly_draft` (周督查月通报,
seed 001), `bulletin_update` (optimistic `version`) and the one state transition
`bulletin_transition` (publish; withdraw with a reason), each audited; publishing tells the
admins and leaders of the committee's units, withdrawing tells the same people again."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.core.concurrency import StaleWrite
from mofan.notifications.recipients import notified_of, unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import Committee, Unit
from mofan.supervision.bulletins.compose import compose_bulletin, compose_monthly, month_bounds
from mofan.supervision.common import require_committee_admin, update_if_current
from mofan.supervision.models import Bulletin, BulletinKind, BulletinState
from mofan.supervision.selectors_bulletins import (
    OverdueFact,
    UnitStatus,
    finding_facts,
    monthly_facts,
    overdue_facts,
    problem_findings,
    unit_statuses,
)


def _require_admin(actor: Actor, committee_id: int) -> None:
    require_committee_admin(actor, committee_id, _("只有本工委管理员可以编发通报。"))


def _check_campaign(campaign: Campaign | None, committee: Committee) -> None:
    if campaign is not None and campaign.committee_id != committee.pk:
        raise ValidationError(_("创建活动不属于本工委。"))


def _created(bulletin: Bulletin, actor: Actor) -> Bulletin:
    audit_record(
        action="bulletin.create",
        actor=actor.user,
        target=bulletin,
        committee_id=bulletin.committee_id,
        after={
            "kind": bulletin.kind,
            "title": bulletin.title,
            "campaign": bulletin.campaign_id,
            "period": [
                d.isoformat() for d in (bulletin.period_start, bulletin.period_end) if d is not None
            ],
            "sources": {k: len(v) for k, v in bulletin.sources.items() if isinstance(v, list)},
        },
    )
    return bulletin


@transaction.atomic
def bulletin_create_draft(
    *,
    committee: Committee,
    actor: Actor,
    campaign: Campaign | None = None,
    finding_ids: Iterable[int] = (),
    include_status: bool = False,
    include_overdue: bool = False,
    title: str = "",
    today: dt.date | None = None,
) -> Bulletin:
    """Assemble a 专项通报 draft from the findings picked (the committee's findings marked as
    problems, of `campaign` when given) and, when asked, the per-unit rectification status and
    the overdue items, all as of `today`. `sources` records the ids used."""
    _require_admin(actor, committee.pk)
    _check_campaign(campaign, committee)
    today = today or timezone.localdate()
    ids = sorted(set(finding_ids))
    if not ids and not include_status and not include_overdue:
        raise ValidationError(_("请至少选择一项通报内容（问题发现、整改情况或逾期事项）。"))
    campaign_id = campaign.pk if campaign else None
    findings = problem_findings(committee.pk, campaign_id=campaign_id).filter(pk__in=ids)
    facts = finding_facts(findings)
    if len(facts) != len(ids):
        raise ValidationError(_("所选问题发现不存在、未列为问题或不属于本工委（所选活动）。"))
    sources: dict[str, Any] = {"today": today.isoformat(), "findings": [f.id for f in facts]}
    statuses: list[UnitStatus] | None = None
    overdue: list[OverdueFact] | None = None
    if include_status:
        statuses, item_ids = unit_statuses(committee.pk, today=today, campaign_id=campaign_id)
        sources["status_units"] = [s.unit_id for s in statuses]
        sources["status_problem_items"] = item_ids
    if include_overdue:
        overdue = overdue_facts(committee.pk, today=today, campaign_id=campaign_id)
        sources["overdue_problem_items"] = [f.id for f in overdue if f.kind == "problem"]
        sources["overdue_ledger_items"] = [f.id for f in overdue if f.kind == "ledger"]
    draft = compose_bulletin(
        committee=committee.name,
        today=today,
        campaign=campaign.name if campaign else "",
        findings=facts,
        statuses=statuses,
        overdue=overdue,
        title=title.strip()[:200],
    )
    bulletin = Bulletin.objects.create(
        committee=committee,
        campaign=campaign,
        kind=BulletinKind.AD_HOC,
        title=draft.title[:200],
        body=draft.body,
        sources=sources,
        created_by=actor.user,
    )
    return _created(bulletin, actor)


@transaction.atomic
def bulletin_monthly_draft(
    *,
    committee: Committee,
    year: int,
    month: int,
    actor: Actor,
    campaign: Campaign | None = None,
    today: dt.date | None = None,
) -> Bulletin:
    """The 周督查月通报 draft for one calendar month (one per committee, campaign and month).
    For the running month, the figures stop at `today`."""
    _require_admin(actor, committee.pk)
    _check_campaign(campaign, committee)
    today = today or timezone.localdate()
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError(_("月份无效。"))
    start, end = month_bounds(year, month)
    if start > today:
        raise ValidationError(_("尚未开始的月份不能生成月度通报。"))
    # a withdrawn monthly bulletin may be reissued: only a draft or published one stands
    if (
        Bulletin.objects.filter(
            committee=committee, kind=BulletinKind.MONTHLY, period_start=start, campaign=campaign
        )
        .exclude(state=BulletinState.WITHDRAWN)
        .exists()
    ):
        raise ValidationError(
            _("%(y)d年%(m)d月的月度通报已经生成，请在通报列表中打开编辑。")
            % {"y": year, "m": month}
        )
    as_of = min(end, today)
    campaign_id = campaign.pk if campaign else None
    facts = monthly_facts(
        committee.pk, period_start=start, period_end=end, as_of=as_of, campaign_id=campaign_id
    )
    draft = compose_monthly(
        committee=committee.name,
        year=year,
        month=month,
        as_of=as_of,
        facts=facts,
        dated=today,
        campaign=campaign.name if campaign else "",
    )
    sources = {
        "as_of": as_of.isoformat(),
        "visits": [v.id for v in facts.visits],
        "interviews": [i.id for i in facts.interviews],
        "problem_items_created": [i.id for i in facts.created],
        "problem_items_closed": [i.id for i in facts.closed],
        "ledger_items_done": [i.id for i in facts.ledger_done],
        "overdue_problem_items": [f.id for f in facts.overdue if f.kind == "problem"],
        "overdue_ledger_items": [f.id for f in facts.overdue if f.kind == "ledger"],
    }
    bulletin = Bulletin.objects.create(
        committee=committee,
        campaign=campaign,
        kind=BulletinKind.MONTHLY,
        title=draft.title,
        body=draft.body,
        period_start=start,
        period_end=end,
        sources=sources,
        created_by=actor.user,
    )
    return _created(bulletin, actor)


def _stale(current: Bulletin) -> StaleWrite:
    return StaleWrite(
        _("该通报已被他人修改（当前为第%(v)d版），您的操作未生效。请查看最新内容后再操作。")
        % {"v": current.version},
        current,
    )


def _text_fields(bulletin: Bulletin) -> dict[str, str]:
    return {
        "title": bulletin.title,
        "document_number": bulletin.document_number,
        "body": bulletin.body,
    }


@transaction.atomic
def bulletin_update(
    *,
    bulletin: Bulletin,
    title: str,
    document_number: str,
    body: str,
    expected_version: int,
    actor: Actor,
) -> Bulletin:
    """Save the committee's edits to a draft; `expected_version` is the version the form
    showed. A published bulletin is read-only."""
    current = Bulletin.objects.get(pk=bulletin.pk)
    _require_admin(actor, current.committee_id)
    if current.state != BulletinState.DRAFT:
        raise ValidationError(_("通报已发布，不能再修改。"))
    title, document_number = title.strip(), document_number.strip()
    if not title or not body.strip():
        raise ValidationError(_("标题和正文不能为空。"))
    if len(title) > 200 or len(document_number) > 100:
        raise ValidationError(_("标题不超过200字，文号不超过100字。"))
    if expected_version != current.version:
        raise _stale(current)
    before = _text_fields(current)
    if not update_if_current(
        Bulletin,
        current.pk,
        version=expected_version,
        in_state=BulletinState.DRAFT,
        title=title,
        document_number=document_number,
        body=body,
    ):
        raise _stale(Bulletin.objects.get(pk=current.pk))
    saved = Bulletin.objects.get(pk=current.pk)
    audit_record(
        action="bulletin.update",
        actor=actor.user,
        target=saved,
        committee_id=saved.committee_id,
        before=before,
        after=_text_fields(saved),
    )
    return saved


# (from, to): (name, who may do it)
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (BulletinState.DRAFT, BulletinState.PUBLISHED): ("publish", Role.COMMITTEE_ADMIN),
    (BulletinState.PUBLISHED, BulletinState.WITHDRAWN): ("withdraw", Role.COMMITTEE_ADMIN),
}
REFUSALS = {
    "publish": _("只有本工委管理员可以发布通报。"),
    "withdraw": _("只有本工委管理员可以撤回通报。"),
}
REASON_MAX = 500


def _unit_recipients(committee_id: int) -> Iterable[Any]:
    """The admins and leaders of every active unit of the committee."""
    unit_ids = Unit.objects.filter(committee_id=committee_id, is_active=True).values_list(
        "pk", flat=True
    )
    return itertools.chain.from_iterable(unit_people(pk) for pk in unit_ids)


def _changes(to: str, reason: str, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    if to == BulletinState.PUBLISHED:
        return {"published_at": now, "published_by": actor.user}
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写撤回理由。"))
    if len(reason) > REASON_MAX:
        raise ValidationError(_("撤回理由不超过%(n)d字。") % {"n": REASON_MAX})
    return {"withdrawn_at": now, "withdrawn_by": actor.user, "withdrawal_reason": reason}


@transaction.atomic
def bulletin_transition(
    *,
    bulletin: Bulletin,
    to: str,
    expected_version: int,
    actor: Actor,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Bulletin:
    """The one state change of a bulletin: publish a draft, or withdraw a published bulletin
    with a reason (committee admin). Published, it is read-only and visible to the committee's
    units, whose admins and leaders are told; withdrawn, it stays visible marked 已撤回 with the
    reason, and the people told of the publication are told of the withdrawal."""
    current = Bulletin.objects.get(pk=bulletin.pk)
    rule = TRANSITIONS.get((current.state, to))
    if rule is None:
        raise ValidationError(_("通报当前状态不允许此操作。"))
    name, role = rule
    if current.committee_id not in actor.committees_with(role):
        raise PermissionDenied(REFUSALS[name])
    if expected_version != current.version:
        raise _stale(current)
    changes = _changes(to, reason, actor, now or timezone.now())
    if not update_if_current(
        Bulletin, current.pk, version=expected_version, in_state=current.state, state=to, **changes
    ):
        raise _stale(Bulletin.objects.get(pk=current.pk))
    saved = Bulletin.objects.get(pk=current.pk)
    after: dict[str, Any] = {
        "state": saved.state,
        "version": saved.version,
        "title": saved.title,
        "document_number": saved.document_number,
    }
    if to == BulletinState.WITHDRAWN:
        after["reason"] = saved.withdrawal_reason
    audit_record(
        action=f"bulletin.{name}",
        actor=actor.user,
        target=saved,
        committee_id=saved.committee_id,
        before={"state": current.state, "version": current.version},
        after=after,
    )
    _tell(saved)
    return saved


def _tell(saved: Bulletin) -> None:
    label = f"{saved.document_number} {saved.title}".strip()
    url = reverse("supervision:bulletin_detail", args=[saved.pk])
    published_key = f"bulletin:{saved.pk}:published"
    if saved.state == BulletinState.PUBLISHED:
        notify(
            recipients=_unit_recipients(saved.committee_id),
            kind="bulletin.published",
            title=_("工委发布通报：%(t)s") % {"t": saved.title[:60]},
            body=_("%(label)s 已发布，请认真阅读并对照落实。") % {"label": label},
            url=url,
            key=published_key,
        )
        return
    notify(
        recipients=notified_of(published_key),
        kind="bulletin.withdrawn",
        title=_("工委撤回通报：%(t)s") % {"t": saved.title[:60]},
        body=_("%(label)s 已撤回。撤回理由：%(reason)s")
        % {"label": label, "reason": saved.withdrawal_reason},
        url=url,
        key=f"bulletin:{saved.pk}:withdrawn",
    )
