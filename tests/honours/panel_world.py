"""An expert panel's world on top of the honours world: more reviewers in the committee's pool
(one of them also unit A's leader, so the panel's 回避 shows), a programme under review with a
nomination from each of units A and B, and a reviewer of the other committee."""

from __future__ import annotations

import dataclasses
from typing import Any

from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.honours import panel, services
from mofan.honours.models import ExpertPanel, HonourProgramme, Nomination
from tests.factories import MemberFactory, make_user
from tests.honours.world import HonoursWorld, build_world, nominate, open_programme, programme


@dataclasses.dataclass
class PanelWorld:
    w: HonoursWorld
    programme: HonourProgramme
    nom_a: Nomination
    nom_b: Nomination
    pool: list[User]  # the committee's reviewers, w.users["reviewer"] first
    conflicted: User  # a reviewer who is also unit A's leader
    b_admin: User

    def actor(self, user: User) -> Any:
        return actor_for(user)


def build_panel_world(*, reviewers: int = 4, kind: str = "person", **values: Any) -> PanelWorld:
    w = build_world()
    conflicted = make_user(Role.REVIEWER, committee=w.committee, username="conflicted")
    RoleAssignment.objects.create(
        user=conflicted, role=Role.UNIT_LEADER, committee=w.committee, unit=w.unit_a
    )
    extra = [
        make_user(Role.REVIEWER, committee=w.committee, username=f"expert{i}")
        for i in range(reviewers)
    ]
    b_admin = make_user(Role.UNIT_ADMIN, unit=w.unit_b, username="b_admin")
    fields: dict[str, Any] = {"name": "优秀共产党员", "kind": kind, "quota_value": 1}
    fields.update(values)
    p = open_programme(programme(w, **fields), w.users["committee_admin"])
    if kind == "unit":
        nom_a = nominate(p, w.unit_a, w.users["unit_admin"])
        nom_b = nominate(p, w.unit_b, b_admin)
    else:
        nom_a = nominate(p, w.unit_a, w.users["unit_admin"], member=w.member_a)
        nom_b = nominate(p, w.unit_b, b_admin, member=MemberFactory(unit=w.unit_b, name="乙党员"))
    nom_a.statement = "甲单位推荐：事迹突出"
    nom_a.save()
    return PanelWorld(
        w, p, nom_a, nom_b, [w.users["reviewer"], conflicted, *extra], conflicted, b_admin
    )


def to_review(pw: PanelWorld) -> HonourProgramme:
    return services.programme_transition(
        programme=pw.programme, action="review", actor=pw.w.actor("committee_admin")
    )


def draw_all(pw: PanelWorld, *, blind: bool = True, seed: str = "seed-1") -> ExpertPanel:
    """A panel of every reviewer in the pool (so who sits on it is known)."""
    return panel.panel_draw(
        programme=pw.programme,
        size=len(pw.pool),
        blind=blind,
        seed=seed,
        actor=pw.w.actor("committee_admin"),
    )
