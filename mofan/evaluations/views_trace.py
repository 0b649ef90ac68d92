"""How a final score was formed: every leaf's self score, each reviewer's score and comment, the
consolidated score with the leader's reason, the totals and the formula (issue 4 point 7), and
the sections other apps add (rectification: the unit's re-reviews, 复核, with the original and
re-review values of each re-scored leaf and of the result)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF
from mofan.core.extensions import sections_of
from mofan.evaluations import selectors as scope
from mofan.evaluations.ledger_figures import figures_of
from mofan.evaluations.ledger_views import present
from mofan.evaluations.models import (
    ConsolidatedScore,
    ReviewScore,
    SelfScore,
    UnitResult,
    VetoInput,
)
from mofan.indicators.models import IndicatorNode


@role_required(*COMMITTEE_STAFF)
def trace(request: HttpRequest, pk: int) -> HttpResponse:
    actor: Any = request.actor  # type: ignore[attr-defined]
    enrollment = get_object_or_404(
        scope.enrollments_staffed_by(actor).select_related("campaign", "unit"),
        pk=pk,
    )
    campaign = enrollment.campaign
    nodes = list(
        IndicatorNode.objects.filter(version_id=campaign.indicator_version_id).order_by("order")
    )
    parents = {n.parent_id for n in nodes if n.parent_id}
    own = {
        s.node_id: s
        for s in SelfScore.objects.filter(enrollment=enrollment).select_related("updated_by")
    }
    merged = {
        c.node_id: c
        for c in ConsolidatedScore.objects.filter(enrollment=enrollment).select_related(
            "decided_by"
        )
    }
    reviews: dict[int, list[ReviewScore]] = defaultdict(list)
    for score in (
        ReviewScore.objects.filter(assignment__enrollment=enrollment)
        .select_related("reviewer")
        .order_by("reviewer__username")
    ):
        reviews[score.node_id].append(score)
    figures = figures_of(enrollment)
    rows = [
        {
            "node": node,
            "heading": node.pk in parents,
            "self": own.get(node.pk),
            "reviews": reviews.get(node.pk, []),
            "merged": merged.get(node.pk),
            "ledger": [present(f) for f in figures.get(node.pk, [])],
        }
        for node in nodes
    ]
    by_id = {node.pk: node for node in nodes}
    # Sections other apps add (rectification: the unit's re-reviews).
    sections = sections_of("evaluations.trace", enrollment=enrollment, nodes_by_id=by_id)
    return render(
        request,
        "evaluations/trace.html",
        {
            "enrollment": enrollment,
            "campaign": campaign,
            "rows": rows,
            "result": UnitResult.objects.filter(enrollment=enrollment)
            .select_related("approved_by")
            .first(),
            "vetoes": VetoInput.objects.filter(enrollment=enrollment).select_related("recorded_by"),
            "sections": sections,
        },
    )
