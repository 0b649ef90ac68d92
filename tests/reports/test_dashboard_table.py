"""The dashboard's unit table read page by page (issue 7): for every sort and direction, the pages
laid end to end are exactly the whole ordering — ties in the sorted column broken by the unit's
order, then name, then id; units without a value (no result yet, or an empty column) last —
whatever the page size, including pages that start inside a run of tied values and the page
where the units with a value end. The reference ordering is computed here in Python."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.campaigns.models import Campaign, Enrollment
from mofan.campaigns.services import campaign_create
from mofan.evaluations.models import UnitResult
from mofan.organizations.models import Unit
from mofan.reports import dashboard_table as table
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, UnitFactory
from tests.world import persona

pytestmark = pytest.mark.django_db

COMPOSITES = ["20", "18", "20", None, "25", "20", "18", "30", "20", "19", None, "20", "25"]


def _campaign() -> tuple[Campaign, Any]:
    committee = CommitteeFactory(name="分页工委", code="dash-pages")
    # sort orders with ties (broken by name), names out of creation order
    for i in range(len(COMPOSITES) + 3):
        UnitFactory(committee=committee, name=f"单位{(7 * i) % 17:02d}", sort_order=i // 3)
    admin = persona("committee_admin", committee=committee)
    campaign = campaign_create(
        committee=committee,
        name="分页",
        year=2026,
        version=small_version("dash-pages"),
        actor=actor_for(admin),
    )
    enrollments = list(Enrollment.objects.filter(campaign=campaign).order_by("pk"))
    UnitResult.objects.bulk_create(
        UnitResult(
            enrollment=e,
            campaign=campaign,
            composite=Decimal(c) if c is not None else None,
            self_total=Decimal(c) + i % 2 if c is not None else None,
            review_total=Decimal(c) if c is not None else None,
            rank=(i % 5) + 1 if c is not None else None,
            grade="良好" if c is not None else "",
        )
        for i, (e, c) in enumerate(zip(enrollments, COMPOSITES, strict=False))
    )  # the last three units have no result at all
    return campaign, actor_for(admin)


def _reference(campaign: Campaign, key: str, descending: bool) -> list[int]:
    rows = list(Enrollment.objects.filter(campaign=campaign).select_related("unit"))
    results = {r.enrollment_id: r for r in UnitResult.objects.filter(campaign=campaign)}
    units = {u.pk: u for u in Unit.objects.filter(committee=campaign.committee)}

    def unit_key(e: Enrollment) -> tuple[Any, ...]:
        unit = units[e.unit_id]
        return (unit.sort_order, unit.name, e.pk)

    if key == "unit":
        return [e.pk for e in sorted(rows, key=unit_key, reverse=descending)]
    column = table.RESULT_COLUMNS[key]

    def value(e: Enrollment) -> Any:
        result = results.get(e.pk)
        return getattr(result, column) if result is not None else None

    valued = [e for e in rows if value(e) is not None]
    empty = [e for e in rows if value(e) is None]
    valued.sort(key=unit_key)
    valued.sort(key=value, reverse=descending)  # stable: ties keep the unit order
    return [e.pk for e in valued] + [e.pk for e in sorted(empty, key=unit_key)]


@pytest.mark.parametrize("size", [1, 3, 4, 7, 50])
def test_pages_laid_end_to_end_are_the_whole_ordering(size):
    campaign, actor = _campaign()
    today = timezone.localdate()
    for key in ("unit", *table.RESULT_COLUMNS):
        for descending in (False, True):
            rows = table.unit_rows(
                campaign, actor, sort=f"-{key}" if descending else key, today=today
            )
            total = rows.count()
            assert total == len(COMPOSITES) + 3
            paged = [e.pk for start in range(0, total, size) for e in rows[start : start + size]]
            expected = _reference(campaign, key, descending)
            assert paged == expected, (key, descending, size)


def test_every_other_sort_pages_the_same_rows_as_the_whole_list():
    campaign, actor = _campaign()
    today = timezone.localdate()
    for key in ("state", "grade", "open", "overdue"):
        for sort in (key, f"-{key}"):
            rows = table.unit_rows(campaign, actor, sort=sort, today=today)
            whole = [e.pk for e in rows]
            assert len(whole) == rows.count() == len(set(whole))
            assert [e.pk for s in range(0, len(whole), 4) for e in rows[s : s + 4]] == whole
