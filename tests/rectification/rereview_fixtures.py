"""A campaign whose review is finished, ready for approval, with one failing unit, one passing
unit and one vetoed failing unit (issue 5 point 2). Built on `tests/evaluations/campaign_fixtures`
(read it for the personas): the small system has three manual leaves of 10 points (1.1, 1.2, 2.1)
and one veto leaf (2.2); full marks 30, 不达标 below 18.

* A (甲, group 1: `leader` + `assigned`): consolidated 1.1 = 2, 1.2 = 5, 2.1 = 10 → 17, 不达标.
  Findings: "台账不全" on 2.1 (a problem), "学习记录缺失" without an indicator (a problem),
  "亮点：品牌建设" (not a problem). Expected items: the two problem findings, and the leaves
  below their pass mark (the 达标 line, 0.6) 1.1 (0.2) and 1.2 (0.5); 2.1 is at full marks and
  2.2 is a veto leaf.
* B (乙, group 2: `unassigned`): 9 + 9 + 9 = 27, 优秀; a problem finding that must not list.
* C (丙, group 2): 5 + 5 + 5 = 15, 不达标, vetoed by 纪检监察: items, no re-review.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from mofan.accounts.access import Actor
from mofan.campaigns.models import EnrollmentState
from mofan.evaluations import approval
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    Finding,
    UnitResult,
    VetoInput,
)
from mofan.rectification.models import ProblemItem, ProblemState, ReReview
from mofan.rectification.rereview import rereview_on_item_closed
from tests.evaluations.campaign_fixtures import LEAVES, World

TODAY = datetime.date(2026, 3, 2)
SCORES = {
    "A": {"1.1": 2, "1.2": 5, "2.1": 10},
    "B": {"1.1": 9, "1.2": 9, "2.1": 9},
    "C": {"1.1": 5, "1.2": 5, "2.1": 5},
}


def finish_review(world: World) -> None:
    """Consolidated scores, findings and a veto input; every unit reviewed."""
    leader = world.user("leader")
    Assignment.objects.create(group=world.group2, enrollment=world.ec)
    for name, enrollment in (("A", world.ea), ("B", world.eb), ("C", world.ec)):
        ConsolidatedScore.objects.bulk_create(
            ConsolidatedScore(
                enrollment=enrollment,
                node=world.node(code),
                score=Decimal(SCORES[name][code]) if code != "2.2" else None,
                decided_by=leader,
            )
            for code in LEAVES
        )
        enrollment.__class__.objects.filter(pk=enrollment.pk).update(state=EnrollmentState.REVIEWED)
        enrollment.refresh_from_db()
    Finding.objects.create(
        assignment=world.assignment_a,
        node=world.node("2.1"),
        text="台账不全",
        is_problem=True,
        created_by=leader,
    )
    Finding.objects.create(
        assignment=world.assignment_a, text="学习记录缺失", is_problem=True, created_by=leader
    )
    Finding.objects.create(
        assignment=world.assignment_a, text="亮点：品牌建设", is_problem=False, created_by=leader
    )
    Finding.objects.create(
        assignment=world.assignment_b,
        node=world.node("1.1"),
        text="乙的小问题",
        is_problem=True,
        created_by=world.user("unassigned"),
    )
    VetoInput.objects.create(
        enrollment=world.ec,
        source="discipline",
        vetoed=True,
        opinion="违纪",
        recorded_by=world.user("committee_admin"),
    )
    # The rows above are written directly, not by the services that refresh a unit's stored
    # figures on each write: the figures follow as those writes would have left them.
    campaign_recompute(campaign=world.campaign)


def approve(world: World, actor: Actor | None = None) -> list[UnitResult]:
    world.campaign.refresh_from_db()
    return approval.campaign_approve(
        campaign=world.campaign, actor=actor or world.actor("committee_admin"), today=TODAY
    )


def close_item(item: ProblemItem, actor: Actor | None) -> None:
    """Stand-in for the problem-item transition function (another helper's branch): it saves
    the item as closed (销号), then calls the re-review hook inside its transaction."""
    ProblemItem.objects.filter(pk=item.pk).update(state=ProblemState.CLOSED)
    item.refresh_from_db()
    rereview_on_item_closed(item=item, actor=actor)


def close_all(world: World, unit_name: str = "A") -> ReReview:
    enrollment = {"A": world.ea, "B": world.eb, "C": world.ec}[unit_name]
    admin = world.actor("committee_admin")
    for item in ProblemItem.objects.filter(unit_id=enrollment.unit_id).order_by("pk"):
        close_item(item, admin)
    return ReReview.objects.get(enrollment=enrollment, round=1)
