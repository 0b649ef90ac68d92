"""The committee's approval table (综合审定, the ranking page) one page at a time (issue 7).

A province-level campaign has up to 20,000 units: the page shows 50 of them, sorted by any
column and searchable by unit name, read from the stored figures (`UnitTotals`), while the
campaign-wide facts the approval actions depend on (how many units are reviewed, approved,
vetoed, advanced) are counted in the database. Neither grows with the number of units beyond
the rows shown.

A campaign whose units do not all have stored figures yet (rows written around the services,
before a `recompute_results`) is computed in full by `approval.campaign_rows` and paged in
Python: the same page, for the small campaigns this happens to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet
from django.utils.functional import cached_property

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.sorting import Sorting, Term, rank
from mofan.evaluations import approval
from mofan.evaluations.models import UnitTotals, VetoInput
from mofan.evaluations.scoring import max_points
from mofan.indicators.selectors import nodes_of

PER_PAGE = 50
STATE_ORDER = [state.value for state in EnrollmentState]
S = EnrollmentState
REVIEWED = (S.REVIEWED, S.APPROVED)


def _nulls_last(field: str, *, descending: bool = False) -> tuple[Term, ...]:
    column = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return (column, "enrollment_id")


# Terms on `UnitTotals`, so that the database walks an index of the campaign's stored figures
# and stops after the page instead of sorting every unit. The composite runs opposite to the
# rank (rank 1 has the highest composite; units without a composite have no rank).
SORTS: dict[str, tuple[Term, ...]] = {
    "unit": ("enrollment__unit__sort_order", "enrollment__unit__name", "enrollment_id"),
    "state": (rank("enrollment__state", STATE_ORDER).asc(), "enrollment_id"),
    "self": _nulls_last("self_total"),
    "review": _nulls_last("review_total"),
    "composite": _nulls_last("rank", descending=True),
    "rank": _nulls_last("rank"),
}
DEFAULT_SORT = "rank"


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class ApprovalSummary:
    enrolled: int
    states: list[StateCount]
    reviewed: int  # reviewed or approved
    approved: int
    vetoed: int
    advanced: int
    stored: int  # units with stored figures (`UnitTotals`)
    max_points: Decimal | None

    @property
    def all_reviewed(self) -> bool:
        return self.enrolled > 0 and self.reviewed == self.enrolled

    @property
    def all_approved(self) -> bool:
        return self.enrolled > 0 and self.approved == self.enrolled


def approval_summary(campaign: Campaign) -> ApprovalSummary:
    """Campaign-wide counts in two queries (an index count per state, one aggregate over the
    stored figures)."""
    by_state = dict(
        Enrollment.objects.filter(campaign=campaign)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    stored = UnitTotals.objects.filter(campaign=campaign)
    return ApprovalSummary(
        enrolled=sum(by_state.values()),
        states=[
            StateCount(state.value, str(state.label), by_state[state.value])
            for state in EnrollmentState
            if by_state.get(state.value)
        ],
        reviewed=sum(by_state.get(s.value, 0) for s in REVIEWED),
        approved=by_state.get(S.APPROVED.value, 0),
        vetoed=stored.filter(veto=True).count(),
        advanced=stored.filter(advanced=True).count(),
        stored=stored.count(),
        max_points=max_points(nodes_of(campaign.indicator_version)),
    )


class _Counted(Paginator):
    """A paginator told its count instead of counting again."""

    def __init__(self, object_list: Any, count: int) -> None:
        super().__init__(object_list, PER_PAGE)
        self._known = count

    @cached_property
    def count(self) -> int:
        return self._known


def _vetoes(enrollment_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for enrollment_id, source in VetoInput.objects.filter(
        enrollment_id__in=enrollment_ids, vetoed=True
    ).values_list("enrollment_id", "source"):
        found[enrollment_id].append(source)
    return found


def _python_key(column: str) -> Callable[[approval.UnitRow], Any]:
    """The fallback's sort key of a column, ascending, values before blanks, ties by unit."""

    def tie(row: approval.UnitRow) -> tuple[Any, ...]:
        e = row.enrollment
        return (e.unit.sort_order, e.unit.name, e.pk) if column == "unit" else (e.pk,)

    def value(row: approval.UnitRow) -> Any:
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


def _fallback(campaign: Campaign, sorting: Sorting, search: str) -> list[approval.UnitRow]:
    rows, _top = approval.campaign_rows(campaign)
    if search:
        rows = [r for r in rows if search.casefold() in r.enrollment.unit.name.casefold()]
    key = _python_key(sorting.column)
    rows.sort(key=key)
    if sorting.descending:
        # Every term reversed, the blanks kept last (as the database ordering does).
        rows.reverse()
        rows = [r for r in rows if not key(r)[0]] + [r for r in rows if key(r)[0]]
    return rows


def approval_rows(
    campaign: Campaign,
    *,
    summary: ApprovalSummary,
    sorting: Sorting,
    search: str = "",
    page: str | int | None = None,
) -> Page:
    """One page of the approval table: `approval.UnitRow`s of the units matching `search`
    (part of the unit's name), in the order of `sorting` (one of `SORTS`). Three queries on
    the stored figures whatever the number of units."""
    search = search.strip()
    if summary.stored < summary.enrolled:
        return Paginator(_fallback(campaign, sorting, search), PER_PAGE).get_page(page)
    stored: QuerySet[UnitTotals] = UnitTotals.objects.filter(campaign=campaign)
    if search:
        stored = stored.filter(enrollment__unit__name__icontains=search)
    ordered = stored.select_related("enrollment__unit").order_by(*sorting.order_by)
    # Without a search the summary has counted the rows already.
    paginator = Paginator(ordered, PER_PAGE) if search else _Counted(ordered, summary.stored)
    shown = paginator.get_page(page)
    vetoes = _vetoes([t.enrollment_id for t in shown.object_list])
    rows: list[Any] = [
        approval.row_from_totals(t.enrollment, t, vetoes.get(t.enrollment_id, []))
        for t in shown.object_list
    ]
    shown.object_list = rows
    return shown
