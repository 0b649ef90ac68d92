"""Reads of problem-list items, scoped to what the actor may see.

Committee staff (admin, leader) see every item of their committee; a unit's admin and leader see
their own unit's items; everybody else sees none. A unit never sees another unit's items.

Lists page at province scale: every list here is one queryset with its related rows joined, and
the counts are one aggregate each, so the number of queries does not grow with the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from mofan.accounts.access import Actor, staff_or_unit_readable
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.campaigns.models import Campaign
from mofan.evaluations.models import Finding
from mofan.organizations.models import Unit
from mofan.rectification.models import OPEN_STATES, ProblemItem, ProblemState, ReReview

FINDING_ORIGIN = "evaluations.finding"

SORTS: dict[str, tuple[str, ...]] = {
    "deadline": ("deadline", "pk"),
    "-deadline": ("-deadline", "-pk"),
    "age": ("created_at", "pk"),
    "newest": ("-created_at", "-pk"),
    "unit": ("unit__sort_order", "unit_id", "deadline", "pk"),
    "state": ("state_rank", "deadline", "pk"),
}
STATE_ORDER = [state.value for state in ProblemState]


def listable_units(actor: Actor) -> QuerySet[Unit]:
    """The units the committee admin may put a problem item on: its committees' units on roll."""
    return Unit.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN), is_active=True
    ).order_by("sort_order", "pk")


def problem_items_for(actor: Actor) -> QuerySet[ProblemItem]:
    return staff_or_unit_readable(ProblemItem, actor)


def board_items(actor: Actor) -> QuerySet[ProblemItem]:
    """The committee's board: every item of the committees the actor is staff of."""
    return problem_items_for(actor).filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))


def unit_items(actor: Actor, unit_id: int) -> QuerySet[ProblemItem]:
    """One of the actor's own units' items (none for a unit that is not the actor's)."""
    if unit_id not in actor.units_with(*UNIT_READERS):
        return ProblemItem.objects.none()
    return problem_items_for(actor).filter(unit_id=unit_id)


def overdue_q(today: date) -> Q:
    return Q(deadline__lt=today, state__in=OPEN_STATES)


@dataclass(frozen=True)
class ItemFilters:
    state: str = ""
    q: str = ""
    source: str = ""
    severity: str = ""
    campaign: Campaign | None = None
    overdue: bool = False
    sort: str = "deadline"


def filter_items(
    items: QuerySet[ProblemItem], filters: ItemFilters, *, today: date
) -> QuerySet[ProblemItem]:
    """The filtered, sorted list with everything a row shows joined in."""
    if filters.state == "unclosed":
        items = items.filter(state__in=OPEN_STATES)
    elif filters.state:
        items = items.filter(state=filters.state)
    if filters.q:
        items = items.filter(
            Q(unit__name__icontains=filters.q)
            | Q(unit__short_name__icontains=filters.q)
            | Q(description__icontains=filters.q)
        )
    if filters.source:
        items = items.filter(source=filters.source)
    if filters.severity:
        items = items.filter(severity=filters.severity)
    if filters.campaign is not None:
        items = items.filter(campaign=filters.campaign)
    if filters.overdue:
        items = items.filter(overdue_q(today))
    order = SORTS.get(filters.sort, SORTS["deadline"])
    if filters.sort == "state":
        items = items.annotate(
            state_rank=Case(
                *(When(state=s, then=Value(i)) for i, s in enumerate(STATE_ORDER)),
                output_field=IntegerField(),
            )
        )
    return items.select_related("unit", "campaign", "node").order_by(*order)


def state_counts(items: QuerySet[ProblemItem], *, today: date) -> dict[str, Any]:
    """Counts by state, open and overdue, in one query."""
    figures = items.aggregate(
        total=Count("pk"),
        unclosed=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=overdue_q(today)),
        **{state: Count("pk", filter=Q(state=state)) for state in STATE_ORDER},
    )
    figures["by_state"] = [
        (state.value, state.label, figures[state.value]) for state in ProblemState
    ]
    return figures


def units_most_overdue(items: QuerySet[ProblemItem], *, today: date, limit: int = 10) -> list[Any]:
    """The units with the most overdue items (then the most open ones), in one query."""
    rows = (
        items.filter(state__in=OPEN_STATES)
        .values("unit_id", "unit__name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=today)))
        .filter(overdue__gt=0)
        .order_by("-overdue", "-open", "unit__name")[:limit]
    )
    return list(rows)


def findings_to_list(actor: Actor) -> QuerySet[Finding]:
    """Reviewers' findings marked 列为问题 in the actor's committees (as admin) that are on no
    problem list yet."""
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not committees:
        return Finding.objects.none()
    listed = ProblemItem.objects.filter(origin_type=FINDING_ORIGIN, origin_id__isnull=False)
    return (
        Finding.objects.filter(
            is_problem=True, assignment__enrollment__campaign__committee_id__in=committees
        )
        .exclude(pk__in=listed.values("origin_id"))
        .select_related(
            "assignment__enrollment__unit", "assignment__enrollment__campaign", "node", "created_by"
        )
        .order_by("created_at", "pk")
    )


def open_items_of_units(actor: Actor, *, today: date, shown: int = 10) -> dict[int, Any]:
    """For the home page: for each of the actor's own units (admin, leader), how many items are
    open and overdue, and the first open ones by deadline (overdue ones marked `is_overdue`).
    Two queries whatever the number of units and items."""
    units = actor.units_with(*UNIT_READERS)
    result: dict[int, Any] = {pk: {"first": [], "open": 0, "overdue": 0} for pk in units}
    if not units:
        return result
    open_items = problem_items_for(actor).filter(unit_id__in=units, state__in=OPEN_STATES)
    counts = (
        open_items.order_by()
        .values("unit_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=today)))
    )
    for row in counts:
        result[row["unit_id"]].update(open=row["open"], overdue=row["overdue"])
    first = open_items.only("id", "unit_id", "description", "deadline", "state").order_by(
        "deadline", "pk"
    )[: shown * len(units)]
    for item in first:
        item.is_overdue = item.deadline < today  # type: ignore[attr-defined]
        if len(result[item.unit_id]["first"]) < shown:
            result[item.unit_id]["first"].append(item)
    return result


def committee_item_counts(actor: Actor, *, today: date) -> dict[str, int]:
    """For the home page: open and overdue items of the actor's committees, in one query."""
    return board_items(actor).aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=overdue_q(today)),
        reported=Count("pk", filter=Q(state=ProblemState.REPORTED_DONE)),
        measures=Count("pk", filter=Q(state=ProblemState.MEASURES_SUBMITTED)),
    )


def rereview_trace(enrollment: Any, nodes_by_id: dict[int, Any]) -> list[dict[str, Any]]:
    """The unit's re-reviews for the score trace (`evaluations.trace`): per re-review, the
    original and re-reviewed value of each re-scored leaf. The trace view has already fetched
    `enrollment` through a scoped selector."""
    return [
        {
            "rereview": rereview,
            "nodes": [
                {
                    "node": nodes_by_id[node_id],
                    "original": rereview.before.get("nodes", {}).get(str(node_id), "—"),
                    "rereviewed": rereview.after.get("nodes", {}).get(str(node_id), "—"),
                }
                for node_id in rereview.node_ids
                if node_id in nodes_by_id
            ],
        }
        for rereview in ReReview.objects.filter(enrollment=enrollment)
        .select_related("decided_by")
        .order_by("pk")
    ]
