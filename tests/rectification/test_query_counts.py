"""Query counts: the committee's board, the unit's list, the item page and the home pages issue
the same number of queries at a small size (3 units, 5 items, 2 findings) and at a larger one
(30 units, 60 items, 25 findings): nothing is fetched row by row.

Each size is built in a savepoint that is rolled back afterwards; each page is requested once
to warm up and once under CaptureQueriesContext. On a mismatch the message lists both runs."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mofan.accounts.access import actor_for
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment
from mofan.evaluations.models import Assignment, Finding, ReviewGroup
from mofan.evidence.models import Evidence
from mofan.indicators.models import IndicatorNode
from mofan.rectification.models import ProblemSource
from mofan.rectification.services import problem_item_create, problem_item_transition
from tests.evaluations.campaign_fixtures import in_savepoint, small_version
from tests.factories import CommitteeFactory, UnitFactory
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db

SIZES = {"small": (3, 5, 2), "large": (30, 60, 25)}  # units, items, findings
PAST = datetime.date(2020, 1, 31)
FUTURE = datetime.date(2031, 1, 31)
STEPS = ((), ("submit_measures",), ("submit_measures", "accept_measures"))


def build(units: int, items: int, findings: int) -> dict[str, Any]:
    committee = CommitteeFactory(code="qc")
    made = [UnitFactory(committee=committee, name=f"单位{n:03d}") for n in range(units)]
    admin = persona("committee_admin", committee=committee)
    owner = persona("unit_admin", unit_a=made[0])
    reviewer = persona("reviewer", committee=committee)
    campaign = Campaign.objects.create(
        committee=committee,
        name="测试活动",
        year=2030,
        indicator_version=small_version(f"qc-{units}"),
        status=CampaignStatus.ACTIVE,
    )
    node = IndicatorNode.objects.get(version=campaign.indicator_version, code="1.2")
    group = ReviewGroup.objects.create(campaign=campaign, name="组", leader=reviewer)
    assignments = [
        Assignment.objects.create(
            group=group, enrollment=Enrollment.objects.create(campaign=campaign, unit=unit)
        )
        for unit in made
    ]
    for n in range(findings):
        Finding.objects.create(
            assignment=assignments[n % units],
            node=node if n % 2 else None,
            text=f"发现{n}",
            is_problem=True,
            created_by=reviewer,
        )
    admin_actor, owner_actor = actor_for(admin), actor_for(owner)
    created = []
    for n in range(items):
        # half of them on the owner's unit, so that its own list grows as well
        unit = made[0] if n % 2 else made[n % units]
        item = problem_item_create(
            unit=unit,
            source=ProblemSource.COMMITTEE_CHECK,
            description=f"问题{n}",
            deadline=PAST if n % 3 else FUTURE,
            actor=admin_actor,
            campaign=campaign if n % 2 else None,
            node=node if n % 4 == 1 else None,
        )
        created.append(item)
    # the owner's detail page: an item in progress with many files and events
    target = next(i for i in created if i.unit_id == made[0].pk)
    for action in ("submit_measures", "return_measures", "submit_measures", "accept_measures"):
        who = owner_actor if action == "submit_measures" else admin_actor
        target = problem_item_transition(
            item=target, action=action, actor=who, measures="措施", reason="理由"
        )
    files = [
        Evidence.objects.create(
            unit=made[0],
            sha256=f"{n:064d}",
            original_name=f"文件{n}.pdf",
            stored_name=f"evidence/qc/{units}-{n}.pdf",
            kind="pdf",
            size=10,
            uploaded_by=owner,
        )
        for n in range(max(2, items // 6))
    ]
    target.evidence.set(files)
    return {"admin": admin, "owner": owner, "campaign": campaign, "item": target}


def count_queries(world: dict[str, Any]) -> dict[str, tuple[int, list[str]]]:
    admin, owner = logged_in(world["admin"]), logged_in(world["owner"])
    campaign = world["campaign"]
    pages: dict[str, tuple[Client, str, dict[str, str], dict[str, str]]] = {
        "board": (admin, reverse("rectification:item_board"), {}, {}),
        "board filtered (htmx)": (
            admin,
            reverse("rectification:item_board"),
            {"state": "unclosed", "campaign": str(campaign.pk), "sort": "state", "q": "问题"},
            {"HTTP_HX_REQUEST": "true"},
        ),
        "board overdue page 2": (
            admin,
            reverse("rectification:item_board"),
            {"overdue": "on", "sort": "unit", "page": "2"},
            {},
        ),
        "unit list": (owner, reverse("rectification:unit_items"), {}, {}),
        "unit list filtered (htmx)": (
            owner,
            reverse("rectification:unit_items"),
            {"state": "open", "sort": "age", "campaign": str(campaign.pk)},
            {"HTTP_HX_REQUEST": "true"},
        ),
        "item page (unit)": (
            owner,
            reverse("rectification:item_detail", args=[world["item"].pk]),
            {},
            {},
        ),
        "item page (committee)": (
            admin,
            reverse("rectification:item_detail", args=[world["item"].pk]),
            {},
            {},
        ),
        "home (unit)": (owner, reverse("home:home"), {}, {}),
        "home (committee)": (admin, reverse("home:home"), {}, {}),
    }
    counts = {}
    for name, (client, url, params, headers) in pages.items():
        assert client.get(url, params, **headers).status_code == 200, name
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params, **headers)
        assert response.status_code == 200, name
        counts[name] = (len(captured), [q["sql"] for q in captured.captured_queries])
    return counts


def measure(size: str) -> dict[str, tuple[int, list[str]]]:
    return in_savepoint(lambda: count_queries(build(*SIZES[size])))


def test_the_pages_query_counts_do_not_grow_with_the_rows():
    small, large = measure("small"), measure("large")
    mismatches = []
    for name, (count, queries) in small.items():
        other, other_queries = large[name]
        if count != other:
            mismatches.append(
                f"{name}: {count} vs {other}\n--- small:\n"
                + "\n".join(queries)
                + "\n--- large:\n"
                + "\n".join(other_queries)
            )
    assert not mismatches, "\n\n".join(mismatches)


def test_the_larger_size_really_is_larger():
    """The comparison above means something only if the pages show more rows at the larger
    size (and page the board)."""

    def look(world: dict[str, Any]) -> tuple[int, int, int]:
        client = logged_in(world["admin"])
        response = client.get(reverse("rectification:item_board"))
        owner = logged_in(world["owner"]).get(reverse("rectification:unit_items"))
        return (
            len(response.context["page"].object_list),
            len(response.context["findings"].object_list),
            len(owner.context["page"].object_list),
        )

    def check(size: str) -> tuple[int, int, int]:
        return in_savepoint(lambda: look(build(*SIZES[size])))

    assert check("small") == (5, 2, 3)
    assert check("large") == (50, 20, 32)
