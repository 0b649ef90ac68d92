"""三年一总评: combining the approved annual results of a three-year cycle (seed 001)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from mofan.campaigns.models import Campaign
from mofan.evaluations import results as res
from mofan.evaluations.models import UnitResult
from mofan.evaluations.scoring import max_points
from mofan.indicators.selectors import nodes_of
from mofan.organizations.models import Committee, Unit


@dataclass(frozen=True)
class CycleRow:
    unit: Unit
    annual: dict[int, tuple[Decimal | None, str]]
    score: Decimal | None
    grade: str


def cycle_campaigns(committee: Committee, start_year: int) -> list[Campaign]:
    """The cycle's campaigns: one a year (the latest created where a year has several)."""
    chosen: dict[int, Campaign] = {}
    for campaign in (
        Campaign.objects.filter(committee=committee, year__gte=start_year, year__lte=start_year + 2)
        .select_related("indicator_version__system")
        .order_by("year", "created_at")
    ):
        chosen[campaign.year] = campaign
    return [chosen[y] for y in sorted(chosen)]


def cycle_overall(
    committee: Committee, start_year: int, *, rule: Literal["mean", "grade_count"] = "grade_count"
) -> tuple[list[Campaign], list[CycleRow]]:
    """Each unit's annual results and its overall result over the cycle. Only approved
    (frozen) results count. "mean" needs every year on the same scale: it is graded against the
    largest maximum of the cycle's indicator systems."""
    campaigns = cycle_campaigns(committee, start_year)
    annual: dict[int, list[tuple[int, Decimal | None, str]]] = defaultdict(list)
    per_unit: dict[int, dict[int, tuple[Decimal | None, str]]] = defaultdict(dict)
    units: dict[int, Unit] = {}
    for result in UnitResult.objects.filter(
        enrollment__campaign__in=campaigns, frozen=True
    ).select_related("enrollment__unit", "enrollment__campaign"):
        unit = result.enrollment.unit
        year = result.enrollment.campaign.year
        units[unit.pk] = unit
        annual[year].append((unit.pk, result.composite, result.grade))
        per_unit[unit.pk][year] = (result.composite, result.grade)
    top = None
    if rule == "mean":
        maxima = [max_points(nodes_of(c.indicator_version)) for c in campaigns]
        known = [m for m in maxima if m is not None]
        top = max(known) if known else Decimal(100)
    combined: dict[int, Any] = (
        res.three_year_overall(annual, rule=rule, max_points=top) if annual else {}
    )
    rows = [
        CycleRow(
            unit=units[uid], annual=per_unit[uid], score=combined[uid][0], grade=combined[uid][1]
        )
        for uid in sorted(units, key=lambda u: (units[u].sort_order, u))
    ]
    return campaigns, rows
