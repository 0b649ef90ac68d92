"""A small world for the ledger, 约谈 and yellow card tests (kept out of conftest.py, which other
supervision tests may own): one committee with units A and B, a second committee with unit C,
one account per persona, and helpers that go through the services."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.audit.models import AuditEntry
from mofan.evidence.models import Evidence
from mofan.organizations.models import Committee, PartyOrganization, Unit
from mofan.supervision import ledger
from mofan.supervision.models import Cadence, Interview, LedgerItem, YellowCard
from tests.factories import PartyOrgFactory
from tests.world import committee_with_units, persona

_n = itertools.count(1)


def local_today() -> datetime.date:
    """Today in the site's time zone, read when asked: a module constant goes stale when the
    suite runs across midnight (Asia/Shanghai midnight is 16:00 UTC)."""
    return timezone.localdate()


@dataclass
class World:
    committee: Committee
    a: Unit
    b: Unit
    other: Committee
    c: Unit
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, persona: str) -> Actor:
        return actor_for(self.users[persona])

    @property
    def admin(self) -> Actor:
        return self.actor("committee_admin")


# name here: the standard persona (tests/world.py); c_admin is unit C's admin ("unit_admin" of
# the other committee's unit)
PERSONAS: dict[str, str] = {
    "committee_admin": "committee_admin",
    "committee_leader": "committee_leader",
    "a_admin": "unit_admin",
    "a_leader": "unit_leader",
    "a_member": "member",
    "b_admin": "outsider",
    "other_admin": "other_admin",
    "c_admin": "unit_admin",
    "auditor": "auditor",
    "reviewer": "reviewer",
}


def build_world(committee: Committee, unit_a: Unit, unit_b: Unit) -> World:
    other, (c,) = committee_with_units(name="另一工委", code="other-ledger", units=("丙",))
    w = World(committee=committee, a=unit_a, b=unit_b, other=other, c=c)
    for name, standard in PERSONAS.items():
        a = c if name == "c_admin" else unit_a
        w.users[name] = persona(standard, committee=committee, unit_a=a, unit_b=unit_b, other=other)
    return w


@pytest.fixture
def world(committee, unit_a, unit_b) -> World:
    return build_world(committee, unit_a, unit_b)


def make_item(
    w: World,
    unit: Unit,
    *,
    task: str | None = None,
    deadline: datetime.date | None = None,
    cadence: str = Cadence.MONTHLY,
    today: datetime.date | None = None,
) -> LedgerItem:
    admin = w.actor("other_admin" if unit.committee_id == w.other.pk else "committee_admin")
    return ledger.ledger_item_create(
        unit=unit,
        task=task or f"督办任务{next(_n)}",
        leader_in_charge="王副局长",
        deadline=deadline or local_today() + datetime.timedelta(days=30),
        cadence=cadence,
        actor=admin,
        today=today,
    )


def make_org(unit: Unit, name: str | None = None) -> PartyOrganization:
    return PartyOrgFactory(unit=unit, name=name or f"党支部{next(_n)}")


def make_interview(w: World, unit: Unit, *, points: str = "学习制度落实不到位") -> Interview:
    admin = w.actor("other_admin" if unit.committee_id == w.other.pk else "committee_admin")
    return ledger.interview_create(
        unit=unit,
        interviewer="工委副书记李某",
        interviewee="单位党组书记张某",
        held_on=local_today(),
        points=points,
        commitments="一个月内整改到位",
        actor=admin,
    )


def make_card(
    w: World, org: PartyOrganization, *, reasons: str = "组织生活不正常", problems: Any = ()
) -> YellowCard:
    admin = w.actor("other_admin" if org.unit.committee_id == w.other.pk else "committee_admin")
    return ledger.yellow_card_issue(
        party_org=org, reasons=reasons, problems=list(problems), actor=admin
    )


def make_evidence(unit: Unit, user: User, name: str = "会议记录.pdf") -> Evidence:
    n = next(_n)
    return Evidence.objects.create(
        unit=unit,
        sha256=f"{n:064d}",
        original_name=name,
        stored_name=f"ledger-test-{n}.pdf",
        kind="pdf",
        size=100,
        uploaded_by=user,
    )


def audit_actions(target: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=target._meta.label_lower, object_id=str(target.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
