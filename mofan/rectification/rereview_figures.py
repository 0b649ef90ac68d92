"""The figures of a re-review (复核): the result it may replace, as plain JSON, and the result it
gives — the same pure figures code as approval for this unit, with the re-review's scores (and
those of the unit's earlier approved rounds) in place of the consolidated scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mofan.evaluations.figures.unit import unit_figures_with
from mofan.evaluations.models import ConsolidatedScore, UnitResult
from mofan.evaluations.score_write import shown
from mofan.indicators.methods import LeafScore
from mofan.rectification.leaves import current_scores
from mofan.rectification.models import ReReview, ReReviewScore, ReReviewState


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def result_snapshot(result: UnitResult) -> dict[str, Any]:
    """What a re-review may replace, and what stays (rank, advanced), as plain JSON."""
    return {
        "composite": _text(result.composite),
        "review_total": _text(result.review_total),
        "type_scores": dict(result.type_scores),
        "level_counts": dict(result.level_counts),
        "grade": result.grade,
        "rank": result.rank,
        "advanced": result.advanced,
        "veto": result.veto,
    }


def consolidated_values(enrollment_id: int, node_ids: list[int]) -> dict[str, str]:
    """The consolidated (original) score of each node, as shown."""
    return {
        str(c.node_id): shown(c)
        for c in ConsolidatedScore.objects.filter(enrollment_id=enrollment_id, node_id__in=node_ids)
    }


def rereview_outcome(rereview: ReReview) -> dict[str, Any]:
    """The unit's result with the re-review's scores in place of the consolidated scores of its
    nodes: the same pure results code as approval, for this unit alone."""
    scores = list(ReReviewScore.objects.filter(rereview=rereview))
    earlier = current_scores(rereview.enrollment, before_rereview=rereview.pk)
    replace = {
        node_id: score
        for node_id, score in earlier.items()
        if node_id in _rereviewed_before(rereview)
    }
    replace.update(
        {
            s.node_id: LeafScore(score=s.score, level=s.level or None)
            for s in scores
            if s.node_id in rereview.node_ids
        }
    )
    figures = unit_figures_with(rereview.enrollment, replace)
    return {
        "composite": _text(figures.composite),
        "review_total": _text(figures.review_total),
        "type_scores": figures.type_scores,
        "level_counts": figures.level_counts,
        "grade": figures.grade,
        "nodes": {str(s.node_id): shown(s) for s in scores if s.node_id in rereview.node_ids},
    }


def _rereviewed_before(rereview: ReReview) -> set[int]:
    """The nodes earlier approved rounds of the unit re-scored."""
    rows = ReReview.objects.filter(
        enrollment_id=rereview.enrollment_id, state=ReReviewState.APPROVED, pk__lt=rereview.pk
    ).values_list("node_ids", flat=True)
    return {node_id for node_ids in rows for node_id in node_ids}
