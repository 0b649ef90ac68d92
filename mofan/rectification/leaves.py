"""Which leaves of a failing unit go onto its problem list (the automatic items of `auto.py`).

Documented choices
------------------
* The pass mark of a leaf (`leaf_fails`): a scored leaf (grade, deduction, quantitative, manual)
  fails when its score is below the campaign's 达标 line times its points (`pass_ratio`: the
  lowest non-zero `min_ratio` of the campaign's grade bands, 0.6 by default — the same line that
  makes a unit 达标); a qualitative leaf fails when its level is the worst of its labels (未达标).
  Bonus and veto leaves, leaves without points and leaves without a score never fail.
* Every failing leaf is listed, in tree order. A unit that fails overall with no single leaf below
  its pass mark (its shortfall is spread thin) gets its `campaign.rectify_lowest` lowest leaves
  below full marks instead (`lowest_leaves`), so a failing unit is never left with nothing to fix.
* The scores a leaf is judged by (`current_scores`): the consolidated review score, replaced by
  the score of each approved re-review (复核) of the unit, oldest first — so a second round is
  decided on the scores the first round left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.models import ConsolidatedScore
from mofan.indicators.methods import SCORED_TYPES, LeafScore, fmt, labels_of
from mofan.indicators.models import IndicatorNode
from mofan.indicators.selectors import published_leaves
from mofan.rectification.models import ReReviewScore, ReReviewState

DEFAULT_PASS_RATIO = Decimal("0.6")

# --- pure -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafMark:
    """One leaf of a unit: its place in the tree, its score ratio (None: not comparable) and
    whether it is below its pass mark."""

    node_id: int
    position: int
    ratio: Decimal | None
    fails: bool = False


def leaf_ratio(
    method: Mapping[str, Any], points: Decimal | None, score: Decimal | None, level: str | None
) -> Decimal | None:
    """How much of a leaf the unit earned, 0..1: score ÷ points for scored methods; for a
    qualitative leaf the level's place in its labels, best = 1, worst = 0 (达标 1, 基本达标 ½,
    未达标 0). None when the leaf has no such measure."""
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


def leaf_fails(method: Mapping[str, Any], ratio: Decimal | None, pass_ratio: Decimal) -> bool:
    """Below the pass mark: a scored leaf under `pass_ratio` of its points, a qualitative leaf at
    its worst level."""
    if ratio is None:
        return False
    if method.get("type") == "qualitative":
        return ratio == 0
    return ratio < pass_ratio


def failing_leaves(marks: Sequence[LeafMark]) -> list[LeafMark]:
    """Every leaf below its pass mark, in tree order."""
    return sorted((m for m in marks if m.fails), key=lambda m: (m.position, m.node_id))


def lowest_leaves(marks: Sequence[LeafMark], count: int) -> list[LeafMark]:
    """The `count` leaves with the lowest ratio below full marks, lowest first, ties in tree
    order. Leaves without a ratio, and at or above full marks, are never chosen."""
    below = [m for m in marks if m.ratio is not None and m.ratio < 1]
    return sorted(below, key=lambda m: (m.ratio, m.position, m.node_id))[: max(count, 0)]


def leaves_to_list(marks: Sequence[LeafMark], fallback: int) -> list[LeafMark]:
    """The leaves a failing unit must rectify: every failing leaf, or when none fails, the
    `fallback` lowest ones."""
    return failing_leaves(marks) or lowest_leaves(marks, fallback)


def pass_ratio(grade_bands: Sequence[Mapping[str, Any]]) -> Decimal:
    """The campaign's 达标 line: the lowest non-zero `min_ratio` of its grade bands."""
    lines = [Decimal(str(b.get("min_ratio") or 0)) for b in grade_bands]
    positive = [line for line in lines if line > 0]
    return min(positive) if positive else DEFAULT_PASS_RATIO


# --- reads ------------------------------------------------------------------------------------


def current_scores(enrollment: Enrollment, *, before_rereview: int | None = None) -> dict[int, Any]:
    """The unit's score of each leaf by node id: the consolidated score, replaced by each
    approved re-review's (oldest first; only those before `before_rereview` when given)."""
    scores: dict[int, Any] = {
        c.node_id: LeafScore(score=c.score, level=c.level or None)
        for c in ConsolidatedScore.objects.filter(enrollment=enrollment)
    }
    approved = ReReviewScore.objects.filter(
        rereview__enrollment=enrollment, rereview__state=ReReviewState.APPROVED
    )
    if before_rereview is not None:
        approved = approved.filter(rereview_id__lt=before_rereview)
    for row in approved.order_by("rereview_id", "pk"):
        scores[row.node_id] = LeafScore(score=row.score, level=row.level or None)
    return scores


_TRAILING = "；;。.，,：:、 \u3000"


def leaf_text(node: IndicatorNode, score: Any) -> str:
    """The problem text of a leaf below its pass mark; the title's own closing punctuation
    (坚决做到“两个维护”；) is dropped before the colon."""
    title = node.title.rstrip(_TRAILING)
    if score.score is not None and node.points is not None:
        return _("%(code)s %(title)s：得分 %(score)s 分（满分 %(points)s 分）。") % {
            "code": node.code,
            "title": title,
            "score": fmt(score.score),
            "points": fmt(node.points),
        }
    return _("%(code)s %(title)s：评价为“%(level)s”。") % {
        "code": node.code,
        "title": title,
        "level": score.level,
    }


def leaves_to_rectify(
    campaign: Campaign, enrollment: Enrollment
) -> list[tuple[IndicatorNode, str]]:
    """(leaf, description) for each leaf a failing unit must rectify, on its current scores."""
    leaves = published_leaves(campaign.indicator_version)
    scores = current_scores(enrollment)
    line = pass_ratio(campaign.grade_bands or [])
    marks = []
    for position, node in enumerate(leaves):
        score = scores.get(node.pk)
        ratio = leaf_ratio(node.method, node.points, score.score, score.level) if score else None
        fails = leaf_fails(node.method, ratio, line)
        marks.append(LeafMark(node_id=node.pk, position=position, ratio=ratio, fails=fails))
    by_id = {node.pk: node for node in leaves}
    return [
        (by_id[m.node_id], leaf_text(by_id[m.node_id], scores[m.node_id]))
        for m in leaves_to_list(marks, campaign.rectify_lowest)
    ]
