"""People and items for the problem-list tests (kept out of conftest.py, which other helpers'
tests in this package may need for themselves: the modules import what they use)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.evidence.models import Evidence
from mofan.organizations.models import Committee, Unit
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.services import problem_item_create, problem_item_transition
from tests.world import committee_with_units, logged_in, persona

DEADLINE = datetime.date(2031, 6, 30)
PAST = datetime.date(2020, 1, 31)

PERSONAS = (
    "owner",  # unit A's admin (联络员)
    "unit_leader",  # unit A's leader: also acts for the unit
    "member",  # unit A's member: sees nothing of the list
    "reviewer",  # a reviewer of the committee
    "outsider",  # unit B's admin
    "admin",  # the committee admin
    "committee_leader",  # reads the board, takes no action
    "other_admin",  # another committee's admin
    "auditor",
)


@dataclass
class People:
    committee: Committee
    unit_a: Unit
    unit_b: Unit
    other_committee: Committee
    unit_x: Unit
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        return actor_for(self.users[name])

    def user(self, name: str) -> User:
        return self.users[name]

    def client(self, name: str | None) -> Client:
        return logged_in(self.users[name] if name is not None else None)


def build_people(committee: Committee, unit_a: Unit, unit_b: Unit) -> People:
    """The standard personas (tests/world.py) under the names of the problem-list tests, and a
    unit admin of the other committee's unit X."""
    other, (unit_x,) = committee_with_units(name="另一个工委", code="other", units=("外",))
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b, "other": other}
    users = {
        "owner": persona("unit_admin", **where, full_name="甲联络员"),
        "unit_leader": persona("unit_leader", **where, full_name="甲书记"),
        "member": persona("member", **where, full_name="甲党员"),
        "reviewer": persona("reviewer", **where, full_name="评审员"),
        "outsider": persona("outsider", **where, full_name="乙联络员"),
        "admin": persona("committee_admin", **where, full_name="工委王"),
        "committee_leader": persona("committee_leader", **where),
        "other_admin": persona("other_admin", **where, full_name="外工委"),
        "auditor": persona("auditor", **where),
        "x_admin": persona("unit_admin", unit_a=unit_x),
    }
    return People(committee, unit_a, unit_b, other, unit_x, users)


@pytest.fixture
def people(committee, unit_a, unit_b) -> People:
    return build_people(committee, unit_a, unit_b)


def make_item(
    people: People,
    unit: Unit | None = None,
    description: str = "三会一课记录不全",
    deadline: datetime.date = DEADLINE,
    **kwargs: Any,
) -> ProblemItem:
    unit = unit or people.unit_a
    admin = "admin" if unit.committee_id == people.committee.pk else "other_admin"
    return problem_item_create(
        unit=unit,
        source=kwargs.pop("source", ProblemSource.COMMITTEE_CHECK),
        description=description,
        deadline=deadline,
        actor=people.actor(admin),
        **kwargs,
    )


def make_evidence(unit: Unit, user: User, name: str = "整改报告.pdf") -> Evidence:
    """A row of the unit's store (the file itself is not needed where nothing downloads it)."""
    count = Evidence.objects.count()
    return Evidence.objects.create(
        unit=unit,
        sha256=f"{count:064d}",
        original_name=name,
        stored_name=f"evidence/{unit.pk}/test{count}.pdf",
        kind="pdf",
        size=100,
        uploaded_by=user,
    )


def walk(people: People, item: ProblemItem, *steps: str) -> ProblemItem:
    """Move an item through the given actions with the right people (test set-up)."""
    for action in steps:
        unit_person = "owner" if item.unit_id == people.unit_a.pk else "outsider"
        who = unit_person if action in ("submit_measures", "report_done") else "admin"
        item = problem_item_transition(
            item=item,
            action=action,
            actor=people.actor(who),
            measures="召开专题会议，补齐记录",
            report="已补齐全部记录",
            reason="材料不全" if action in ("return_measures", "reopen") else "",
        )
    return item


__all__ = [
    "DEADLINE",
    "PAST",
    "PERSONAS",
    "People",
    "build_people",
    "make_evidence",
    "make_item",
    "people",
    "walk",
]
