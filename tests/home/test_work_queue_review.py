"""The work queue's lines for re-reviews (复核), review findings waiting to be listed and random
spot checks (issue 14 point 5): each shown to the person who must act, never to a colleague of
the same role who is not involved, nor to anybody of another unit or committee. The data that
could leak is written first; then each persona's queue is read.

The world is the standard campaign world (tests/evaluations/campaign_fixtures.py): unit A is
assigned to group 1 (leader `leader`, member `assigned`), unit B to group 2 (`unassigned` alone);
another committee runs its own campaign, its unit reviewed by its own reviewer (外评审)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.evaluations.models import Assignment, Finding
from mofan.rectification import services
from mofan.rectification.models import ReReview, ReReviewScore, ReReviewState
from mofan.rectification.rereview import rereviews_for
from mofan.rectification.selectors import findings_to_list
from mofan.supervision.models import SpotCheckDraw, SpotCheckVisit, VisitMode
from mofan.supervision.selectors_spotcheck import draws_inspected_by, visits_due_of_inspector
from tests.evaluations.campaign_fixtures import World, world
from tests.factories import MemberFactory
from tests.home.test_work_queue import queue

R = ReReviewState
pytestmark = pytest.mark.django_db
__all__ = ["world"]

REVIEW_LABELS = ("复核评分", "提交复核结果", "审定复核结果", "将评审发现的问题列入问题清单")
PERSONAS = (
    "owner",
    "colleague",
    "outsider",
    "assigned",
    "leader",
    "unassigned",
    "committee_admin",
    "committee_leader",
    "other_admin",
)


def lines(user: Any, labels: tuple[str, ...] = REVIEW_LABELS) -> list[tuple[Any, ...]]:
    """The user's queue lines with one of `labels` (the other apps' lines are tested elsewhere)."""
    return [line for line in queue(user) if line[0] in labels]


def everyone_users(world: World) -> dict[str, User]:
    users = {name: world.user(name) for name in PERSONAS}
    users["other_reviewer"] = User.objects.get(full_name="外评审")
    return users


def everyone(world: World, labels: tuple[str, ...] = REVIEW_LABELS) -> dict[str, list[Any]]:
    return {name: lines(user, labels) for name, user in everyone_users(world).items()}


def rereview(enrollment: Any, state: str = R.OPEN, codes: tuple[str, ...] = ("1.1", "1.2")) -> Any:
    version = enrollment.campaign.indicator_version
    nodes = [version.nodes.get(code=code).pk for code in codes]
    return ReReview.objects.create(enrollment=enrollment, state=state, node_ids=nodes)


def score(item: ReReview, world: World, code: str, by: str = "assigned") -> None:
    ReReviewScore.objects.create(
        rereview=item,
        node=world.node(code, item.enrollment.campaign.indicator_version),
        input={"value": "8"},
        score=8,
        scored_by=world.user(by),
    )


def detail(item: ReReview) -> str:
    return reverse("rectification:rereview_detail", args=[item.pk])


def test_the_group_scores_an_open_rereview_and_its_leader_submits_it(world):
    mine = rereview(world.ea)  # group 1: `leader` and `assigned`
    rereview(world.eb, R.WAITING)  # group 2's unit: still rectifying, nothing to score yet
    theirs = rereview(world.ex)  # the other committee's, for its own reviewer

    found = everyone(world)
    scoring = ("复核评分", 1, None, detail(mine))
    assert found.pop("assigned") == [scoring]
    assert found.pop("leader") == [scoring]
    assert found.pop("other_reviewer") == [("复核评分", 1, None, detail(theirs))]
    # the reviewer of the same committee outside the group, the unit itself (which may read the
    # re-review), the committee and the other committee: nothing to score
    assert found == {name: [] for name in found}

    score(mine, world, "1.1")
    assert lines(world.user("assigned")) == [scoring]  # one indicator is still unscored
    score(mine, world, "1.2", by="leader")
    assert lines(world.user("assigned")) == []
    assert lines(world.user("leader")) == [("提交复核结果", 1, None, detail(mine))]
    assert lines(world.user("unassigned")) == []

    ReReview.objects.filter(pk=mine.pk).update(state=R.SUBMITTED)
    found = everyone(world)
    assert found.pop("committee_admin") == [("审定复核结果", 1, None, detail(mine))]
    assert found.pop("other_reviewer") == [("复核评分", 1, None, detail(theirs))]
    # the committee's leader does not decide; the group is done; the other committee's admin
    # sees nothing of this committee
    assert found == {name: [] for name in found}

    ReReview.objects.filter(pk=mine.pk).update(state=R.APPROVED)
    assert lines(world.user("committee_admin")) == []


def test_several_rereviews_link_to_the_list_and_a_unit_of_ones_own_is_never_rescored(world):
    Assignment.objects.create(group=world.group1, enrollment=world.ec)
    rereview(world.ea)
    rereview(world.ec)
    listing = reverse("rectification:rereview_list")
    assert lines(world.user("assigned")) == [("复核评分", 2, None, f"{listing}?state=open")]

    # `assigned` joins unit C's roll: the conflict-of-interest rule keeps C from them
    assigned = world.user("assigned")
    assigned.member = MemberFactory(unit=world.unit_c, name="评审员张")
    assigned.save(update_fields=["member"])
    c_only = ReReview.objects.get(enrollment=world.ea)
    assert lines(assigned) == [("复核评分", 1, None, detail(c_only))]
    assert lines(world.user("leader")) == [("复核评分", 2, None, f"{listing}?state=open")]

    for pk in ReReview.objects.values_list("pk", flat=True):
        ReReview.objects.filter(pk=pk).update(state=R.SUBMITTED)
    assert lines(world.user("committee_admin")) == [
        ("审定复核结果", 2, None, f"{listing}?state=submitted")
    ]


def test_the_committee_admin_lists_the_findings_marked_as_problems(world):
    leader, other = world.user("leader"), User.objects.get(full_name="外评审")
    Finding.objects.create(
        assignment=world.assignment_a, text="台账不全", is_problem=True, created_by=leader
    )
    Finding.objects.create(
        assignment=world.assignment_b,
        text="学习记录缺失",
        is_problem=True,
        created_by=world.user("unassigned"),
    )
    Finding.objects.create(
        assignment=world.assignment_a, text="亮点：品牌建设", is_problem=False, created_by=leader
    )
    listed = Finding.objects.create(
        assignment=world.assignment_b, text="已列入的", is_problem=True, created_by=leader
    )
    services.problem_item_from_finding(
        finding=listed,
        deadline=datetime.date(2030, 1, 1),
        severity="general",
        required_measures="",
        actor=world.actor("committee_admin"),
    )
    Finding.objects.create(
        assignment=Assignment.objects.get(enrollment=world.ex),
        text="外工委的问题",
        is_problem=True,
        created_by=other,
    )

    board = reverse("rectification:item_board") + "#findings"
    found = everyone(world)
    assert found.pop("committee_admin") == [("将评审发现的问题列入问题清单", 2, None, board)]
    assert found.pop("other_admin") == [("将评审发现的问题列入问题清单", 1, None, board)]
    # the reviewers who wrote them, the committee's leader, the units: nothing to do
    assert found == {name: [] for name in found}

    admin = world.actor("committee_admin")
    services.problem_items_from_findings(
        findings=findings_to_list(admin), today=datetime.date(2030, 1, 1), actor=admin
    )
    assert lines(world.user("committee_admin")) == []
    assert lines(world.user("other_admin")) == [("将评审发现的问题列入问题清单", 1, None, board)]


def draw(committee: Any, campaign: Any, units: list[Any], inspectors: list[User]) -> SpotCheckDraw:
    return SpotCheckDraw.objects.create(
        committee=committee,
        campaign=campaign,
        title="随机抽查",
        seed="seed",
        inputs={"mode": VisitMode.UNANNOUNCED},
        result={
            "units": sorted(u.pk for u in units),
            "inspectors": sorted(i.pk for i in inspectors),
        },
    )


def visit(spot: SpotCheckDraw, unit: Any, by: User) -> None:
    SpotCheckVisit.objects.create(
        draw=spot,
        unit=unit,
        mode=VisitMode.UNANNOUNCED,
        visited_on=datetime.date(2030, 1, 1),
        findings="无",
        recorded_by=by,
    )


def test_a_drawn_inspector_visits_the_units_not_yet_visited(world):
    inspectors = [world.user("assigned"), world.user("leader")]
    spot = draw(world.committee, world.campaign, [world.unit_a, world.unit_b], inspectors)
    later = draw(world.committee, world.campaign, [world.unit_c], [world.user("leader")])
    other = User.objects.get(full_name="外评审")
    # the other committee's draw names `unassigned` too, who is no reviewer there: never theirs
    draw(
        world.other_committee,
        world.other_campaign,
        [world.ex.unit],
        [other, world.user("unassigned")],
    )

    mine = reverse("supervision:spotcheck_mine")
    found = everyone(world, ("实地抽查",))
    assert found.pop("assigned") == [("实地抽查", 2, None, mine)]
    assert found.pop("leader") == [("实地抽查", 3, None, mine)]
    assert found.pop("other_reviewer") == [("实地抽查", 1, None, mine)]
    # a reviewer not drawn, the drawn units' people, the committee's staff, the other committee
    assert found == {name: [] for name in found}

    visit(spot, world.unit_a, world.user("assigned"))
    assert lines(world.user("assigned"), ("实地抽查",)) == [("实地抽查", 1, None, mine)]
    assert lines(world.user("leader"), ("实地抽查",)) == [("实地抽查", 2, None, mine)]
    visit(spot, world.unit_b, world.user("committee_admin"))  # the admin may record it too
    visit(later, world.unit_c, world.user("leader"))
    assert lines(world.user("assigned"), ("实地抽查",)) == []
    assert lines(world.user("leader"), ("实地抽查",)) == []


def test_the_scope_is_the_scoped_selectors(world):
    """The inspector line reads `draws_inspected_by`'s rule: a reviewer of the committee named in
    the draw; the re-review lines read `rereviews_for` (no re-review outside it is counted)."""
    spot = draw(world.committee, world.campaign, [world.unit_a], [world.user("assigned")])
    assigned = actor_for(world.user("assigned"))
    assert [f.pk for f in visits_due_of_inspector(assigned)] == [spot.pk]
    assert list(draws_inspected_by(assigned)) == [spot]
    item = rereview(world.ea)
    assert list(rereviews_for(assigned)) == [item]
    assert list(rereviews_for(actor_for(world.user("unassigned")))) == []
