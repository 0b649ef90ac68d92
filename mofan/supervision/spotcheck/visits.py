"""Recording the visit to a drawn unit: its findings, and the problems found as problem-list
items of the unit (source 随机抽查, origin the visit); correcting a recorded visit."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.indicators.models import IndicatorNode
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.services import problem_item_create
from mofan.supervision.common import problem_lines, today_or, update_if_current
from mofan.supervision.models import SpotCheckDraw, SpotCheckVisit, VisitMode

ORIGIN = "supervision.spotcheckvisit"


def may_record_visit(actor: Actor, draw: SpotCheckDraw) -> bool:
    """The committee admin, or an inspector drawn in this draw (still a reviewer there)."""
    if rules.administers(actor, draw.committee_id):
        return True
    return draw.committee_id in actor.committees_with(Role.REVIEWER) and actor.user.pk in (
        draw.result.get("inspectors", [])
    )


@dataclass(frozen=True)
class Problem:
    text: str
    node: IndicatorNode | None


_LINE = re.compile(r"^\s*(\d+(?:\.\d+)*)\s*[:：|｜]\s*(.*)$")


def parse_problems(text: str, campaign: Campaign) -> list[Problem]:
    """One problem per non-empty line, optionally "指标编码：描述" (the code must be a node of the
    campaign's indicator system)."""
    matched = [(_LINE.match(line), line) for line in problem_lines(text)]
    codes = {m.group(1) for m, _line in matched if m}
    nodes = {
        n.code: n
        for n in IndicatorNode.objects.filter(
            version_id=campaign.indicator_version_id, code__in=codes
        )
    }
    problems = []
    for number, (match, line) in enumerate(matched, start=1):
        if match is None:
            problems.append(Problem(text=line, node=None))
            continue
        code, rest = match.group(1), match.group(2).strip()
        if code not in nodes:
            raise ValidationError(
                _("第 %(n)d 行的指标编码“%(c)s”不在本活动的指标体系中。") % {"n": number, "c": code}
            )
        if not rest:
            raise ValidationError(_("第 %(n)d 行只有指标编码，没有问题描述。") % {"n": number})
        problems.append(Problem(text=rest, node=nodes[code]))
    return problems


def _items_by_node(problems: Sequence[Problem]) -> list[tuple[IndicatorNode | None, str]]:
    """Problems grouped by indicator (in order of first appearance); several lines under one
    indicator become numbered points of one description."""
    groups: dict[int | None, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(problem.node.pk if problem.node else None, []).append(problem)
    out = []
    for members in groups.values():
        if len(members) == 1:
            text = members[0].text
        else:
            text = "\n".join(f"{i}. {p.text}" for i, p in enumerate(members, start=1))
        out.append((members[0].node, text))
    return out


def _check_visit(
    *,
    draw: SpotCheckDraw,
    unit: Unit,
    mode: str,
    visited_on: datetime.date,
    findings: str,
    actor: Actor,
    today: datetime.date,
) -> None:
    if not may_record_visit(actor, draw):
        raise PermissionDenied(_("只有本次抽取的检查人员或工委管理员可以记录检查情况。"))
    if unit.pk not in draw.result.get("units", []):
        raise ValidationError(_("该单位不在本次抽查名单中。"))
    if mode not in VisitMode.values:
        raise ValidationError(_("检查方式无效。"))
    if not findings.strip():
        raise ValidationError(_("请填写检查情况。"))
    reference = datetime.date.fromisoformat(draw.inputs["reference_date"])
    if visited_on > today:
        raise ValidationError(_("检查日期不能晚于今天。"))
    if visited_on < reference:
        raise ValidationError(
            _("检查日期不能早于抽取日期（%(d)s）。") % {"d": reference.isoformat()}
        )


@transaction.atomic
def spot_check_visit_record(
    *,
    draw: SpotCheckDraw,
    unit: Unit,
    mode: str,
    visited_on: datetime.date,
    findings: str,
    problems: str,
    actor: Actor,
    today: datetime.date | None = None,
) -> tuple[SpotCheckVisit, list[ProblemItem]]:
    """Record the visit to one drawn unit (once) with its findings; each problem line (see
    `parse_problems`) becomes a problem-list item of the unit (source 随机抽查, origin the visit,
    deadline the campaign's rectification period after the visit). Audited; the unit's admin and
    leader are told."""
    _check_visit(
        draw=draw,
        unit=unit,
        mode=mode,
        visited_on=visited_on,
        findings=findings,
        actor=actor,
        today=today_or(today),
    )
    parsed = parse_problems(problems, draw.campaign)
    if SpotCheckVisit.objects.select_for_update().filter(draw=draw, unit=unit).exists():
        raise ValidationError(_("该单位的检查情况已经记录。"))
    visit = SpotCheckVisit.objects.create(
        draw=draw,
        unit=unit,
        mode=mode,
        visited_on=visited_on,
        findings=findings.strip(),
        recorded_by=actor.user,
    )
    audit_record(
        action="spotcheck.visit",
        actor=actor.user,
        target=visit,
        committee_id=draw.committee_id,
        after={
            "draw": draw.pk,
            "unit": unit.pk,
            "mode": mode,
            "visited_on": visited_on.isoformat(),
            "problems": len(parsed),
        },
    )
    items = _visit_problem_items(visit, parsed, actor)
    notify(
        recipients=unit_people(unit.pk),
        kind="spotcheck.visit",
        title=_("随机抽查检查情况已记录：%(t)s") % {"t": str(draw)},
        body=_("发现问题 %(n)d 项，已列入本单位问题清单。") % {"n": len(items)}
        if items
        else _("未发现需要整改的问题。"),
        url=reverse("supervision:spotcheck_visit_detail", args=[visit.pk]),
        key=f"spotcheck:visit:{visit.pk}",
    )
    return visit, items


def _visit_problem_items(
    visit: SpotCheckVisit, parsed: Sequence[Problem], actor: Actor
) -> list[ProblemItem]:
    """The problem-list items of a visit, one per indicator named (see `_items_by_node`)."""
    draw, campaign = visit.draw, visit.draw.campaign
    # The inspector's right to list what the visit found was checked above (drawn for this
    # unit in this draw); problem_item_create records that delegation in its audit entry.
    delegated = not rules.administers(actor, draw.committee_id)
    deadline = visit.visited_on + datetime.timedelta(days=campaign.rectify_days)
    return [
        problem_item_create(
            unit=visit.unit,
            source=ProblemSource.SPOT_CHECK,
            description=text,
            deadline=deadline,
            actor=actor,
            campaign=campaign,
            node=node,
            origin=(ORIGIN, visit.pk),
            authorised_by="spotcheck.inspector" if delegated else "",
        )
        for node, text in _items_by_node(parsed)
    ]


CORRECTION_REASON_MAX = 500


def _visit_fields(visit: SpotCheckVisit) -> dict[str, str]:
    return {"visited_on": visit.visited_on.isoformat(), "findings": visit.findings}


@transaction.atomic
def spot_check_visit_correct(
    *,
    visit: SpotCheckVisit,
    visited_on: datetime.date,
    findings: str,
    reason: str,
    expected_version: int,
    actor: Actor,
    today: datetime.date | None = None,
) -> SpotCheckVisit:
    """Correct a recorded visit's date and findings, with a reason (whoever may record the
    visit: the committee admin or an inspector of the draw). The problems already listed stay
    on the unit's problem list, where they have their own life; the audit entry keeps the record
    before and after, the record shows it was corrected, and the unit's admin and leader are
    told."""
    current = SpotCheckVisit.objects.select_related("draw", "unit").get(pk=visit.pk)
    draw = current.draw
    _check_visit(
        draw=draw,
        unit=current.unit,
        mode=current.mode,
        visited_on=visited_on,
        findings=findings,
        actor=actor,
        today=today_or(today),
    )
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写更正理由。"))
    if len(reason) > CORRECTION_REASON_MAX:
        raise ValidationError(_("更正理由不超过%(n)d字。") % {"n": CORRECTION_REASON_MAX})
    stale = _("该检查记录已被他人更正，您的操作未生效。请查看最新记录后再操作。")
    if expected_version != current.version:
        raise ValidationError(stale)
    before = _visit_fields(current)
    after = {"visited_on": visited_on.isoformat(), "findings": findings.strip()}
    if before == after:
        raise ValidationError(_("检查日期和检查情况均未改动，无需更正。"))
    if not update_if_current(
        SpotCheckVisit,
        current.pk,
        version=expected_version,
        visited_on=visited_on,
        findings=after["findings"],
        corrected_at=timezone.now(),
        corrected_by=actor.user,
        correction_reason=reason,
        corrections=F("corrections") + 1,
    ):
        raise ValidationError(stale)
    saved = SpotCheckVisit.objects.get(pk=current.pk)
    audit_record(
        action="spotcheck.visit_correct",
        actor=actor.user,
        target=saved,
        committee_id=draw.committee_id,
        before=before,
        after={**after, "reason": reason, "corrections": saved.corrections},
    )
    notify(
        recipients=unit_people(saved.unit_id),
        kind="spotcheck.visit_correct",
        title=_("随机抽查检查记录已更正：%(t)s") % {"t": str(draw)},
        body=_("更正理由：%(r)s") % {"r": reason},
        url=reverse("supervision:spotcheck_visit_detail", args=[saved.pk]),
        key=f"spotcheck:visit:{saved.pk}:corrected:{saved.corrections}",
    )
    return saved
