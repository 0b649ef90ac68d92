"""Automatic problem lists (问题清单) for failing units, made when the committee approves a
campaign's results: `evaluations.approval.campaign_approve` announces them
(`evaluations.events.results_approved`) and `receivers.on_results_approved` calls
`results_approved` here, in the approval's own transaction.

Documented choices
------------------
* Which units and items: every approved unit gets one item per review finding of its
  assignment marked "列为问题" (with the finding's indicator, if any; issue 14: a reviewer's
  problem on a passing unit is not dropped); a unit whose approved grade is in
  `campaign.rectify_grades` (default 不达标) also gets one per its `campaign.rectify_lowest`
  lowest-scoring leaves by ratio (`lowest_leaves`), and a re-review. Both kinds are put on the
  list by the system (`actor=None`) with source `result` (考评不达标) — the only source the
  system may use — and told apart by their origin: ("evaluations.finding", finding id) and
  ("evaluations.unitresult", result id) with the leaf. Deadline: today + `rectify_days`.
* Ratio of a leaf (`leaf_ratio`): consolidated score ÷ the leaf's points for scored methods
  (grade, deduction, quantitative, manual); for a qualitative leaf the level's place in its
  labels, best = 1, worst = 0 (达标 1, 基本达标 ½, 未达标 0). Bonus and veto leaves, leaves
  without points and leaves without a consolidated score have no ratio and are never listed.
  Leaves at full marks (ratio ≥ 1) are skipped; ties go to the earlier leaf in the tree.
* Idempotent: an origin (with its leaf) makes one item only, so reopening and re-approving adds
  nothing already listed (new lowest leaves after a changed score are added).
* Re-review: a waiting re-review (复核) of the nodes of the unit's automatic items (veto leaves
  excepted) is created with the result as `before`. A vetoed unit gets its items but no
  re-review: a veto (纪检监察/巡察/审计 or a veto indicator) is not fixed by re-scoring, and the
  re-review must not offer a way round it; if the veto itself was wrong the committee reopens
  the result.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.models import ConsolidatedScore, Finding, UnitResult
from mofan.indicators.methods import SCORED_TYPES, fmt, labels_of
from mofan.indicators.selectors import published_leaves
from mofan.rectification.models import ProblemItem, ReReview, ReReviewState
from mofan.rectification.rereview import (
    AUTO_ORIGINS,
    AUTO_SOURCE,
    FINDING_ORIGIN,
    NOT_RESCORED,
    RESULT_ORIGIN,
    UNDECIDED,
    rereview_create,
    rereview_reapply,
    rereview_refresh,
    rereview_transition,
)
from mofan.rectification.services import problem_item_create

# --- pure -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafMark:
    """One leaf of a unit: its place in the tree and its score ratio (None: not comparable)."""

    node_id: int
    position: int
    ratio: Decimal | None


def leaf_ratio(
    method: Mapping[str, Any], points: Decimal | None, score: Decimal | None, level: str | None
) -> Decimal | None:
    """How much of a leaf the unit earned, 0..1 (see the module's notes); None when the leaf
    has no such measure."""
    kind = method.get("type")
    if kind == "qualitative":
        labels = labels_of(method)
        if not level or level not in labels or len(labels) < 2:
            return None
        return Decimal(len(labels) - 1 - labels.index(level)) / Decimal(len(labels) - 1)
    if kind in SCORED_TYPES:
        if score is None or points is None or points <= 0:
            return None
        return score / points
    return None


def lowest_leaves(marks: Sequence[LeafMark], count: int) -> list[LeafMark]:
    """The `count` leaves with the lowest ratio below full marks, lowest first, ties in tree
    order. Leaves without a ratio, and at or above full marks, are never chosen."""
    below = [m for m in marks if m.ratio is not None and m.ratio < 1]
    return sorted(below, key=lambda m: (m.ratio, m.position, m.node_id))[: max(count, 0)]


# --- the hook ---------------------------------------------------------------------------------


def _lowest_items(
    *, campaign: Campaign, enrollment: Enrollment, result: UnitResult
) -> list[tuple[Any, str]]:
    """(leaf, description) for the unit's lowest-scoring leaves."""
    leaves = published_leaves(campaign.indicator_version)
    merged = {c.node_id: c for c in ConsolidatedScore.objects.filter(enrollment=enrollment)}
    marks = []
    for position, node in enumerate(leaves):
        row = merged.get(node.pk)
        ratio = leaf_ratio(node.method, node.points, row.score, row.level) if row else None
        marks.append(LeafMark(node_id=node.pk, position=position, ratio=ratio))
    by_id = {node.pk: node for node in leaves}
    chosen = []
    for mark in lowest_leaves(marks, campaign.rectify_lowest):
        node = by_id[mark.node_id]
        row = merged[node.pk]
        if row.score is not None and node.points is not None:
            text = _("%(code)s %(title)s：评审得分 %(score)s 分（满分 %(points)s 分）。") % {
                "code": node.code,
                "title": node.title,
                "score": fmt(row.score),
                "points": fmt(node.points),
            }
        else:
            text = _("%(code)s %(title)s：评审评价为“%(level)s”。") % {
                "code": node.code,
                "title": node.title,
                "level": row.level,
            }
        chosen.append((node, text))
    return chosen


def problem_list_for(
    *,
    campaign: Campaign,
    enrollment: Enrollment,
    result: UnitResult,
    today: datetime.date,
    failing: bool = True,
) -> list[ProblemItem]:
    """Put a unit's automatic items on its list (the ones not listed yet): the review findings
    marked 列为问题 for every approved unit, and for a failing one its lowest leaves too."""
    listed = set(
        ProblemItem.objects.filter(
            campaign=campaign, unit_id=enrollment.unit_id, origin_type__in=AUTO_ORIGINS
        ).values_list("origin_type", "origin_id", "node_id")
    )
    deadline = today + datetime.timedelta(days=campaign.rectify_days)
    common: dict[str, Any] = {
        "unit": enrollment.unit,
        "source": AUTO_SOURCE,
        "deadline": deadline,
        "actor": None,
        "campaign": campaign,
    }
    made = []
    findings = (
        Finding.objects.filter(assignment__enrollment=enrollment, is_problem=True)
        .select_related("node")
        .order_by("pk")
    )
    for finding in findings:
        if (FINDING_ORIGIN, finding.pk, finding.node_id) in listed:
            continue
        made.append(
            problem_item_create(
                **common,
                description=_("评审发现：%(text)s") % {"text": finding.text},
                node=finding.node,
                origin=(FINDING_ORIGIN, finding.pk),
            )
        )
    lowest = (
        _lowest_items(campaign=campaign, enrollment=enrollment, result=result) if failing else []
    )
    for node, text in lowest:
        if (RESULT_ORIGIN, result.pk, node.pk) in listed:
            continue
        made.append(
            problem_item_create(
                **common,
                description=_("考评等次为“%(grade)s”，得分较低的指标：") % {"grade": result.grade}
                + text,
                required_measures=node.criteria,
                node=node,
                origin=(RESULT_ORIGIN, result.pk),
            )
        )
    return made


def rescored_nodes(campaign: Campaign, unit_id: int) -> list[int]:
    """The nodes a re-review of the unit covers: those of its automatic items, veto leaves
    excepted."""
    rows = ProblemItem.objects.filter(
        campaign=campaign,
        unit_id=unit_id,
        source=AUTO_SOURCE,
        origin_type__in=AUTO_ORIGINS,
        node__isnull=False,
    ).values_list("node_id", "node__method")
    return sorted(
        {node_id for node_id, method in rows if (method or {}).get("type") not in NOT_RESCORED}
    )


def results_approved(
    *, campaign: Campaign, results: Sequence[UnitResult], today: datetime.date | None = None
) -> int:
    """The rectification hook of approval: for every newly approved result, the problem list of
    a failing unit and its re-review; a re-review already there follows the new result. Returns
    the number of items made."""
    if not results:
        return 0
    today = today or timezone.localdate()
    ids = [r.enrollment_id for r in results]
    enrollments = {
        e.pk: e
        for e in Enrollment.objects.filter(pk__in=ids).select_related(
            "unit", "campaign__indicator_version__system"
        )
    }
    latest: dict[int, ReReview] = {}
    for rereview in ReReview.objects.filter(enrollment_id__in=ids).order_by("pk"):
        latest[rereview.enrollment_id] = rereview
    grades = set(campaign.rectify_grades or [])
    # Passing units are looked at only when a reviewer listed a problem (one query for all).
    with_findings = set(
        Finding.objects.filter(assignment__enrollment_id__in=ids, is_problem=True).values_list(
            "assignment__enrollment_id", flat=True
        )
    )
    made = 0
    for result in results:
        enrollment = enrollments[result.enrollment_id]
        failing = result.grade in grades
        if failing or enrollment.pk in with_findings:
            made += len(
                problem_list_for(
                    campaign=campaign,
                    enrollment=enrollment,
                    result=result,
                    today=today,
                    failing=failing,
                )
            )
        existing = latest.get(enrollment.pk)
        if existing is None:
            if failing and not result.veto:
                rereview_create(
                    enrollment=enrollment,
                    result=result,
                    node_ids=rescored_nodes(campaign, enrollment.unit_id),
                )
        elif existing.state == ReReviewState.APPROVED:
            rereview_reapply(rereview=existing)
        elif existing.state in UNDECIDED:
            if failing and not result.veto:
                rereview_refresh(
                    rereview=existing,
                    result=result,
                    node_ids=rescored_nodes(campaign, enrollment.unit_id),
                )
            else:
                rereview_transition(
                    rereview=existing,
                    to=ReReviewState.REJECTED,
                    actor=None,
                    system=True,
                    reason=_("重新审定后该单位已不属于需整改复核的情形，复核撤销。"),
                )
    return made
