"""A small campaign caught mid-review, with every persona the permission and integrity tests
need (issue 4). Kept out of conftest.py (other evaluation tests own that file): the test
modules import the fixtures they use.

The indicator system is tiny so the tests stay fast: two types (政治建设 20 points, 清廉建设 10
points), three manually scored leaves of 10 points each and one veto leaf; full marks 30.

State after `world`: the campaign is active; units A and B have filled in and submitted their
self-evaluation; unit C has not started. A is assigned to group 1 (leader `leader`, member
`assigned`), B to group 2 (leader `unassigned`); C is not assigned. In group 1 the member has
scored every leaf of A (not submitted), the leader only leaf 1.1. A has a leadership member and
a task, and so has B. A second committee runs its own campaign on the same version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.campaigns.models import (
    Campaign,
    CampaignStatus,
    Enrollment,
    EnrollmentState,
    LeadershipMember,
    Phase,
    Task,
)
from mofan.evaluations import services
from mofan.evaluations.models import (
    ApprovalBatch,
    ApprovalRun,
    Assignment,
    ConsolidatedScore,
    Draw,
    EvidenceLink,
    Finding,
    LedgerFigures,
    QuotaTieDecision,
    ReviewerSeat,
    ReviewGroup,
    ReviewScore,
    ReviewSubmission,
    SelfScore,
    UnitResult,
    VetoInput,
    Visit,
)
from mofan.evidence.models import Evidence
from mofan.indicators.fileformat import Document
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.indicators.services import system_import
from mofan.indicators.tree import NodeData
from mofan.organizations.models import Committee, Unit
from tests.factories import CommitteeFactory, UnitFactory, make_user
from tests.world import active_campaign, committee_with_units, persona, review_group

S = EnrollmentState
ROLLUP = {"type": "rollup", "mode": "sum"}
MANUAL = {"type": "manual", "step": "0.5"}
LEAVES = ("1.1", "1.2", "2.1", "2.2")
SCORED = ("1.1", "1.2", "2.1")

# The personas of the permission tests. `None` stands for the anonymous visitor.
PERSONAS = (
    "owner",  # unit A's admin (联络员): fills in
    "colleague",  # unit A's leader: reads and submits, does not fill in
    "outsider",  # unit B's admin and leader
    "assigned",  # reviewer seated in the group A is assigned to
    "leader",  # that group's leader
    "unassigned",  # reviewer of the same committee, leading the group B is assigned to
    "committee_admin",
    "committee_leader",
    "other_admin",  # another committee's admin
    "auditor",
    "anonymous",
)


def small_version(
    slug: str = "mofan-iss4-test", methods: dict[str, dict[str, Any]] | None = None
) -> IndicatorVersion:
    """A published built-in system: 1 政治建设 (1.1, 1.2), 2 清廉建设 (2.1, 2.2 veto). The three
    scored leaves are scored by hand unless `methods` gives a leaf another method."""

    def leaf(code: str, title: str, parent: str, order: int) -> NodeData:
        return NodeData(
            code=code,
            title=title,
            points=Decimal(10),
            method=dict((methods or {}).get(code, MANUAL)),
            parent=parent,
            order=order,
        )

    roots = [
        NodeData(
            code="1",
            title="政治建设",
            points=Decimal(20),
            method=dict(ROLLUP),
            order=1,
            children=[leaf("1.1", "理论学习", "1", 2), leaf("1.2", "组织生活", "1", 3)],
        ),
        NodeData(
            code="2",
            title="清廉建设",
            points=Decimal(10),
            method=dict(ROLLUP),
            order=4,
            children=[
                leaf("2.1", "廉政教育", "2", 5),
                NodeData(
                    code="2.2",
                    title="严重违纪",
                    points=None,
                    method={"type": "veto"},
                    parent="2",
                    order=6,
                ),
            ],
        ),
    ]
    doc = Document(
        slug=slug,
        name=f"测试指标体系 {slug}",
        issuer="测试工委",
        year=2024,
        version=1,
        roots=roots,
        scoring="points",
    )
    return system_import(doc=doc, committee=None, actor=None, publish=True)


def leaf_value(code: str, score: str | int = 8) -> dict[str, Any]:
    """The service input for one leaf of the small version."""
    if code == "2.2":
        return {"vetoed": False, "reason": ""}
    return {"value": str(score)}


def leaf_post(code: str, score: str | int = 8) -> dict[str, str]:
    """The same input as a browser posts it."""
    if code == "2.2":
        return {"reason": ""}
    return {"value": str(score)}


@dataclass
class World:
    committee: Committee
    unit_a: Unit
    unit_b: Unit
    unit_c: Unit
    version: IndicatorVersion
    other_version: IndicatorVersion
    campaign: Campaign
    ea: Enrollment
    eb: Enrollment
    ec: Enrollment
    group1: ReviewGroup
    group2: ReviewGroup
    assignment_a: Assignment
    assignment_b: Assignment
    member_a: LeadershipMember
    task_a: Task
    member_b: LeadershipMember
    task_b: Task
    other_committee: Committee
    other_campaign: Campaign
    ex: Enrollment
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]

    def actor(self, name: str) -> Actor:
        return actor_for(self.users[name])

    def node(self, code: str, version: IndicatorVersion | None = None) -> IndicatorNode:
        return IndicatorNode.objects.get(version=version or self.version, code=code)

    def refresh(self, obj: Any) -> Any:
        obj.refresh_from_db()
        return obj


def score_all(
    assignment: Assignment, actor: Actor, scores: dict[str, int] | None = None, default: int = 8
) -> None:
    """One reviewer's score for every leaf (saving over an earlier score of the same leaf)."""
    scores = scores or {}
    version = assignment.enrollment.campaign.indicator_version
    for code in LEAVES:
        node = IndicatorNode.objects.get(version=version, code=code)
        current = ReviewScore.objects.filter(
            assignment=assignment, reviewer=actor.user, node=node
        ).first()
        services.review_score_save(
            assignment=assignment,
            node=node,
            value=leaf_value(code, scores.get(code, default)),
            comment="",
            expected_version=current.version if current else None,
            actor=actor,
        )


def _quick_fields(code: str, score: int) -> dict[str, Any]:
    """What the services store for `leaf_value(code, score)` of the small version."""
    value = leaf_value(code, score)
    if code == "2.2":
        return {"input": value, "score": None, "veto": False}
    return {"input": value, "score": Decimal(score).quantize(Decimal("0.01"))}


def _quick_self(
    enrollment: Enrollment, user: User, nodes: dict[str, IndicatorNode], score: int
) -> None:
    SelfScore.objects.bulk_create(
        SelfScore(
            enrollment=enrollment,
            node=nodes[code],
            narrative="按要求完成",
            updated_by=user,
            **_quick_fields(code, score),
        )
        for code in SCORED
    )


def standard_groups(
    campaign: Campaign,
    users: dict[str, User],
    ea: Enrollment,
    eb: Enrollment,
    names: tuple[str, str] = ("第一评审组", "第二评审组"),
) -> tuple[ReviewGroup, ReviewGroup, Assignment, Assignment]:
    """The world's two review groups: group 1 (leader `leader`, member `assigned`) reviews
    `ea`, group 2 (`unassigned` alone) reviews `eb`."""
    group1, (assignment_a,) = review_group(
        campaign,
        names[0],
        users["leader"],
        seats=(users["leader"], users["assigned"]),
        enrollments=(ea,),
    )
    group2, (assignment_b,) = review_group(
        campaign, names[1], users["unassigned"], enrollments=(eb,)
    )
    return group1, group2, assignment_a, assignment_b


def build_world() -> World:
    committee, (unit_a, unit_b, unit_c) = committee_with_units(
        name="焦作市直机关工委测试", code="test", units=("甲", "乙", "丙")
    )
    other_committee = CommitteeFactory(name="另一个工委", code="other")
    unit_x = UnitFactory(committee=other_committee, name="外单位", short_name="外")
    version = small_version()
    other_version = small_version("mofan-iss4-other")

    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b, "other": other_committee}
    users = {
        "owner": persona("unit_admin", **where, full_name="甲联络员"),
        "colleague": persona("unit_leader", **where, full_name="甲书记"),
        "outsider": persona("outsider", **where, full_name="乙联络员"),
        "assigned": persona("reviewer", **where, full_name="评审员张"),
        "leader": persona("reviewer", **where, full_name="组长王"),
        "unassigned": persona("reviewer", **where, full_name="评审员李"),
        "committee_admin": persona("committee_admin", **where),
        "committee_leader": persona("committee_leader", **where),
        "other_admin": persona("other_admin", **where),
        "auditor": persona("auditor", **where),
    }
    RoleAssignment.objects.create(
        user=users["outsider"], role=Role.UNIT_LEADER, committee=committee, unit=unit_b
    )
    other_reviewer = make_user(Role.REVIEWER, committee=other_committee, full_name="外评审")
    x_admin = make_user(Role.UNIT_ADMIN, unit=unit_x)

    campaign = active_campaign(
        committee=committee,
        version=version,
        admin=users["committee_admin"],
        name="2024年度模范机关创建",
        year=2024,
    )
    ea, eb, ec = (
        Enrollment.objects.get(campaign=campaign, unit=u) for u in (unit_a, unit_b, unit_c)
    )

    # The rest is plain rows (the services are exercised by the tests themselves): quicker.
    nodes = {n.code: n for n in IndicatorNode.objects.filter(version=version)}
    _quick_self(ea, users["owner"], nodes, 8)
    _quick_self(eb, users["outsider"], nodes, 7)
    now = timezone.now()
    Enrollment.objects.filter(pk=ea.pk).update(
        state=S.SUBMITTED, submitted_at=now, submitted_by=users["colleague"], version=2
    )
    Enrollment.objects.filter(pk=eb.pk).update(
        state=S.SUBMITTED, submitted_at=now, submitted_by=users["outsider"], version=2
    )
    group1, group2, assignment_a, assignment_b = standard_groups(campaign, users, ea, eb)
    ReviewScore.objects.bulk_create(
        [
            ReviewScore(
                assignment=assignment_a,
                reviewer=users["assigned"],
                node=nodes[code],
                **_quick_fields(code, 8),
            )
            for code in LEAVES
        ]
        + [
            ReviewScore(
                assignment=assignment_a,
                reviewer=users["leader"],
                node=nodes["1.1"],
                comment="组长意见",
                **_quick_fields("1.1", 9),
            )
        ]
    )
    deadline = campaign.created_at.date()
    member_a = LeadershipMember.objects.create(
        enrollment=ea, role="leader", name="甲组长", post="书记", order=1
    )
    task_a = Task.objects.create(
        enrollment=ea, title="制定实施方案", person="甲", deadline=deadline
    )
    member_b = LeadershipMember.objects.create(
        enrollment=eb, role="leader", name="乙组长", post="书记", order=1
    )
    task_b = Task.objects.create(enrollment=eb, title="乙的任务", person="乙", deadline=deadline)

    other_campaign = Campaign.objects.create(
        committee=other_committee,
        name="外工委的活动",
        year=2024,
        indicator_version=version,
        status=CampaignStatus.ACTIVE,
    )
    ex = Enrollment.objects.create(campaign=other_campaign, unit=unit_x)
    _quick_self(ex, x_admin, nodes, 8)
    review_group(other_campaign, "外评审组", other_reviewer, enrollments=(ex,))

    return World(
        committee=committee,
        unit_a=unit_a,
        unit_b=unit_b,
        unit_c=unit_c,
        version=version,
        other_version=other_version,
        campaign=Campaign.objects.get(pk=campaign.pk),
        ea=Enrollment.objects.get(pk=ea.pk),
        eb=Enrollment.objects.get(pk=eb.pk),
        ec=Enrollment.objects.get(pk=ec.pk),
        group1=group1,
        group2=group2,
        assignment_a=assignment_a,
        assignment_b=assignment_b,
        member_a=member_a,
        task_a=task_a,
        member_b=member_b,
        task_b=task_b,
        other_committee=other_committee,
        other_campaign=other_campaign,
        ex=ex,
        users=users,
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


# --- helpers ----------------------------------------------------------------------------------


SNAPSHOT_MODELS = (
    Campaign,
    Phase,
    Enrollment,
    LeadershipMember,
    Task,
    SelfScore,
    Evidence,
    EvidenceLink,
    ReviewGroup,
    ReviewerSeat,
    Draw,
    Assignment,
    ReviewScore,
    ReviewSubmission,
    Visit,
    Finding,
    ConsolidatedScore,
    VetoInput,
    UnitResult,
    ApprovalBatch,
    ApprovalRun,
    QuotaTieDecision,
    LedgerFigures,
)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every campaign and evaluation row of every committee, all columns (the test database is
    small; plain SQL keeps the permission matrix fast)."""
    queries = [
        (model._meta.label, f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
        for model in SNAPSHOT_MODELS
    ]
    taken = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one round trip: psycopg reads each result set
            cursor.execute("; ".join(f"{sql} ORDER BY 1" for _label, sql in queries))
            for label, _sql in queries:
                taken[label] = [tuple(row) for row in cursor.cursor.fetchall()]
                cursor.cursor.nextset()
            return taken
        for label, sql in queries:
            cursor.execute(f"{sql} ORDER BY 1")
            taken[label] = [tuple(row) for row in cursor.fetchall()]
    return taken


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


class Rollback(Exception):
    """Raised to undo a savepoint on purpose."""


def in_savepoint(work: Any) -> Any:
    """Run `work()` and undo everything it wrote; return what it returned."""
    box: list[Any] = []
    try:
        with transaction.atomic():
            box.append(work())
            raise Rollback
    except Rollback:
        pass
    return box[0]


def audit_entries(action: str, target: Any | None = None) -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(action=action).order_by("id")
    if target is not None:
        entries = entries.filter(object_type=target._meta.label_lower, object_id=str(target.pk))
    return list(entries)


def set_state(enrollment: Enrollment, state: str) -> None:
    """Put an enrollment into a state directly (test set-up, not an audited transition)."""
    Enrollment.objects.filter(pk=enrollment.pk).update(state=state)
    enrollment.refresh_from_db()


__all__ = [
    "LEAVES",
    "PERSONAS",
    "SCORED",
    "World",
    "audit_entries",
    "build_world",
    "changed_tables",
    "in_savepoint",
    "leaf_post",
    "leaf_value",
    "score_all",
    "set_state",
    "small_version",
    "snapshot",
    "standard_groups",
    "world",
]
