"""The committee's approval table (综合审定, the ranking page) one page at a time (issue 7).

A province-level campaign has up to 20,000 units: the page shows 50 of them, sorted by any
column and searchable by unit name, read from the stored figures (`UnitTotals`), while the
campaign-wide facts the approval actions depend on (how many units are reviewed, approved,
vetoed, advanced) are counted in the database. Neither grows with the number of units beyond
the rows shown.

The rows are those of the ranking (`selectors_ranking.row_of`): an approved unit shows its frozen
result. Every enrolled unit has its stored figures from enrolment on, so nothing is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, QuerySet, Value, When
from django.utils.functional import cached_property

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState, QuotaTiePolicy
from mofan.core.sorting import Sorting, Term, rank
from mofan.evaluations.figures.unit import current_tie
from mofan.evaluations.models import ApprovalBatch, BatchState, QuotaTieDecision, UnitTotals
from mofan.evaluations.results import admitted_for, quota_for
from mofan.evaluations.scoring import max_points
from mofan.evaluations.selectors_ranking import row_of, stored_figures, vetoes_of
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
class QuotaTie:
    """Units tied across the 先进 quota line, as the approval page shows them."""

    score: Decimal
    seats: int
    quota: int
    units: list[tuple[int, str]]  # (enrollment id, unit name), in the committee's order
    decision: QuotaTieDecision | None  # the committee's decision on this very tie
    policy: str = QuotaTiePolicy.DECIDE  # the campaign's rule for ties set in advance

    @property
    def settled_by_policy(self) -> bool:
        """No decision about this tie, but the campaign's rule settles it."""
        return self.decision is None and self.policy != QuotaTiePolicy.DECIDE

    @property
    def policy_label(self) -> str:
        return str(QuotaTiePolicy(self.policy).label)

    @property
    def admitted_names(self) -> list[str]:
        admitted = set(self.decision.admitted) if self.decision else set()
        return [name for pk, name in self.units if pk in admitted]


def quota_tie_of(campaign: Campaign, enrolled: int) -> QuotaTie | None:
    """The tie across the quota line now, with the decision if it is about this tie: one query
    when there is none."""
    tie = current_tie(campaign, enrolled)
    if tie is None:
        return None
    decision = QuotaTieDecision.objects.filter(campaign=campaign).first()
    if decision is not None and admitted_for(tie, decision.as_decision()) is None:
        decision = None  # about another tie: scores changed since
    units = list(
        Enrollment.objects.filter(pk__in=tie.tied)
        .order_by("unit__sort_order", "pk")
        .values_list("pk", "unit__name")
    )
    return QuotaTie(
        score=tie.score,
        seats=tie.seats,
        quota=quota_for(enrolled, campaign.honours_quota),
        units=units,
        decision=decision,
        policy=campaign.tie_policy,
    )


@dataclass(frozen=True)
class ApprovalSummary:
    enrolled: int  # taking part: every enrolled unit but the withdrawn ones
    states: list[StateCount]
    reviewed: int  # reviewed or approved
    approved: int
    vetoed: int
    advanced: int
    stored: int  # units with stored figures (`UnitTotals`)
    max_points: Decimal | None
    tie: QuotaTie | None = None
    ready: int = 0  # reviewed, not approved yet
    incomplete: int = 0  # closed as 未完成
    withdrawn: int = 0  # 已退出: listed apart, not in `enrolled` (the units taking part)
    pending_round: ApprovalBatch | None = None  # prepared, waiting for the leader
    round_units: list[str] = field(default_factory=list)  # its units' names (the first 20)

    @property
    def can_prepare(self) -> bool:
        """The admin may put the reviewed units into a round for the leader."""
        return self.ready > 0 and self.pending_round is None and not self.tie_pending

    @property
    def all_decided(self) -> bool:
        """Every unit approved or closed as 未完成, some approved: the results can be published."""
        return self.approved > 0 and self.approved + self.incomplete == self.enrolled

    @property
    def closable(self) -> bool:
        """Some unit is neither approved nor closed, and no round waits for the leader."""
        return self.approved + self.incomplete < self.enrolled and self.pending_round is None

    @property
    def tie_pending(self) -> bool:
        """A tie across the quota line waits for the committee: approval waits for it."""
        return self.tie is not None and self.tie.decision is None and not self.tie.settled_by_policy

    @property
    def all_approved(self) -> bool:
        return self.enrolled > 0 and self.approved == self.enrolled


def pending_round(campaign: Campaign) -> ApprovalBatch | None:
    """The round of approval waiting for the leader's signature, if any (at most one); without
    the figures it froze for the signature (up to 20,000 units' worth of JSON), which only the
    signing itself reads."""
    return (
        ApprovalBatch.objects.filter(campaign=campaign, state=BatchState.PREPARED)
        .select_related("prepared_by")
        .defer("figures")
        .first()
    )


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
    pending = pending_round(campaign)
    withdrawn = by_state.get(S.WITHDRAWN.value, 0)
    taking_part = sum(by_state.values()) - withdrawn
    return ApprovalSummary(
        enrolled=taking_part,
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
        tie=quota_tie_of(campaign, taking_part),
        ready=by_state.get(S.REVIEWED.value, 0),
        incomplete=by_state.get(S.INCOMPLETE.value, 0),
        withdrawn=withdrawn,
        pending_round=pending,
        round_units=_names(pending.enrollments[:20]) if pending else [],
    )


def _names(enrollment_ids: list[int]) -> list[str]:
    return list(
        Enrollment.objects.filter(pk__in=enrollment_ids)
        .order_by("unit__sort_order", "pk")
        .values_list("unit__name", flat=True)
    )


class _Counted(Paginator):
    """A paginator told its count instead of counting again."""

    def __init__(self, object_list: Any, count: int) -> None:
        super().__init__(object_list, PER_PAGE)
        self._known = count

    @cached_property
    def count(self) -> int:
        return self._known


def approval_rows(
    campaign: Campaign,
    *,
    summary: ApprovalSummary,
    sorting: Sorting,
    search: str = "",
    page: str | int | None = None,
) -> Page:
    """One page of the ranking: `UnitRow`s of the units with a consolidated review score
    (reviewed or approved: the only ones ranked, issue 14) matching `search` (part of the unit's
    name), in the order of `sorting` (one of `SORTS`). Three queries on the stored figures
    whatever the number of units."""
    search = search.strip()
    stored: QuerySet[UnitTotals] = stored_figures(campaign).filter(enrollment__state__in=REVIEWED)
    if search:
        stored = stored.filter(enrollment__unit__name__icontains=search)
    ordered = stored.order_by(*sorting.order_by)
    # Without a search the summary has counted the rows already.
    paginator = Paginator(ordered, PER_PAGE) if search else _Counted(ordered, summary.reviewed)
    return _rows_of(paginator.get_page(page))


def pending_rows(
    campaign: Campaign, *, summary: ApprovalSummary, search: str = "", page: str | int | None = None
) -> Page:
    """One page of the units listed apart: without a decided result (未开始, 填报中, 已提交,
    已退回, 未完成) or withdrawn (已退出), so neither scored nor ranked; in the committee's order
    of units, the withdrawn ones last."""
    search = search.strip()
    stored: QuerySet[UnitTotals] = stored_figures(campaign).exclude(enrollment__state__in=REVIEWED)
    if search:
        stored = stored.filter(enrollment__unit__name__icontains=search)
    ordered = stored.order_by(
        Case(When(enrollment__state=S.WITHDRAWN, then=Value(1)), default=Value(0)),
        "enrollment__unit__sort_order",
        "enrollment__unit__name",
        "enrollment_id",
    )
    waiting = summary.enrolled + summary.withdrawn - summary.reviewed
    paginator = Paginator(ordered, PER_PAGE) if search else _Counted(ordered, waiting)
    return _rows_of(paginator.get_page(page))


def _rows_of(shown: Page) -> Page:
    vetoes = vetoes_of([t.enrollment_id for t in shown.object_list])
    rows: list[Any] = [row_of(t, vetoes.get(t.enrollment_id, [])) for t in shown.object_list]
    shown.object_list = rows
    return shown
