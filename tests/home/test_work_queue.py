"""The work queue at the top of every home page (issue 14 point 5): per persona, what that person
must do, by when, most urgent first, with counts and links; nothing of other units or other
committees; the same number of queries whatever the number of units.

The world is the standard campaign world (tests/evaluations/campaign_fixtures.py): A and B
submitted and assigned (group 1: `leader` and `assigned` for A; group 2: `unassigned` for B),
C not started. Here the submission deadline is in 3 days and the review deadline (phase
"考评验收") in 10."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentState, Phase
from mofan.evaluations.models import ApprovalBatch, Finding, ReviewSubmission
from mofan.rectification.models import ProblemItem, ReReview, ReReviewScore
from mofan.supervision.models import Escalation, LedgerItem, SpotCheckDraw
from tests.evaluations.campaign_fixtures import (
    World,
    build_world,
    in_savepoint,
    world,
)
from tests.factories import PartyOrgFactory, UnitFactory, make_user
from tests.notifications.helpers import problem
from tests.world import logged_in

S = EnrollmentState
pytestmark = pytest.mark.django_db
__all__ = ["world"]


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def dated(world: World) -> World:
    campaign = world.campaign
    campaign.submission_deadline = timezone.make_aware(
        datetime.datetime.combine(days(3), datetime.time(23, 59, 59))
    )
    campaign.save(update_fields=["submission_deadline"])
    Phase.objects.create(campaign=campaign, key="accept", name="考评验收", ends_on=days(10))
    return world


def ledger(world: World, unit: Any, deadline: datetime.date, **kw: Any) -> LedgerItem:
    return LedgerItem.objects.create(
        committee=world.committee,
        unit=unit,
        task="落实第一议题制度",
        leader_in_charge="王副书记",
        deadline=deadline,
        created_by=world.user("committee_admin"),
        **kw,
    )


def queue(user: Any) -> list[tuple[str, int, datetime.date | None, str]]:
    response = logged_in(user).get(reverse("home:home"))
    assert response.status_code == 200
    return [
        (line.item.label, line.item.count, line.item.due, line.item.url)
        for line in response.context["queue"]
    ]


def labels(user: Any) -> list[str]:
    return [label for label, *_rest in queue(user)]


def test_the_committee_admin_sees_the_campaign_work_most_urgent_first(dated):
    world = dated
    Campaign.objects.create(
        committee=world.committee,
        name="明年的活动",
        year=2032,
        indicator_version=world.version,
        status=CampaignStatus.DRAFT,
    )
    PartyOrgFactory(unit=world.unit_b, election_due_on=days(40))
    done = problem(world.unit_a, days(20))
    ProblemItem.objects.filter(pk=done.pk).update(state="reported_done")
    ledger(world, world.unit_b, days(-5), escalation=Escalation.INTERVIEW)

    detail = reverse("campaigns:detail", args=[world.campaign.pk])
    assert queue(world.user("committee_admin")) == [
        # dated first, by date; then the undated, in the apps' order (evaluations, rectification)
        (
            "约谈督办事项逾期的单位",
            1,
            days(-5),
            reverse("supervision:ledger_board") + "?escalation=3",
        ),
        ("督促单位提交自评", 1, days(3), detail),  # unit C
        ("督促党组织按期换届", 1, days(40), reverse("organizations:elections")),
        (
            "启动创建活动",
            1,
            None,
            reverse("campaigns:detail", args=[Campaign.objects.get(name="明年的活动").pk]),
        ),
        ("验收整改销号", 1, None, reverse("rectification:item_board") + "?state=reported_done"),
    ]
    # the other committee's admin sees only their own campaign's unit
    assert queue(world.user("other_admin")) == [
        ("督促单位提交自评", 1, None, reverse("campaigns:detail", args=[world.other_campaign.pk]))
    ]


def test_the_committee_admin_assigns_prepares_and_publishes(dated):
    world = dated
    Enrollment.objects.filter(pk=world.ec.pk).update(state=S.SUBMITTED)  # C: submitted, no group
    Enrollment.objects.filter(pk=world.eb.pk).update(state=S.REVIEWED)
    items = {
        label: (count, due, url) for label, count, due, url in queue(world.user("committee_admin"))
    }
    assert items["为已提交自评的单位分配评审组"] == (
        1,
        days(10),
        reverse("reviews:groups", args=[world.campaign.pk]),
    )
    assert items["准备综合审定，报领导签批"][0] == 1
    assert "督促单位提交自评" not in items

    ApprovalBatch.objects.create(
        campaign=world.campaign, enrollments=[world.eb.pk], prepared_at=timezone.now()
    )
    assert "准备综合审定，报领导签批" not in labels(world.user("committee_admin"))
    assert queue(world.user("committee_leader")) == [
        ("签批综合审定", 1, None, reverse("reviews:approval", args=[world.campaign.pk]))
    ]

    Enrollment.objects.filter(campaign=world.campaign).update(state=S.APPROVED)
    ApprovalBatch.objects.update(state="signed")
    assert labels(world.user("committee_admin")) == ["公布考评结果"]
    assert queue(world.user("committee_leader")) == []


def test_reviewers_see_their_own_units_to_score_and_the_leader_what_to_consolidate(dated):
    world = dated
    mine = reverse("reviews:mine")
    for name in ("leader", "assigned", "unassigned"):
        assert queue(world.user(name)) == [("评审打分", 1, days(10), mine)], name

    for name in ("leader", "assigned"):
        ReviewSubmission.objects.create(assignment=world.assignment_a, reviewer=world.user(name))
    assert queue(world.user("assigned")) == []
    assert queue(world.user("leader")) == [("汇总评审意见", 1, days(10), mine)]
    assert queue(world.user("unassigned")) == [("评审打分", 1, days(10), mine)]


def test_the_unit_sees_its_own_work_most_urgent_first(dated):
    world = dated
    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.RETURNED)
    problem(world.unit_a, days(-2))  # overdue
    problem(world.unit_b, days(-9))  # the other unit's: never shown to unit A
    org = PartyOrgFactory(unit=world.unit_a, election_due_on=days(40))
    ledger(world, world.unit_a, days(5))
    ledger(world, world.unit_b, days(-1))  # the other unit's
    PartyOrgFactory(unit=world.unit_b, election_due_on=days(1))

    enrollment = reverse("campaigns:enrollment", args=[world.ea.pk])
    owner_queue = queue(world.user("owner"))
    assert owner_queue == [
        ("报送整改措施", 1, days(-2), reverse("rectification:unit_items")),
        ("按退回意见修改自评", 1, days(3), enrollment),
        ("推进督办事项并报告进展", 1, days(5), reverse("supervision:ledger_unit")),
        (
            "组织党组织换届选举",
            1,
            days(40),
            reverse("organizations:party_org_detail", args=[org.pk]),
        ),
    ]
    # the leader submits, the admin revises: a returned self-evaluation is the admin's work
    assert [label for label, *_ in queue(world.user("colleague"))] == [
        "报送整改措施",
        "推进督办事项并报告进展",
        "组织党组织换届选举",
    ]
    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.IN_PROGRESS)
    assert ("审核并提交自评", 1, days(3), enrollment) in queue(world.user("colleague"))

    member = make_user(Role.MEMBER, unit=world.unit_a)
    response = logged_in(member).get(reverse("home:home"))
    assert response.context["queue"] == []
    assert "当前没有待办事项" in response.content.decode()


def test_the_queue_is_the_first_thing_on_the_page(dated):
    world = dated
    body = logged_in(world.user("committee_admin")).get(reverse("home:home")).content.decode()
    main = body[body.index("<main") :]
    assert main.index("我的待办") < main.index("工委概况")
    assert main.index("督促单位提交自评") < main.index("工委概况")


# The lines whose counts must grow with the units (not query counts: read apart).
GROWING = {
    "committee_admin": ("审定复核结果", "将评审发现的问题列入问题清单"),
    "leader": ("复核评分", "提交复核结果", "实地抽查"),
    "assigned": ("复核评分", "实地抽查"),
}


def count_home_queries(units: int) -> dict[str, int]:
    """The home page's queries for each persona with `units` more units in the campaign, each
    with an admin, a submitted enrollment, an assignment to group 1, an open problem item, an
    escalated ledger item, a party organisation due for election, a finding marked 列为问题, an
    open re-review (half of them fully scored), a submitted one, and a spot-check draw of the
    unit naming group 1's reviewers as inspectors."""

    def work() -> dict[str, int]:
        world = build_world()
        owner = world.user("owner")
        inspectors = sorted([world.user("leader").pk, world.user("assigned").pk])
        nodes = [world.node("1.1"), world.node("1.2")]
        extra = [UnitFactory(committee=world.committee) for _ in range(units)]
        for i, unit in enumerate(extra):
            make_user(Role.UNIT_ADMIN, unit=unit)
            problem(unit, days(5))
            PartyOrgFactory(unit=unit, election_due_on=days(30))
            ledger(world, unit, days(9), escalation=Escalation.INTERVIEW)
            enrollment = Enrollment.objects.create(
                campaign=world.campaign, unit=unit, state=S.SUBMITTED
            )
            assignment = world.group1.assignments.create(enrollment=enrollment)
            # the owner also administers every extra unit (a liaison of several units)
            RoleAssignment.objects.create(
                user=owner, role=Role.UNIT_ADMIN, committee=world.committee, unit=unit
            )
            Finding.objects.create(
                assignment=assignment, text="台账不全", is_problem=True, created_by=owner
            )
            node_ids = [n.pk for n in nodes]
            opened = ReReview.objects.create(enrollment=enrollment, node_ids=node_ids, state="open")
            for node in nodes[: 2 if i % 2 else 1]:
                ReReviewScore.objects.create(
                    rereview=opened, node=node, score=8, scored_by=world.user("assigned")
                )
            ReReview.objects.create(
                enrollment=enrollment, node_ids=node_ids, state="submitted", round=2
            )
            SpotCheckDraw.objects.create(
                committee=world.committee,
                campaign=world.campaign,
                seed=str(i),
                inputs={"mode": "announced"},
                result={"units": [unit.pk], "inspectors": inspectors},
            )
        counts = {}
        for name in ("committee_admin", "committee_leader", "leader", "assigned", "owner"):
            client = logged_in(world.user(name))
            client.get(reverse("home:home"))
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse("home:home"))
            assert response.status_code == 200
            counts[name] = len(captured)
            lines = response.context["queue"]
            if name == "owner":  # the larger size really shows more: one line per unit
                counts["owner's lines (not a query count)"] = -len(lines)
            for label in GROWING.get(name, ()):
                shown = [line.item.count for line in lines if line.item.label == label]
                counts[f"{name}: {label} (not a query count)"] = sum(shown)
        return counts

    return in_savepoint(work)


def test_the_home_pages_query_counts_do_not_grow_with_the_units():
    small, large = count_home_queries(2), count_home_queries(12)
    lines = "owner's lines (not a query count)"
    assert small.pop(lines) > large.pop(lines)  # more units, more lines in the owner's queue
    for name, labels in GROWING.items():  # and more re-reviews, findings and draws counted
        for label in labels:
            key = f"{name}: {label} (not a query count)"
            assert 0 < small.pop(key) < large.pop(key), key
    assert small == large
