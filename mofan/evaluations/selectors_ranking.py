"""The ranking: every enrolled unit's figures, read from what is stored, for every page and file
that shows them (the approval page, the ranking export, the documents and the dashboard).

A unit whose result is approved and frozen shows its `UnitResult` (a re-review may have replaced
it since); any other unit shows its stored figures (`UnitTotals`: what approval would freeze
now). Every enrolled unit has its stored figures from enrolment on (`evaluations.figures`), so
nothing here computes a score. Who may see which units is the caller's business (the access
layer's `unit_ids`); these read a campaign's rows as asked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.functions import Coalesce

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations import results as res
from mofan.evaluations.models import UnitResult, UnitTotals, VetoInput
from mofan.evaluations.scoring import Totals

CHUNK = 2000


@dataclass
class UnitRow:
    """One unit's line of the ranking: its totals, veto inputs and (provisional or frozen)
    result."""

    enrollment: Enrollment
    self_totals: Totals
    review_totals: Totals
    veto_inputs: list[str]
    result: res.Result | None = None
    frozen: bool = False


def _frozen_of(enrollment: Enrollment) -> UnitResult | None:
    try:
        result = enrollment.result
    except UnitResult.DoesNotExist:
        return None
    return result if result.frozen else None


def row_of(totals: UnitTotals, vetoes: Sequence[str] = ()) -> UnitRow:
    """A unit's row from its stored figures (`totals.enrollment` and its unit loaded; its
    result too, with `select_related("enrollment__result")`, to show a frozen one)."""
    enrollment = totals.enrollment
    frozen = _frozen_of(enrollment)
    shown: UnitTotals | UnitResult = frozen if frozen is not None else totals
    return UnitRow(
        enrollment=enrollment,
        self_totals=Totals(
            total=shown.self_total,
            level_counts=totals.self_level_counts,
            complete=totals.self_complete,
        ),
        review_totals=Totals(
            total=shown.review_total,
            type_scores=shown.type_scores,
            level_counts=shown.level_counts,
            complete=totals.review_complete,
        ),
        veto_inputs=list(vetoes),
        result=res.Result(
            unit_id=enrollment.unit_id,
            name=enrollment.unit.name,
            score=shown.composite,
            grade=shown.grade,
            rank=shown.rank,
            veto=shown.veto,
            advanced=shown.advanced,
        ),
        frozen=frozen is not None,
    )


def vetoes_of(enrollment_ids: Collection[int]) -> dict[int, list[str]]:
    """The sources that vetoed each of these enrollments."""
    found: dict[int, list[str]] = defaultdict(list)
    for enrollment_id, source in VetoInput.objects.filter(
        enrollment_id__in=enrollment_ids, vetoed=True
    ).values_list("enrollment_id", "source"):
        found[enrollment_id].append(source)
    return found


def _figures_of(campaign: Campaign, *, unit_ids: Collection[int] | None) -> QuerySet:
    stored = UnitTotals.objects.filter(campaign=campaign)
    if unit_ids is not None:
        stored = stored.filter(enrollment__unit_id__in=unit_ids)
    return stored


def stored_figures(campaign: Campaign, *, unit_ids: Collection[int] | None = None) -> QuerySet:
    """The campaign's stored figures with what a row needs loaded, unordered."""
    stored = _figures_of(campaign, unit_ids=unit_ids)
    # The per-node maps are the largest columns and no row shows them: not read (at 20,000 units
    # decoding them was a third of the ranking export's time).
    return stored.select_related("enrollment__unit", "enrollment__result").defer(
        "self_nodes", "review_nodes"
    )


def _shown(name: str) -> Case:
    """The figure `name` a row shows: the frozen result's where the unit's result is frozen,
    else the stored figures' (the rule of `row_of`, as SQL)."""
    return Case(
        When(enrollment__result__frozen=True, then=F(f"enrollment__result__{name}")),
        default=F(name),
    )  # both columns have the same field, so the result has it too (and its converters)


def _in_rank_order(stored: QuerySet, *, approved_only: bool) -> QuerySet:
    """`stored` figures in rank order (the shown rank; unranked last, the withdrawn ones
    (已退出) after them; ties in the committee's order of units)."""
    stored = stored.annotate(shown_rank=_shown("rank"))
    if approved_only:
        stored = stored.filter(enrollment__result__frozen=True)
    return stored.order_by(
        F("shown_rank").asc(nulls_last=True),
        Case(When(enrollment__state=EnrollmentState.WITHDRAWN, then=Value(1)), default=Value(0)),
        "enrollment__unit__sort_order",
        "enrollment_id",
    )


def ranking_rows(
    campaign: Campaign,
    *,
    unit_ids: Collection[int] | None = None,
    approved_only: bool = False,
) -> Iterator[UnitRow]:
    """Every unit's row in rank order (`_in_rank_order`): one ordered query read in chunks of
    `CHUNK` rows, each chunk's veto sources in one more."""
    ordered = _in_rank_order(
        stored_figures(campaign, unit_ids=unit_ids), approved_only=approved_only
    )
    batch: list[UnitTotals] = []
    for totals in ordered.iterator(chunk_size=CHUNK):  # one query, read in chunks
        batch.append(totals)
        if len(batch) == CHUNK:
            yield from _rows_with_vetoes(batch)
            batch = []
    yield from _rows_with_vetoes(batch)


@dataclass(frozen=True, slots=True)
class RankingLine:
    """One unit's line of the ranking as a file shows it: the figures of `UnitRow` that a
    table prints (the frozen result's where frozen), without the model instances."""

    enrollment_id: int
    unit_id: int
    unit_name: str
    state: str
    frozen: bool
    rank: int | None
    self_total: Decimal | None
    review_total: Decimal | None
    type_scores: dict[str, Any]
    composite: Decimal | None
    grade: str
    veto: bool
    advanced: bool


LINE_FIGURES = (
    "self_total",
    "review_total",
    "type_scores",
    "composite",
    "grade",
    "veto",
    "advanced",
)


def ranking_lines(
    campaign: Campaign,
    *,
    unit_ids: Collection[int] | None = None,
    approved_only: bool = False,
) -> Iterator[RankingLine]:
    """The rows of `ranking_rows`, in the same order, as plain values read by one query, for
    the exports of 20,000 rows: building four model instances per row was half the ranking
    xlsx's time. Tests hold both equal."""
    stored = _figures_of(campaign, unit_ids=unit_ids)
    ordered = _in_rank_order(stored, approved_only=approved_only).annotate(
        **{f"shown_{name}": _shown(name) for name in LINE_FIGURES},
        shown_frozen=Coalesce("enrollment__result__frozen", Value(False)),
    )
    fields = (
        "enrollment_id",
        "enrollment__unit_id",
        "enrollment__unit__name",
        "enrollment__state",
        "shown_frozen",
        "shown_rank",
        *(f"shown_{name}" for name in LINE_FIGURES),
    )
    for values in ordered.values_list(*fields).iterator(chunk_size=CHUNK):
        yield RankingLine(*values)


def _rows_with_vetoes(batch: list[UnitTotals]) -> Iterator[UnitRow]:
    vetoes = vetoes_of([t.enrollment_id for t in batch]) if batch else {}
    for totals in batch:
        yield row_of(totals, vetoes.get(totals.enrollment_id, []))


def approved_results(
    campaign: Campaign, *, unit_ids: Collection[int] | None = None
) -> QuerySet[UnitResult]:
    """The campaign's approved (frozen) results in the committee's order of units."""
    results = UnitResult.objects.filter(campaign=campaign, frozen=True)
    if unit_ids is not None:
        results = results.filter(enrollment__unit_id__in=unit_ids)
    return results.order_by("enrollment__unit__sort_order", "enrollment__unit_id")
