"""Query counts (issue 6, part 1): the dashboard, its data, its unit table under every sort and
the unit view issue the same number of queries for 10 units as for 100 (and for a unit with
one earlier year as with three). On a mismatch the message lists the queries of both runs."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentState, Phase
from mofan.campaigns.services import campaign_create
from mofan.evaluations.models import ConsolidatedScore, UnitResult
from mofan.indicators.models import IndicatorNode
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from mofan.reports.dashboard_table import unit_sort_choices
from tests.evaluations.campaign_fixtures import SCORED, small_version
from tests.factories import CommitteeFactory, UnitFactory
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db

_tags = itertools.count(1)
STATES = list(EnrollmentState)


@dataclass
class Sized:
    campaign: Campaign
    enrollment: Enrollment  # the first unit's
    staff: Client
    unit_admin: Client


def build(units: int, earlier: int) -> Sized:
    tag = next(_tags)
    today = timezone.localdate()
    committee = CommitteeFactory(name=f"查询计数工委{tag}", code=f"dash-q{tag}")
    made = [
        UnitFactory(committee=committee, name=f"单位{tag}-{i:03d}", short_name=f"{tag}-{i}")
        for i in range(units)
    ]
    admin = persona("committee_admin", committee=committee)
    liaison = persona("unit_admin", unit_a=made[0])
    version = small_version(f"dash-queries-{tag}")
    campaign = campaign_create(
        committee=committee, name=f"{tag}号活动", year=2026, version=version, actor=actor_for(admin)
    )
    Phase.objects.bulk_create(
        Phase(campaign=campaign, key=f"p{k}", name=f"阶段{k}", ends_on=today, order=k)
        for k in range(3)
    )
    enrollments = list(Enrollment.objects.filter(campaign=campaign).order_by("unit__sort_order"))
    for i, enrollment in enumerate(enrollments):
        enrollment.state = STATES[i % len(STATES)] if i else EnrollmentState.APPROVED
    Enrollment.objects.bulk_update(enrollments, ["state"])
    UnitResult.objects.bulk_create(
        UnitResult(
            enrollment=e,
            campaign_id=e.campaign_id,
            self_total=Decimal(20 + i % 10),
            review_total=Decimal(18 + i % 10),
            composite=Decimal(18 + i % 10),
            type_scores={"1": str(12 + i % 8), "2": str(6 + i % 4)},
            grade=["优秀", "良好", "达标", "不达标"][i % 4],
            rank=i + 1,
            frozen=True,
        )
        for i, e in enumerate(enrollments)
        if e.state == EnrollmentState.APPROVED
    )
    nodes = {n.code: n for n in IndicatorNode.objects.filter(version=version)}
    ConsolidatedScore.objects.bulk_create(
        ConsolidatedScore(enrollment=enrollments[0], node=nodes[code], score=Decimal(7))
        for code in SCORED
    )
    ProblemItem.objects.bulk_create(
        ProblemItem(
            committee=committee,
            unit=e.unit,
            campaign=campaign,
            source=ProblemSource.COMMITTEE_CHECK,
            description=f"问题{k}",
            deadline=today + datetime.timedelta(days=k - 1),
            state=[ProblemState.OPEN, ProblemState.IN_PROGRESS, ProblemState.CLOSED][k],
        )
        for e in enrollments
        for k in range(3)
    )
    for year in range(2026 - earlier, 2026):
        old = Campaign.objects.create(
            committee=committee,
            name=f"{year}年度",
            year=year,
            indicator_version=version,
            status=CampaignStatus.CLOSED,
            results_published=True,
        )
        past = Enrollment.objects.create(campaign=old, unit=made[0], state=EnrollmentState.APPROVED)
        UnitResult.objects.create(
            enrollment=past,
            campaign_id=past.campaign_id,
            composite=Decimal(20),
            grade="达标",
            type_scores={"1": "14"},
        )
    Campaign.objects.filter(pk=campaign.pk).update(results_published=True)
    return Sized(
        campaign=campaign,
        enrollment=enrollments[0],
        staff=logged_in(admin),
        unit_admin=logged_in(liaison),
    )


def count(client: Client, url: str, **headers: str) -> tuple[int, list[str]]:
    assert client.get(url, **headers).status_code == 200, url  # warm up (session, caches)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def assert_same(label: str, small: tuple[int, list[str]], large: tuple[int, list[str]]) -> None:
    assert small[0] == large[0], (
        f"{label}: {small[0]} queries for the small campaign, {large[0]} for the large one\n"
        + "\n".join(small[1])
        + "\n----\n"
        + "\n".join(large[1])
    )


def _urls(sized: Sized) -> dict[str, str]:
    pk = sized.campaign.pk
    page = reverse("reports:dashboard", args=[pk])
    urls = {"page": page, "data": reverse("reports:dashboard_data", args=[pk])}
    for key, _label in unit_sort_choices():
        urls[f"sort {key}"] = f"{page}?sort={key}"
        urls[f"sort -{key}"] = f"{page}?sort=-{key}&page=2"
    return urls


def test_the_dashboard_does_not_grow_with_the_units():
    small, large = build(10, earlier=1), build(100, earlier=1)
    assert Enrollment.objects.filter(campaign=large.campaign).count() == 100
    small_urls, large_urls = _urls(small), _urls(large)
    for label in small_urls:
        assert_same(
            label, count(small.staff, small_urls[label]), count(large.staff, large_urls[label])
        )
    assert_same(
        "htmx table",
        count(small.staff, small_urls["sort -composite"], HTTP_HX_REQUEST="true"),
        count(large.staff, large_urls["sort -composite"], HTTP_HX_REQUEST="true"),
    )
    # 100 units page in two; the page shows 50 rows.
    page = large.staff.get(large_urls["sort composite"]).content.decode()
    assert page.count("data-unit=") == 50


@pytest.mark.parametrize("who", ["staff", "unit_admin"])
def test_the_unit_view_does_not_grow_with_units_or_years(who):
    small, large = build(10, earlier=1), build(100, earlier=3)
    for name in ("reports:unit_view", "reports:unit_data"):
        assert_same(
            f"{name} as {who}",
            count(getattr(small, who), reverse(name, args=[small.enrollment.pk])),
            count(getattr(large, who), reverse(name, args=[large.enrollment.pk])),
        )
