"""Random spot checks (双随机、一公开): draw units and inspectors at random with a published seed,
re-derive a recorded draw, record the inspectors' visits.

The draw
========
`spot_check_draw_record` gathers everything the draw depends on into `inputs` (a plain JSON
object, recorded with the draw and never changed afterwards), then calls the pure `derive(inputs,
seed)`, which uses nothing else. `spot_check_verify(draw)` (and the `spotcheck_verify` command)
calls `derive` again and compares with the recorded `result`.

`inputs` holds:

* ``algorithm``: the version of `derive` (``ALGORITHM``); a draw made with another version is
  never "verified" by this one.
* ``committee``, ``campaign``, ``reference_date`` (ISO date; "today" when the draw was made),
  ``exclude_months`` (K), ``stratify_by`` ("", "category" or "score_band"), ``units`` (N),
  ``inspectors`` (M), ``mode`` (the planned way of visiting: "announced" 明察 or "unannounced"
  暗访; it decides who may see the draw before the visits, not what is drawn).
* ``candidates``: the units that could be drawn, after exclusion, as ``{"id", "stratum"}`` sorted
  by id. Candidates are the campaign's enrolled units still on the register. The stratum is the
  unit's category code (stratify_by "category"), the unit's grade in its campaign result
  (``UnitResult.grade``; "未评定" when there is none) for "score_band", and "" otherwise.
* ``excluded``: ``{"id", "reason": "checked_recently", "draw"}`` for each enrolled unit left out
  because it was drawn in a spot check of the same committee created within K months before the
  reference date (from the same calendar day K months earlier up to the reference date, both
  included); ``draw`` names the latest such draw.
* ``pool``: the inspector pool (the committee's reviewers, `review_groups.reviewer_pool`) as
  ``{"id", "home_units"}`` sorted by id; home units are every unit the person holds a role in or
  is a member of (`review_groups.home_units`).

`result` is ``{"units": [...], "inspectors": [...]}``: sorted ids.

The algorithm (also shown on the result page): units are drawn with
`draws.draw_sample(purpose="spotcheck-units")` from the candidates (proportionally per stratum by
the largest-remainder method when stratified); inspectors with `draws.draw_inspectors`, which
leaves out every inspector whose home unit was drawn. Both use a generator seeded with
SHA-256("purpose:seed") and only `Random.random()`, and sort their inputs first, so the result
depends on nothing but the recorded inputs and the seed. An inspector with several home units is
passed to `draw_inspectors` with a drawn home unit when there is one (so the avoidance covers all
of them), otherwise with the smallest.

Who sees what (the selectors in `selectors_spotcheck` implement exactly this)
==========================================================================================
* The committee's staff (工委管理员, 工委领导) see every draw of their committee with its inputs,
  visits and problems. Only the committee admin draws.
* The inspectors drawn in a draw (reviewers of that committee named in the result) see that draw
  with its inputs and record the visits to its units; so may the committee admin.
* 一公开: everybody else holding a role in the committee (its reviewers, and the admins, leaders
  and members of its units) sees the published result of a draw — the units drawn, the
  inspectors' names, the seed, the per-stratum counts and whether it re-derives — but neither the
  per-unit inputs nor the visits' findings. A draw planned as announced (明察) is published as soon
  as it is recorded. A draw planned as unannounced (暗访) is published only when every drawn unit's
  visit has been recorded, so no unit learns of it in advance.
* A visited unit's admin and leader see their own unit's visit (and its problem items, through the
  problem list) once it is recorded, even while the rest of an unannounced draw is still hidden.
* The auditor, the security admin and other committees see nothing.

Problems found on a visit become problem-list items (source 随机抽查, origin the visit). One line of
the visit form is one problem, optionally prefixed by an indicator code and a colon
("1.2：记录不全"); lines naming the same indicator (or none) become one item with numbered
points, since an origin gives at most one item per indicator.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations import draws
from mofan.evaluations.review_groups import home_units, reviewer_pool
from mofan.indicators.models import IndicatorNode
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import Unit, UnitCategory
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.services import problem_item_create
from mofan.supervision.common import problem_lines, require_committee_admin, today_or
from mofan.supervision.models import SpotCheckDraw, SpotCheckVisit, VisitMode

ALGORITHM = "mofan-spotcheck-1"
UNIT_PURPOSE = "spotcheck-units"
STRATIFY_CHOICES = ("", "category", "score_band")
UNRATED = "未评定"
SEED_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
MAX_EXCLUDE_MONTHS = 120
ORIGIN = "supervision.spotcheckvisit"


# --- the pure part ----------------------------------------------------------------------------


def derive(inputs: dict[str, Any], seed: str) -> dict[str, list[int]]:
    """The units and inspectors of a draw, from its recorded inputs and seed alone.

    Raises `draws.DrawError` (Chinese message) when the draw cannot be made, and `ValueError`
    for inputs of another algorithm version."""
    if inputs.get("algorithm") != ALGORITHM:
        raise ValueError(f"unknown spot-check algorithm: {inputs.get('algorithm')!r}")
    n, m = int(inputs["units"]), int(inputs["inspectors"])
    candidates = [
        draws.Candidate(id=int(c["id"]), home_unit_id=None, stratum=str(c["stratum"]))
        for c in inputs["candidates"]
    ]
    units = draws.draw_sample(
        candidates=candidates,
        n=n,
        seed=seed,
        purpose=UNIT_PURPOSE,
        strata=bool(inputs["stratify_by"]),
    )
    drawn = set(units)
    pool = []
    for person in inputs["pool"]:
        homes = {int(u) for u in person["home_units"]}
        conflicts = homes & drawn
        home = min(conflicts) if conflicts else min(homes, default=None)
        pool.append(draws.Candidate(id=int(person["id"]), home_unit_id=home))
    if m > 0 and not pool:
        raise draws.DrawError(_("本工委评审库中没有评审员，无法抽取检查人员。"))
    inspectors = draws.draw_inspectors(inspectors=pool, n=m, seed=seed, avoid_units=units)
    return {"units": units, "inspectors": inspectors}


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same calendar day `months` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stratum_label(stratify_by: str, stratum: str) -> str:
    if stratify_by == "category":
        return str(dict(UnitCategory.choices).get(stratum, stratum))
    return stratum


def spot_check_verify(draw: SpotCheckDraw) -> bool:
    """Does `derive(inputs, seed)` give the recorded result? (Any failure to derive: no.)"""
    try:
        return derive(draw.inputs, draw.seed) == draw.result
    except (draws.DrawError, ValueError, KeyError, TypeError):
        return False


# --- gathering the inputs ---------------------------------------------------------------------


def _recently_drawn(committee_id: int, reference: datetime.date, months: int) -> dict[int, int]:
    """unit id → the latest draw (of the committee, created within `months` months up to the
    reference date) that drew it."""
    if months <= 0:
        return {}
    start = months_before(reference, months)
    found: dict[int, int] = {}
    rows = (
        SpotCheckDraw.objects.filter(
            committee_id=committee_id,
            created_at__date__gte=start,
            created_at__date__lte=reference,
        )
        .order_by("created_at", "pk")
        .values_list("pk", "result")
    )
    for pk, result in rows:
        for unit_id in (result or {}).get("units", []):
            found[int(unit_id)] = pk  # later draws overwrite earlier ones
    return found


def gather_inputs(
    *,
    campaign: Campaign,
    units: int,
    inspectors: int,
    stratify_by: str,
    exclude_months: int,
    mode: str,
    reference: datetime.date,
) -> dict[str, Any]:
    """Everything the draw depends on, read from the database once."""
    rows = (
        Enrollment.objects.filter(campaign=campaign, unit__is_active=True)
        .order_by("unit_id")
        .values_list("unit_id", "unit__category", "result__grade")
    )
    recent = _recently_drawn(campaign.committee_id, reference, exclude_months)
    candidates: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for unit_id, category, grade in rows:
        if unit_id in recent:
            excluded.append({"id": unit_id, "reason": "checked_recently", "draw": recent[unit_id]})
            continue
        if stratify_by == "category":
            stratum = category
        elif stratify_by == "score_band":
            stratum = grade or UNRATED
        else:
            stratum = ""
        candidates.append({"id": unit_id, "stratum": stratum})
    pool = reviewer_pool(campaign)
    homes = home_units([u.pk for u in pool])
    return {
        "algorithm": ALGORITHM,
        "committee": campaign.committee_id,
        "campaign": campaign.pk,
        "reference_date": reference.isoformat(),
        "exclude_months": exclude_months,
        "stratify_by": stratify_by,
        "units": units,
        "inspectors": inspectors,
        "mode": mode,
        "candidates": candidates,
        "excluded": excluded,
        "pool": [
            {"id": u.pk, "home_units": sorted(homes[u.pk])}
            for u in sorted(pool, key=lambda u: u.pk)
        ],
    }


# --- writes -----------------------------------------------------------------------------------


def _check_params(
    *,
    units: int,
    inspectors: int,
    seed: str | None,
    stratify_by: str,
    exclude_months: int,
    mode: str,
) -> None:
    if units < 1:
        raise ValidationError(_("抽取单位数至少为 1。"))
    if inspectors < 1:
        raise ValidationError(_("抽取检查人员数至少为 1。"))
    if stratify_by not in STRATIFY_CHOICES:
        raise ValidationError(_("分层方式无效：应为不分层、按单位类别或按考评等次。"))
    if not 0 <= exclude_months <= MAX_EXCLUDE_MONTHS:
        raise ValidationError(
            _("排除近期已抽查单位的月数应在 0 到 %(n)d 之间。") % {"n": MAX_EXCLUDE_MONTHS}
        )
    if mode not in VisitMode.values:
        raise ValidationError(_("检查方式无效。"))
    if seed is not None and not SEED_PATTERN.match(seed):
        raise ValidationError(_("随机种子只能由 1 到 64 个英文字母、数字、下划线或连字符组成。"))


@transaction.atomic
def spot_check_draw_record(
    *,
    campaign: Campaign,
    units: int,
    inspectors: int,
    actor: Actor | None,
    seed: str | None = None,
    stratify_by: str = "",
    exclude_months: int = 0,
    mode: str = VisitMode.UNANNOUNCED,
    title: str = "",
    today: datetime.date | None = None,
) -> SpotCheckDraw:
    """Draw `units` units of the campaign and `inspectors` inspectors from the committee's pool,
    and record the draw (audited). `actor=None` is the system (the command without --actor);
    otherwise the actor must be the campaign's committee admin. `today` is the reference date
    for the exclusion of recently checked units (default: today)."""
    if actor is not None:
        require_committee_admin(
            actor, campaign.committee_id, _("只有本工委管理员可以组织随机抽查。")
        )
    seed = seed.strip() if seed else None
    params: dict[str, Any] = {
        "units": units,
        "inspectors": inspectors,
        "stratify_by": stratify_by,
        "exclude_months": exclude_months,
        "mode": mode,
    }
    _check_params(seed=seed, **params)
    inputs = gather_inputs(campaign=campaign, reference=today_or(today), **params)
    seed = seed or draws.make_seed()
    try:
        result = derive(inputs, seed)
    except draws.DrawError as exc:
        raise ValidationError(_pool_message(str(exc), inputs)) from exc
    user = actor.user if actor else None
    draw = SpotCheckDraw.objects.create(
        committee_id=campaign.committee_id,
        campaign=campaign,
        title=title.strip()[:200],
        seed=seed,
        inputs=inputs,
        result=result,
        created_by=user,
    )
    _audit_draw(draw, user)
    _notify_draw(draw)
    return draw


def _audit_draw(draw: SpotCheckDraw, user: User | None) -> None:
    inputs, result = draw.inputs, draw.result
    audit_record(
        action="spotcheck.draw",
        actor=user,
        actor_name="" if user else "system",
        target=draw,
        committee_id=draw.committee_id,
        after={
            "campaign": draw.campaign_id,
            "seed": draw.seed,
            "algorithm": ALGORITHM,
            "reference_date": inputs["reference_date"],
            "stratify_by": inputs["stratify_by"],
            "exclude_months": inputs["exclude_months"],
            "mode": inputs["mode"],
            "candidates": len(inputs["candidates"]),
            "excluded": [e["id"] for e in inputs["excluded"]],
            "units": result["units"],
            "inspectors": result["inspectors"],
        },
    )


def _notify_draw(draw: SpotCheckDraw) -> None:
    """The inspectors drawn are told; the units drawn only when the visits are announced."""
    url = reverse("supervision:spotcheck_detail", args=[draw.pk])
    notify(
        recipients=User.objects.filter(pk__in=draw.result["inspectors"]),
        kind="spotcheck.inspector",
        title=_("您被抽取为随机抽查检查人员：%(t)s") % {"t": str(draw)},
        body=_("请按抽查名单开展检查并记录检查情况。暗访的，不得事先通知被检查单位。"),
        url=url,
        key=f"spotcheck:{draw.pk}:inspector",
    )
    if draw.inputs["mode"] == VisitMode.ANNOUNCED:
        for unit_id in draw.result["units"]:
            notify(
                recipients=unit_people(unit_id),
                kind="spotcheck.unit",
                title=_("本单位被随机抽中接受检查：%(t)s") % {"t": str(draw)},
                body=_("检查人员将按通知到本单位检查，无需另行准备材料。"),
                url=url,
                key=f"spotcheck:{draw.pk}:unit:{unit_id}",
            )


def _pool_message(message: str, inputs: dict[str, Any]) -> str:
    """The draw functions' message, with what the committee can do about it."""
    if "检查人员" in message or "评审库" in message:
        return message + _(
            "（检查人员库为本工委评审员，共 %(n)d 名；请增加评审员或减少抽取人数。）"
        ) % {"n": len(inputs["pool"])}
    if inputs["excluded"]:
        return message + _("（已排除近 %(k)d 个月内抽查过的 %(n)d 个单位。）") % {
            "k": inputs["exclude_months"],
            "n": len(inputs["excluded"]),
        }
    return message


def may_record_visit(actor: Actor, draw: SpotCheckDraw) -> bool:
    """The committee admin, or an inspector drawn in this draw (still a reviewer there)."""
    if draw.committee_id in actor.committees_with(Role.COMMITTEE_ADMIN):
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
    delegated = draw.committee_id not in actor.committees_with(Role.COMMITTEE_ADMIN)
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
