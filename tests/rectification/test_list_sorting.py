"""Column sorting of the re-review list (`?sort=` with `mofan.core.sorting`): the exact order of
the rows for each key and its reverse, the default for an unknown key, the sort kept by the
pager and the filters kept by the header links, the same query count at a larger size, and
scoping unchanged (another committee's and another unit's re-reviews, created first, never
appear whatever the sort).

Three re-reviews of one committee: the units' official order (sort_order) is B, A, C, unlike
their ids, so a unit sort cannot pass by accident."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment
from mofan.organizations.models import Committee, Unit
from mofan.rectification import views_rereview
from mofan.rectification.models import ReReview, ReReviewState
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, UnitFactory
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db
R = ReReviewState
URL = "rectification:rereview_list"
OTHER_UNIT = "外工委复核单位"
DAY = dt.date(2026, 3, 2)


def at(days: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(DAY.year, DAY.month, DAY.day, 12) + dt.timedelta(days))


@dataclass
class Scene:
    committee: Committee
    units: dict[str, Unit]
    campaigns: dict[int, Campaign]
    rr: dict[str, ReReview]
    users: dict[str, User]
    other: ReReview


def rereview(unit: Unit, campaign: Campaign, state: str, created: dt.datetime) -> ReReview:
    enrollment = Enrollment.objects.create(campaign=campaign, unit=unit)
    made = ReReview.objects.create(enrollment=enrollment, state=state, node_ids=[1])
    ReReview.objects.filter(pk=made.pk).update(created_at=created)
    return made


@pytest.fixture
def scene() -> Scene:
    version = small_version("sort-rr")
    # The leaking data first: another committee's re-review, newest of all, first unit in order.
    other_committee = CommitteeFactory(name="另一工委", code="sort-rr-other")
    other_unit = UnitFactory(committee=other_committee, name=OTHER_UNIT, sort_order=0)
    other_campaign = Campaign.objects.create(
        committee=other_committee,
        name="外工委活动",
        year=2020,
        indicator_version=version,
        status=CampaignStatus.ACTIVE,
    )
    other = rereview(other_unit, other_campaign, R.WAITING, at(5))
    committee = CommitteeFactory(name="排序工委", code="sort-rr")
    units = {
        "A": UnitFactory(committee=committee, name="甲单位", sort_order=20),
        "B": UnitFactory(committee=committee, name="乙单位", sort_order=10),
        "C": UnitFactory(committee=committee, name="丙单位", sort_order=30),
    }
    campaigns = {
        year: Campaign.objects.create(
            committee=committee,
            name=f"{year}年度创建",
            year=year,
            indicator_version=version,
            status=CampaignStatus.ACTIVE,
        )
        for year in (2024, 2025)
    }
    rr = {
        "r1": rereview(units["A"], campaigns[2025], R.OPEN, at(-3)),
        "r2": rereview(units["B"], campaigns[2024], R.APPROVED, at(-1)),
        "r3": rereview(units["C"], campaigns[2025], R.WAITING, at(-2)),
    }
    users = {
        "committee_admin": persona("committee_admin", committee=committee),
        "a_admin": persona("unit_admin", unit_a=units["A"]),
        "other_admin": persona("other_admin", other=other_committee),
    }
    return Scene(committee, units, campaigns, rr, users, other)


def listed(client, **params) -> list[int]:
    response = client.get(reverse(URL), params)
    assert response.status_code == 200
    return [r.pk for r in response.context["page"]]


def names(scene: Scene, *keys: str) -> list[int]:
    return [scene.rr[k].pk for k in keys]


EXPECTED = {
    # newest first
    None: ("r2", "r3", "r1"),
    "created": ("r1", "r3", "r2"),
    "-created": ("r2", "r3", "r1"),
    # B (10), A (20), C (30)
    "unit": ("r2", "r1", "r3"),
    "-unit": ("r3", "r1", "r2"),
    # 2024 first; within 2025 newest first (r3 before r1), reversed in -campaign
    "campaign": ("r2", "r3", "r1"),
    "-campaign": ("r1", "r3", "r2"),
    # the life cycle: waiting, open, submitted, approved, rejected
    "state": ("r3", "r1", "r2"),
    "-state": ("r2", "r1", "r3"),
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_sort_key_gives_its_exact_order(scene, key):
    client = logged_in(scene.users["committee_admin"])
    params = {"sort": key} if key else {}
    assert listed(client, **params) == names(scene, *EXPECTED[key])


@pytest.mark.parametrize("bad", ["bogus", "-bogus", "--unit", "pk", "enrollment__unit__name"])
def test_an_unknown_key_gives_the_default_order(scene, bad):
    client = logged_in(scene.users["committee_admin"])
    assert listed(client, sort=bad) == names(scene, *EXPECTED[None])
    response = client.get(reverse(URL), {"sort": bad})
    assert f"sort={bad}" not in response.content.decode()


def test_the_sorted_column_is_marked_and_the_links_keep_the_filters(scene):
    client = logged_in(scene.users["committee_admin"])
    campaign = scene.campaigns[2025].pk
    response = client.get(reverse(URL), {"campaign": campaign, "sort": "-unit", "page": "1"})
    body = response.content.decode()
    assert [r.pk for r in response.context["page"]] == names(scene, "r3", "r1")
    assert f'<th aria-sort="descending"><a href="?campaign={campaign}&amp;sort=unit"' in body
    assert f'href="?campaign={campaign}&amp;sort=state"' in body
    # the filter form carries the sort, so filtering again keeps it
    assert '<input type="hidden" name="sort" value="-unit">' in body


def test_filters_and_sort_combine(scene):
    client = logged_in(scene.users["committee_admin"])
    campaign = scene.campaigns[2025].pk
    assert listed(client, campaign=campaign, sort="created") == names(scene, "r1", "r3")
    assert listed(client, state=R.OPEN, sort="-unit") == names(scene, "r1")


def _next_link(body: str) -> str:
    match = re.search(r'href="(\?page=\d+[^"]*)">下一页', body)
    assert match, "no next-page link"
    return html.unescape(match.group(1))


@pytest.mark.parametrize("key", ["unit", "-state", "campaign"])
def test_paging_keeps_the_sort(scene, key, monkeypatch):
    monkeypatch.setattr(views_rereview, "PAGE_SIZE", 2)
    client = logged_in(scene.users["committee_admin"])
    first = client.get(reverse(URL), {"sort": key})
    nxt = _next_link(first.content.decode())
    assert f"sort={key}" in nxt
    second = client.get(reverse(URL) + nxt)
    rows = [r.pk for r in first.context["page"]] + [r.pk for r in second.context["page"]]
    assert rows == names(scene, *EXPECTED[key])


def test_scoping_is_unchanged_whatever_the_sort(scene):
    own = logged_in(scene.users["a_admin"])
    outsider = logged_in(scene.users["other_admin"])
    for key in EXPECTED:
        params = {"sort": key} if key else {}
        response = own.get(reverse(URL), params)
        assert [r.pk for r in response.context["page"]] == names(scene, "r1"), key
        body = response.content.decode()
        assert "乙单位" not in body and "丙单位" not in body and OTHER_UNIT not in body
        response = outsider.get(reverse(URL), params)
        assert [r.pk for r in response.context["page"]] == [scene.other.pk], key
        assert "甲单位" not in response.content.decode()
    admin = logged_in(scene.users["committee_admin"])
    for key in EXPECTED:
        response = admin.get(reverse(URL), {"sort": key} if key else {})
        assert scene.other.pk not in [r.pk for r in response.context["page"]]
        assert OTHER_UNIT not in response.content.decode()


def _count(client, params) -> tuple[int, list[str]]:
    assert client.get(reverse(URL), params).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(URL), params)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_a_sorted_page_takes_the_same_queries_at_a_larger_size(scene):
    client = logged_in(scene.users["committee_admin"])
    pages = [
        {"sort": "-unit"},
        {"sort": "state", "campaign": str(scene.campaigns[2025].pk)},
        {"sort": "campaign", "page": "2"},
    ]
    small = [_count(client, params) for params in pages]
    for n in range(60):
        unit = UnitFactory(committee=scene.committee, sort_order=n)
        rereview(unit, scene.campaigns[2024 + n % 2], R.values[n % 5], at(-n))
    assert ReReview.objects.filter(enrollment__unit__committee=scene.committee).count() == 63
    larger = [_count(client, params) for params in pages]
    for (n_small, q_small), (n_large, q_large) in zip(small, larger, strict=True):
        assert n_small == n_large, "\n".join(["small:", *q_small, "", "larger:", *q_large])
