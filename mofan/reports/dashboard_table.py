"""The dashboard's unit table: the campaign's units, one page at a time, sorted by any column
with a stable tiebreaker (the committee's order of its units, then the name, then the id);
empty values sort last either way.

A page costs what it shows, not what the campaign holds (issue 7): the paginator's count comes
from the enrollments' campaign index, the page's ids from a narrow ordering query, and only the
page's rows are read in full, each with its open and overdue problem items (of this campaign).
Sorting by a stored result column (self, review, composite, rank) walks the index of
`UnitResult` on (campaign, column): the page's first and last values are found at the page's
offset in that index, then only the units between them (and the units tied with them) are
sorted with the tiebreaker. Units without a value (no approved result) follow, in unit order.
Every page runs the same number of queries for a given sort, whatever the number of units.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any, overload

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations.models import UnitResult
from mofan.rectification.models import OPEN_STATES, ProblemItem
from mofan.rectification.selectors import overdue_q, problem_items_for
from mofan.reports.dashboard import sees_everything

STATE_ORDER = [state.value for state in EnrollmentState]
RESULT_COLUMNS = {  # sort key -> the stored `UnitResult` column, indexed with the campaign
    "self": "self_total",
    "review": "review_total",
    "composite": "composite",
    "rank": "rank",
}
SORT_COLUMNS: dict[str, Any] = {
    "unit": None,  # the committee's own order of its units (then the name)
    "state": F("state_rank"),
    "self": F("result__self_total"),
    "review": F("result__review_total"),
    "composite": F("result__composite"),
    "grade": F("grade_rank"),
    "rank": F("result__rank"),
    "open": F("open_items"),
    "overdue": F("overdue_items"),
}
DEFAULT_SORT = "unit"
TIEBREAK = ("unit__sort_order", "unit__name", "pk")


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """`composite` → ("composite", False), `-composite` → ("composite", True); unknown → unit."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in SORT_COLUMNS:
        return DEFAULT_SORT, False
    return key, descending


def unit_sort_choices() -> list[tuple[str, str]]:
    return [
        ("unit", _("单位")),
        ("state", _("状态")),
        ("self", _("自评得分")),
        ("review", _("评审得分")),
        ("composite", _("综合得分")),
        ("grade", _("等次")),
        ("rank", _("名次")),
        ("open", _("未销号问题")),
        ("overdue", _("逾期问题")),
    ]


def _count_of(items: QuerySet[ProblemItem]) -> Coalesce:
    counted = items.order_by().values("unit_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), Value(0), output_field=IntegerField())


class UnitRows:
    """The table's rows as a sequence for Django's paginator: `count()` and slices (a slice is
    one page: a list of enrollments with `unit` and `result` joined and `open_items`,
    `overdue_items` annotated). Empty for anyone but the campaign committee's staff."""

    def __init__(
        self, campaign: Campaign, actor: Actor, *, sort: str = DEFAULT_SORT, today: datetime.date
    ) -> None:
        self.campaign = campaign
        self.actor = actor
        self.key, self.descending = parse_sort(sort)
        self.today = today
        self.visible = sees_everything(actor, campaign)
        self._count: int | None = None

    # The campaign comes from the actor's scoped campaigns and `visible` says the actor is its
    # committee's staff, who see every enrollment of it (`evaluations.selectors`): the
    # campaign's own enrollments are then exactly the scoped ones, read by the campaign index.
    def _enrollments(self) -> QuerySet[Enrollment]:
        return Enrollment.objects.filter(campaign=self.campaign)

    def _results(self) -> QuerySet[UnitResult]:
        return UnitResult.objects.filter(campaign=self.campaign)

    def count(self) -> int:
        if self._count is None:
            self._count = self._enrollments().count() if self.visible else 0
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Enrollment]:
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> Enrollment: ...

    @overload
    def __getitem__(self, index: slice) -> list[Enrollment]: ...

    def __getitem__(self, index: int | slice) -> Enrollment | list[Enrollment]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        if index.step not in (None, 1):
            raise TypeError("UnitRows takes page slices")
        start = index.start or 0
        stop = self.count() if index.stop is None else index.stop
        if not self.visible or stop <= start:
            return []
        ids = self._page_ids(start, stop - start)
        rows = {row.pk: row for row in self._rows(ids)}
        return [rows[pk] for pk in ids if pk in rows]

    # --- the rows of a page ---------------------------------------------------------------

    def _items(self) -> QuerySet[ProblemItem]:
        return problem_items_for(self.actor).filter(
            campaign=self.campaign, unit_id=OuterRef("unit_id"), state__in=OPEN_STATES
        )

    def _annotations(self) -> dict[str, Any]:
        bands = [b["label"] for b in self.campaign.grade_bands]
        items = self._items()
        return {
            "state_rank": Case(
                *(When(state=s, then=Value(i)) for i, s in enumerate(STATE_ORDER)),
                default=Value(len(STATE_ORDER)),
                output_field=IntegerField(),
            ),
            "grade_rank": Case(
                *(When(result__grade=label, then=Value(i)) for i, label in enumerate(bands)),
                When(result__grade__gt="", then=Value(len(bands))),
                default=Value(None),
                output_field=IntegerField(),
            ),
            "open_items": _count_of(items),
            "overdue_items": _count_of(items.filter(overdue_q(self.today))),
        }

    def _order(self) -> list[Any]:
        column = SORT_COLUMNS[self.key]
        if column is None:
            return [f"-{f}" if self.descending else f for f in TIEBREAK]
        first = column.desc(nulls_last=True) if self.descending else column.asc(nulls_last=True)
        return [first, *TIEBREAK]

    def _rows(self, ids: list[int]) -> list[Enrollment]:
        """The page's rows in full: one query over the page's ids, then their open and overdue
        items counted in one grouped query over the page's units (not a correlated count per
        row, which SQLite answers by scanning the committee's open items once per row)."""
        annotations = self._annotations()
        del annotations["open_items"], annotations["overdue_items"]
        rows = list(
            self._enrollments()
            .filter(pk__in=ids)
            .select_related("unit", "result")
            .annotate(**annotations)
        )
        counted = {
            row["unit_id"]: row
            for row in problem_items_for(self.actor)
            .filter(
                campaign=self.campaign,
                unit_id__in=[r.unit_id for r in rows],
                state__in=OPEN_STATES,
            )
            .order_by()
            .values("unit_id")
            .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(self.today)))
        }
        for row in rows:
            found = counted.get(row.unit_id, {})
            row.open_items = found.get("open", 0)  # type: ignore[attr-defined]
            row.overdue_items = found.get("overdue", 0)  # type: ignore[attr-defined]
        return rows

    # --- the ids of a page ----------------------------------------------------------------

    def _page_ids(self, offset: int, limit: int) -> list[int]:
        if self.key in RESULT_COLUMNS:
            return self._indexed_ids(RESULT_COLUMNS[self.key], offset, limit)
        rows = self._enrollments()
        if self.key == "unit":
            # Its units are its committee's (`campaign_create` enrolls no other): saying so
            # lets the page be read off the units' (committee, sort order, name) index.
            rows = rows.filter(unit__committee_id=self.campaign.committee_id)
        column = SORT_COLUMNS[self.key]
        if column is not None:  # the one annotation the order needs, for every unit
            rows = rows.annotate(**{column.name: self._annotations()[column.name]})
        ordered = rows.order_by(*self._order()).values_list("pk", flat=True)
        return list(ordered[offset : offset + limit])

    def _indexed_ids(self, column: str, offset: int, limit: int) -> list[int]:
        """The page's ids when sorting by a stored result column, in four queries: the values
        at the page's offset in the (campaign, column) index; how many units come before the
        first of them (or, past the units with a value, how many have one); then the ids of
        the units between the first and last value, ties sorted by the tiebreaker, followed by
        the units without a value when the page reaches them."""
        direction = f"-{column}" if self.descending else column
        valued = self._results().filter(**{f"{column}__isnull": False})
        marks = list(
            valued.order_by(direction).values_list(column, flat=True)[offset : offset + limit]
        )
        empty = Q(result__isnull=True) | Q(**{f"result__{column}__isnull": True})
        if not marks:  # the page lies past every unit with a value
            skip = offset - valued.count()
            rows = self._enrollments().filter(empty)
        else:
            first, last = marks[0], marks[-1]
            beyond = "gt" if self.descending else "lt"
            skip = offset - valued.filter(**{f"{column}__{beyond}": first}).count()
            low, high = (last, first) if self.descending else (first, last)
            between = Q(result__campaign=self.campaign, **{f"result__{column}__range": (low, high)})
            rows = self._enrollments().filter(between | empty if len(marks) < limit else between)
        ordered = rows.order_by(*self._order()).values_list("pk", flat=True)
        return list(ordered[skip : skip + limit])


def unit_rows(
    campaign: Campaign, actor: Actor, *, sort: str = DEFAULT_SORT, today: datetime.date
) -> UnitRows:
    """The campaign's units for the dashboard table (see `UnitRows`)."""
    return UnitRows(campaign, actor, sort=sort, today=today)
