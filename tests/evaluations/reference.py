"""The test oracle for the stored figures: every unit's totals and result computed the way
approval computed them before the figures were stored (issue 7) — the real roll-up
(`scoring.totals_for`) per unit, then the results code (`results.compute_results`) over the whole
field. Independent of `evaluations.figures` (which flattens the tree, memoises grades and ranks in
SQL), so the tests can hold the stored figures equal to it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.sorting import Sorting
from mofan.evaluations import results as res
from mofan.evaluations.models import ConsolidatedScore, SelfScore, VetoInput
from mofan.evaluations.scoring import max_points, totals_for
from mofan.evaluations.selectors_ranking import UnitRow
from mofan.indicators.methods import LeafScore
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import walk

S = EnrollmentState
STATE_ORDER = [state.value for state in EnrollmentState]


def _leaf_scores(
    rows: list[dict[str, Any]], code_of: dict[int, str]
) -> dict[int, dict[str, LeafScore]]:
    scores: dict[int, dict[str, LeafScore]] = defaultdict(dict)
    for row in rows:
        scores[row["enrollment_id"]][code_of[row["node_id"]]] = LeafScore(
            score=row["score"], level=row["level"] or None, veto=row["veto"]
        )
    return scores


def _unit_score(row: UnitRow, top: Decimal | None) -> res.UnitScore:
    reviewed = row.enrollment.state in (S.REVIEWED, S.APPROVED)
    return res.UnitScore(
        unit_id=row.enrollment.unit_id,
        name=row.enrollment.unit.name,
        # Only a unit with a consolidated review score is scored (issue 14).
        self_score=row.self_totals.total if reviewed else None,
        review_score=row.review_totals.total if reviewed else None,
        veto=row.review_totals.veto or bool(row.veto_inputs),
        max_points=top,
        level_counts=row.review_totals.level_counts if reviewed else {},
    )


def _compute(campaign: Campaign, rows: list[UnitRow], top: Decimal | None, enrolled: int) -> None:
    """The pure results code over the rows, with the campaign's settings; sets `row.result`."""
    qualitative = campaign.indicator_version.system.scoring == "qualitative" or top is None
    computed = res.compute_results(
        [_unit_score(row, top) for row in rows],
        weights={k: Decimal(str(v)) for k, v in campaign.composite_weights.items()},
        bands=[res.Band(b["label"], Decimal(str(b["min_ratio"]))) for b in campaign.grade_bands],
        veto_blocks=[b for b in campaign.veto_blocks if b != "advanced"],
        quota_ratio=campaign.honours_quota,
        qualitative=qualitative,
        enrolled=enrolled,
        eligible_grades=("优秀",),
    )
    by_unit = {r.unit_id: r for r in computed}
    for row in rows:
        result = by_unit[row.enrollment.unit_id]
        if result.veto and "advanced" in campaign.veto_blocks:
            result.advanced = False
        row.result = result


def campaign_rows(campaign: Campaign) -> tuple[list[UnitRow], Decimal | None]:
    """Every enrolled unit's self and review totals and its result as it would be approved now,
    in a fixed number of queries whatever the number of units."""
    roots = nodes_of(campaign.indicator_version)
    code_of = {node.pk: node.code for node, _d in walk(roots) if node.pk is not None}
    enrollments = list(
        Enrollment.objects.filter(campaign=campaign)
        .select_related("unit")
        .order_by("unit__sort_order", "pk")
    )
    fields = ("enrollment_id", "node_id", "score", "level", "veto")
    own = _leaf_scores(
        list(SelfScore.objects.filter(enrollment__campaign=campaign).values(*fields)), code_of
    )
    reviewed = _leaf_scores(
        list(ConsolidatedScore.objects.filter(enrollment__campaign=campaign).values(*fields)),
        code_of,
    )
    vetoes: dict[int, list[str]] = defaultdict(list)
    for enrollment_id, source in VetoInput.objects.filter(
        enrollment__campaign=campaign, vetoed=True
    ).values_list("enrollment_id", "source"):
        vetoes[enrollment_id].append(source)
    rows = [
        UnitRow(
            enrollment=e,
            self_totals=totals_for(roots, own.get(e.pk, {})),
            review_totals=totals_for(roots, reviewed.get(e.pk, {})),
            veto_inputs=vetoes.get(e.pk, []),
        )
        for e in enrollments
    ]
    top = max_points(roots)
    # A withdrawn unit (已退出) is not in the quota's base.
    _compute(campaign, rows, top, enrolled=sum(r.enrollment.state != S.WITHDRAWN for r in rows))
    return rows, top


def python_key(column: str) -> Callable[[UnitRow], Any]:
    """The sort key of a column, ascending, values before blanks, ties by unit."""

    def tie(row: UnitRow) -> tuple[Any, ...]:
        e = row.enrollment
        return (e.unit.sort_order, e.unit.name, e.pk) if column == "unit" else (e.pk,)

    def value(row: UnitRow) -> Any:
        result = row.result
        return {
            "unit": 0,
            "state": STATE_ORDER.index(row.enrollment.state)
            if row.enrollment.state in STATE_ORDER
            else len(STATE_ORDER),
            "self": row.self_totals.total,
            "review": row.review_totals.total,
            "composite": -result.rank if result and result.rank is not None else None,
            "rank": result.rank if result else None,
        }.get(column)

    return lambda row: (value(row) is None, value(row) or 0, tie(row))


def sorted_rows(campaign: Campaign, sorting: Sorting, search: str = "") -> list[UnitRow]:
    """Every unit's row of `campaign_rows`, filtered and sorted in Python as the approval page
    orders them in the database."""
    rows, _top = campaign_rows(campaign)
    if search:
        rows = [r for r in rows if search.casefold() in r.enrollment.unit.name.casefold()]
    key = python_key(sorting.column)
    rows.sort(key=key)
    if sorting.descending:
        # Every term reversed, the blanks kept last (as the database ordering does).
        rows.reverse()
        rows = [r for r in rows if not key(r)[0]] + [r for r in rows if key(r)[0]]
    return rows
