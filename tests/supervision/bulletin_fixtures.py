"""Data for the bulletin tests: the evaluation world of issue 4 (two committees, a campaign
each, review assignments) plus findings, problem items, ledger items and bulletins.

Kept out of conftest.py (other supervision helpers own that file): test modules import what
they use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.evaluations.models import Assignment, Finding
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from mofan.rectification.services import problem_item_create
from mofan.supervision.models import Bulletin, BulletinKind, BulletinState, LedgerItem
from tests.evaluations.campaign_fixtures import World, build_world
from tests.factories import UnitFactory
from tests.world import persona

OTHER_FINDING = "外工委问题标记"
OTHER_BULLETIN = "外工委通报标记"
OWN_DRAFT = "本委草稿标记"
OWN_PUBLISHED = "本委已发布通报"


def at(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware moment on a local (Asia/Shanghai) day."""
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute, second))


@dataclass
class Scene:
    w: World
    finding_a: Finding  # unit A, 1.1, a problem
    note_a: Finding  # unit A, not a problem
    finding_b: Finding  # unit B, 2.1, a problem
    finding_x: Finding  # the other committee's
    unit_x: Unit
    users: dict[str, User]
    other_bulletin: Bulletin  # the other committee's, published
    draft: Bulletin  # own committee, draft
    published: Bulletin  # own committee, published

    def user(self, name: str) -> User:
        return self.users[name]

    def actor(self, name: str) -> Actor:
        return actor_for(self.users[name])

    @property
    def committee(self) -> Any:
        return self.w.committee


def admin_of(committee_id: int) -> User:
    """The committee's (first) admin: the world made one per committee."""
    admin = User.objects.filter(
        role_assignments__committee_id=committee_id, role_assignments__role=Role.COMMITTEE_ADMIN
    ).first()
    assert admin is not None
    return admin


def problem(
    unit: Unit,
    deadline: dt.date,
    *,
    text: str = "问题",
    state: str = ProblemState.OPEN,
    campaign: Any = None,
    created: dt.datetime | None = None,
    closed: dt.datetime | None = None,
) -> ProblemItem:
    """A problem item listed by the committee's admin through the service, then put into a
    state and given times directly (test set-up, not audited transitions)."""
    item = problem_item_create(
        unit=unit,
        source=ProblemSource.COMMITTEE_CHECK,
        description=text,
        deadline=deadline,
        actor=actor_for(admin_of(unit.committee_id)),
        campaign=campaign,
    )
    fields: dict[str, Any] = {"state": state}
    if created is not None:
        fields["created_at"] = created
    if closed is not None or state == ProblemState.CLOSED:
        fields["closed_at"] = closed or timezone.now()
    ProblemItem.objects.filter(pk=item.pk).update(**fields)
    item.refresh_from_db()
    return item


def ledger(
    unit: Unit,
    deadline: dt.date,
    *,
    task: str = "督办事项",
    state: str = "open",
    campaign: Any = None,
    created: dt.datetime | None = None,
    closed: dt.datetime | None = None,
) -> LedgerItem:
    item = LedgerItem.objects.create(
        committee_id=unit.committee_id,
        unit=unit,
        campaign=campaign,
        task=task,
        leader_in_charge="分管领导",
        deadline=deadline,
        state=state,
        created_by=admin_of(unit.committee_id),
        closed_at=closed,
    )
    if created is not None:
        LedgerItem.objects.filter(pk=item.pk).update(created_at=created)
        item.refresh_from_db()
    return item


def bulletin(
    committee: Any, title: str, *, state: str = BulletinState.DRAFT, **kw: Any
) -> Bulletin:
    return Bulletin.objects.create(
        committee=committee,
        title=title,
        body=f"正文：{title}",
        state=state,
        created_by=admin_of(committee.pk),
        published_at=timezone.now() if state == BulletinState.PUBLISHED else None,
        kind=kw.pop("kind", BulletinKind.AD_HOC),
        **kw,
    )


def build_scene() -> Scene:
    w = build_world()
    leader = w.user("leader")
    finding_a = Finding.objects.create(
        assignment=w.assignment_a,
        node=w.node("1.1"),
        text="理论学习记录不全",
        is_problem=True,
        created_by=leader,
    )
    note_a = Finding.objects.create(
        assignment=w.assignment_a, text="亮点：品牌特色鲜明", is_problem=False, created_by=leader
    )
    finding_b = Finding.objects.create(
        assignment=w.assignment_b,
        node=w.node("2.1"),
        text="廉政教育覆盖不全",
        is_problem=True,
        created_by=w.user("unassigned"),
    )
    unit_x = w.ex.unit
    other_reviewer = User.objects.get(full_name="外评审")
    finding_x = Finding.objects.create(
        assignment=Assignment.objects.get(enrollment=w.ex),
        text=OTHER_FINDING,
        is_problem=True,
        created_by=other_reviewer,
    )
    users = dict(w.users)
    users["a_member"] = persona("member", unit_a=w.unit_a, full_name="甲党员")
    users["x_admin"] = User.objects.get(role_assignments__unit=unit_x)
    users["other_leader"] = persona(
        "committee_leader", committee=w.other_committee, full_name="外工委领导"
    )
    # A reviewer who is also a unit member of this committee reads what unit people read.
    users["reviewer_member"] = persona("reviewer", committee=w.committee, full_name="评审兼党员")
    RoleAssignment.objects.create(
        user=users["reviewer_member"], role=Role.MEMBER, committee=w.committee, unit=w.unit_c
    )
    other_bulletin = bulletin(w.other_committee, OTHER_BULLETIN, state=BulletinState.PUBLISHED)
    draft = bulletin(w.committee, OWN_DRAFT)
    published = bulletin(w.committee, OWN_PUBLISHED, state=BulletinState.PUBLISHED)
    return Scene(
        w=w,
        finding_a=finding_a,
        note_a=note_a,
        finding_b=finding_b,
        finding_x=finding_x,
        unit_x=unit_x,
        users=users,
        other_bulletin=other_bulletin,
        draft=draft,
        published=published,
    )


@pytest.fixture
def scene(db) -> Scene:
    return build_scene()


def inactive_unit(committee: Any) -> Unit:
    return UnitFactory(committee=committee, name="已撤并单位", is_active=False)
