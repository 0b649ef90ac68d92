"""Bulletins (通报): a draft assembled from the data, edited by the committee, then published to
its units.

The first half is pure: `compose_bulletin` and `compose_monthly` turn plain facts (see
`selectors_bulletins`) into a Chinese draft text in the usual shape of a 通报 (一、基本情况 /
二、发现的主要问题 / 三、整改落实情况 / 四、逾期未完成事项 / 五、下一步工作要求). "Overdue" always
means: not closed and the deadline before the reference day (`today`, or the end of the period
for a monthly bulletin), so an item due today is not yet overdue.

The second half is the writes: `bulletin_create_draft`, `bulletin_monthly_draft` (周督查月通报,
seed 001), `bulletin_update` (optimistic `version`) and the one state transition
`bulletin_transition` (publish), each audited; publishing tells the admins and leaders of the
committee's units.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.evaluations.services import StaleWrite
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import Committee, Unit
from mofan.supervision.models import Bulletin, BulletinKind, BulletinState, VisitMode
from mofan.supervision.selectors_bulletins import (
    FindingFact,
    ItemFact,
    MonthlyFacts,
    OverdueFact,
    UnitStatus,
    finding_facts,
    monthly_facts,
    overdue_facts,
    problem_findings,
    unit_statuses,
)

INDENT = "\u3000\u3000"  # two full-width spaces open every paragraph of an official document
_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Draft:
    title: str
    body: str


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1..99)."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _percent(part: int, whole: int) -> int:
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


def _document(
    *, intro: str, sections: list[tuple[str, list[str]]], committee: str, dated: dt.date
) -> str:
    lines = [_("各单位："), INDENT + intro]
    for number, (heading, paragraphs) in enumerate(sections, start=1):
        lines.append(f"{INDENT}{cn_number(number)}、{heading}")
        lines.extend(paragraphs)
    lines += ["", committee, cn_date(dated)]
    return "\n".join(lines) + "\n"


def _numbered(rows: Iterable[str]) -> list[str]:
    return [f"{INDENT}{j}.{row}" for j, row in enumerate(rows, start=1)]


def _subsections(parts: list[tuple[str, list[str]]]) -> list[str]:
    """（一）…（二）… over the non-empty parts only, numbered consecutively."""
    lines: list[str] = []
    for number, (heading, rows) in enumerate(((h, r) for h, r in parts if r), start=1):
        lines.append(f"{INDENT}（{cn_number(number)}）{heading}")
        lines.extend(rows)
    return lines


def _overdue_section(overdue: Sequence[OverdueFact], today: dt.date) -> list[str]:
    if not overdue:
        return [INDENT + _("无逾期未完成事项。")]

    def row(f: OverdueFact, label: str) -> str:
        days = (today - f.deadline).days
        return f"{f.unit}：{_one_line(f.text)}（{label}{cn_date(f.deadline)}，已逾期{days}天）"

    return _subsections(
        [
            (
                _("问题清单"),
                _numbered(row(f, _("整改时限")) for f in overdue if f.kind == "problem"),
            ),
            (
                _("督办事项"),
                _numbered(row(f, _("完成时限")) for f in overdue if f.kind == "ledger"),
            ),
        ]
    )


def _overdue_counts(overdue: Sequence[OverdueFact]) -> tuple[int, int]:
    problems = sum(1 for f in overdue if f.kind == "problem")
    return problems, len(overdue) - problems


def next_steps() -> list[str]:
    return [
        INDENT
        + _(
            "（一）压实整改责任。各单位党组（党委）要切实履行主体责任，对通报指出的问题逐项"
            "对照检查，明确责任人和完成时限，做到问题不清零、整改不销号。"
        ),
        INDENT
        + _(
            "（二）抓紧办理逾期事项。对逾期未完成的事项，相关单位要查明原因、拿出措施，"
            "尽快整改到位，并在平台中如实更新整改进展，不再另行报送纸质材料。"
        ),
        INDENT
        + _(
            "（三）举一反三、建章立制。各单位要以通报问题为镜鉴，查漏补缺，健全长效机制，"
            "防止问题反弹回潮。"
        ),
    ]


def compose_bulletin(
    *,
    committee: str,
    today: dt.date,
    campaign: str = "",
    findings: Sequence[FindingFact] = (),
    statuses: Sequence[UnitStatus] | None = None,
    overdue: Sequence[OverdueFact] | None = None,
    title: str = "",
) -> Draft:
    """A 专项通报 from the findings picked, the per-unit rectification status (None: left out)
    and the overdue items (None: left out), as of `today`."""
    scope = campaign or _("模范机关创建工作")
    title = title or _("关于%(scope)s有关问题及整改落实情况的通报") % {"scope": scope}
    intro = _(
        "为推动模范机关创建各项任务落到实处，现将%(scope)s有关问题及整改落实情况通报如下。"
    ) % {"scope": scope}

    facts: list[str] = []
    if findings:
        units = len({f.unit for f in findings})
        facts.append(
            _("评审组在实地考评中发现主要问题%(n)d条，涉及%(u)d个单位")
            % {"n": len(findings), "u": units}
        )
    if statuses is not None:
        total = sum(s.total for s in statuses)
        closed = sum(s.closed for s in statuses)
        late = sum(s.overdue for s in statuses)
        facts.append(
            _("问题清单共%(t)d项，已销号%(c)d项，尚未销号%(o)d项，其中逾期%(l)d项")
            % {"t": total, "c": closed, "o": total - closed, "l": late}
        )
    if overdue is not None:
        problems, ledger = _overdue_counts(overdue)
        facts.append(
            _("逾期未完成事项%(n)d项（问题清单%(p)d项、督办事项%(l)d项）")
            % {"n": len(overdue), "p": problems, "l": ledger}
        )
    summary = "；".join(facts) if facts else _("暂无需要通报的事项")
    as_of = _("截至%(d)s，") % {"d": cn_date(today)}
    sections: list[tuple[str, list[str]]] = [(_("基本情况"), [f"{INDENT}{as_of}{summary}。"])]

    if findings:
        by_unit: dict[str, list[FindingFact]] = {}
        for f in findings:
            by_unit.setdefault(f.unit, []).append(f)
        sections.append(
            (
                _("发现的主要问题"),
                _subsections(
                    [
                        (
                            unit,
                            _numbered(
                                _one_line(f.text) + (f"（{f.indicator}）" if f.indicator else "")
                                for f in rows
                            ),
                        )
                        for unit, rows in by_unit.items()
                    ]
                ),
            )
        )

    if statuses is not None:
        rows = []
        for s in statuses:
            row = _("%(u)s：问题%(t)d项，已销号%(c)d项，尚未销号%(o)d项") % {
                "u": s.unit,
                "t": s.total,
                "c": s.closed,
                "o": s.open,
            }
            if s.overdue:
                row += _("，其中逾期%(l)d项") % {"l": s.overdue}
            row += _("，销号率%(r)d%%。") % {"r": _percent(s.closed, s.total)}
            rows.append(row)
        sections.append(
            (_("整改落实情况"), _numbered(rows) if rows else [INDENT + _("暂无问题清单项。")])
        )

    if overdue is not None:
        sections.append((_("逾期未完成事项"), _overdue_section(overdue, today)))

    sections.append((_("下一步工作要求"), next_steps()))
    return Draft(
        title=title,
        body=_document(intro=intro, sections=sections, committee=committee, dated=today),
    )


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def compose_monthly(
    *,
    committee: str,
    year: int,
    month: int,
    as_of: dt.date,
    facts: MonthlyFacts,
    dated: dt.date,
    campaign: str = "",
) -> Draft:
    """A 周督查月通报 for the month: visits (明察暗访) and 约谈 held in it, problem items listed and
    closed in it, ledger items done in it, and what was overdue at the end of day `as_of`."""
    start, end = month_bounds(year, month)
    title = _("关于%(y)d年%(m)d月督查情况的通报") % {"y": year, "m": month}
    scope = campaign or _("机关纪律作风和模范机关创建")
    intro = _(
        "按照“周督查、月通报”工作要求，现将%(y)d年%(m)d月（%(s)s至%(e)s）%(scope)s督查情况通报如下。"
    ) % {"y": year, "m": month, "s": cn_date(start), "e": cn_date(end), "scope": scope}

    announced = sum(1 for v in facts.visits if v.mode == VisitMode.ANNOUNCED)
    problems_late, ledger_late = _overdue_counts(facts.overdue)
    summary = _(
        "本月共开展明察暗访%(v)d次（明察%(a)d次、暗访%(b)d次），涉及%(u)d个单位；开展约谈%(i)d次；"
        "新列入问题清单%(c)d项，销号%(d)d项；督办事项办结%(ld)d项。"
        "截至%(cut)s，逾期未完成问题清单%(po)d项、逾期未办结督办事项%(lo)d项。"
    ) % {
        "v": len(facts.visits),
        "a": announced,
        "b": len(facts.visits) - announced,
        "u": len({v.unit for v in facts.visits}),
        "i": len(facts.interviews),
        "c": len(facts.created),
        "d": len(facts.closed),
        "ld": len(facts.ledger_done),
        "cut": cn_date(as_of),
        "po": problems_late,
        "lo": ledger_late,
    }
    modes: dict[str, str] = {VisitMode.ANNOUNCED: _("明察"), VisitMode.UNANNOUNCED: _("暗访")}
    found = _subsections(
        [
            (
                _("明察暗访发现的问题"),
                _numbered(
                    f"{v.unit}（{cn_date(v.visited_on)}，{modes.get(v.mode, v.mode)}）："
                    f"{_one_line(v.findings)}"
                    for v in facts.visits
                ),
            ),
            (
                _("新列入问题清单的问题"),
                _numbered(
                    f"{i.unit}：{_one_line(i.text)}（{cn_date(i.on)}列入）" for i in facts.created
                ),
            ),
            (
                _("约谈情况"),
                _numbered(
                    _("%(u)s：%(d)s约谈%(who)s，指出问题：%(p)s")
                    % {
                        "u": t.unit,
                        "d": cn_date(t.held_on),
                        "who": t.interviewee,
                        "p": _one_line(t.points),
                    }
                    for t in facts.interviews
                ),
            ),
        ]
    ) or [INDENT + _("本月未发现需要通报的问题。")]

    def done(items: list[ItemFact], lead: str, verb: str) -> list[str]:
        head = f"{INDENT}{lead % {'n': len(items)}}" + ("：" if items else "。")
        rows = _numbered(f"{i.unit}：{_one_line(i.text)}（{cn_date(i.on)}{verb}）" for i in items)
        return [head, *rows]

    rectified = done(facts.closed, _("本月问题清单销号%(n)d项"), _("销号")) + done(
        facts.ledger_done, _("本月督办事项办结%(n)d项"), _("办结")
    )
    sections = [
        (_("基本情况"), [INDENT + summary]),
        (_("发现的主要问题"), found),
        (_("整改落实情况"), rectified),
        (_("逾期未完成事项"), _overdue_section(facts.overdue, as_of)),
        (_("下一步工作要求"), next_steps()),
    ]
    return Draft(
        title=title,
        body=_document(intro=intro, sections=sections, committee=committee, dated=dated),
    )


# --- writes ------------------------------------------------------------------------------------


def _require_admin(actor: Actor, committee_id: int) -> None:
    if committee_id not in actor.committees_with(Role.COMMITTEE_ADMIN):
        raise PermissionDenied(_("只有本工委管理员可以编发通报。"))


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
    if Bulletin.objects.filter(
        committee=committee, kind=BulletinKind.MONTHLY, period_start=start, campaign=campaign
    ).exists():
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
    updated = Bulletin.objects.filter(
        pk=current.pk, version=expected_version, state=BulletinState.DRAFT
    ).update(title=title, document_number=document_number, body=body, version=F("version") + 1)
    if updated != 1:
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
}


def _unit_recipients(committee_id: int) -> Iterable[Any]:
    """The admins and leaders of every active unit of the committee."""
    unit_ids = Unit.objects.filter(committee_id=committee_id, is_active=True).values_list(
        "pk", flat=True
    )
    return itertools.chain.from_iterable(unit_people(pk) for pk in unit_ids)


@transaction.atomic
def bulletin_transition(
    *,
    bulletin: Bulletin,
    to: str,
    expected_version: int,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Bulletin:
    """The one state change of a bulletin: publish a draft (committee admin). Published, it is
    read-only and visible to the committee's units, whose admins and leaders are told."""
    current = Bulletin.objects.get(pk=bulletin.pk)
    rule = TRANSITIONS.get((current.state, to))
    if rule is None:
        raise ValidationError(_("通报当前状态不允许此操作。"))
    name, role = rule
    if current.committee_id not in actor.committees_with(role):
        raise PermissionDenied(_("只有本工委管理员可以发布通报。"))
    if expected_version != current.version:
        raise _stale(current)
    now = now or timezone.now()
    updated = Bulletin.objects.filter(
        pk=current.pk, version=expected_version, state=current.state
    ).update(state=to, published_at=now, published_by=actor.user, version=F("version") + 1)
    if updated != 1:
        raise _stale(Bulletin.objects.get(pk=current.pk))
    saved = Bulletin.objects.get(pk=current.pk)
    audit_record(
        action=f"bulletin.{name}",
        actor=actor.user,
        target=saved,
        committee_id=saved.committee_id,
        before={"state": current.state, "version": current.version},
        after={
            "state": saved.state,
            "version": saved.version,
            "title": saved.title,
            "document_number": saved.document_number,
        },
    )
    label = f"{saved.document_number} {saved.title}".strip()
    notify(
        recipients=_unit_recipients(saved.committee_id),
        kind="bulletin.published",
        title=_("工委发布通报：%(t)s") % {"t": saved.title[:60]},
        body=_("%(label)s 已发布，请认真阅读并对照落实。") % {"label": label},
        url=reverse("supervision:bulletin_detail", args=[saved.pk]),
        key=f"bulletin:{saved.pk}:published",
    )
    return saved
