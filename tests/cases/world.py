"""The brand-case world: a committee with units A and B, its personas, four more reviewers (one
of them also unit A's leader, so 回避 shows), and another committee with a unit and an admin
(the data that could leak)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.cases import panel, services
from mofan.cases.models import Case, CaseCall
from mofan.evidence.models import Evidence
from mofan.organizations.models import Committee, Unit
from tests.factories import CommitteeFactory, UnitFactory, make_user
from tests.world import persona

CRITERIA = [
    {"name": "特色鲜明", "points": 30},
    {"name": "成效显著", "points": 30},
    {"name": "可复制可推广", "points": 25},
    {"name": "材料规范", "points": 15},
]


@dataclasses.dataclass
class CasesWorld:
    committee: Committee
    unit_a: Unit
    unit_b: Unit
    users: dict[str, User]
    pool: list[User]  # every reviewer of the committee, users["reviewer"] first
    conflicted: User  # a reviewer who is also unit A's leader
    other_committee: Committee
    other_unit: Unit

    def actor(self, name: str) -> Any:
        return actor_for(self.users[name])


def build_world(*, reviewers: int = 3, tag: str = "") -> CasesWorld:
    """`tag` tells a second world in the same test apart."""
    committee = CommitteeFactory(name=f"案例工委{tag}", code=f"cases{tag}")
    unit_a = UnitFactory(committee=committee, name="甲单位", short_name="甲")
    unit_b = UnitFactory(committee=committee, name="乙单位", short_name="乙")
    other = CommitteeFactory(name=f"外工委{tag}", code=f"other-cases{tag}")
    other_unit = UnitFactory(committee=other, name="外单位", short_name="外")
    users = {
        name: persona(name, committee=committee, unit_a=unit_a, unit_b=unit_b, other=other)
        for name in (
            "committee_admin",
            "committee_leader",
            "reviewer",
            "unit_admin",
            "unit_leader",
            "member",
            "outsider",
            "other_admin",
        )
    }
    conflicted = make_user(Role.REVIEWER, committee=committee, username=f"conflicted{tag}")
    RoleAssignment.objects.create(
        user=conflicted, role=Role.UNIT_LEADER, committee=committee, unit=unit_a
    )
    extra = [
        make_user(Role.REVIEWER, committee=committee, username=f"caseexpert{i}{tag}")
        for i in range(reviewers)
    ]
    users["other_unit_admin"] = make_user(Role.UNIT_ADMIN, unit=other_unit)
    return CasesWorld(
        committee,
        unit_a,
        unit_b,
        users,
        [users["reviewer"], conflicted, *extra],
        conflicted,
        other,
        other_unit,
    )


def new_call(
    committee: Committee, admin: User, *, deadline: dt.date | None = None, **values: Any
) -> CaseCall:
    fields: dict[str, Any] = {
        "title": "2026年度党建品牌案例征集",
        "year": 2026,
        "deadline": deadline or dt.date.today() + dt.timedelta(days=30),
        "per_unit_limit": 2,
        "criteria": CRITERIA,
        "quota": 1,
    }
    fields.update(values)
    return services.call_create(committee=committee, values=fields, actor=actor_for(admin))


def step(call: CaseCall, action: str, admin: User, **kw: Any) -> CaseCall:
    return services.call_transition(call=call, action=action, actor=actor_for(admin), **kw)


def evidence(unit: Unit, user: User, name: str = "案例材料.pdf") -> Evidence:
    return Evidence.objects.create(
        unit=unit,
        sha256=uuid.uuid4().hex * 2,
        original_name=name,
        stored_name=uuid.uuid4().hex,
        kind="pdf",
        size=10,
        uploaded_by=user,
    )


def case_input(title: str, **kw: Any) -> services.CaseInput:
    values: dict[str, Any] = {
        "title": title,
        "brand": f"{title}品牌",
        "summary": f"{title}的摘要",
        "body": f"{title}的正文第一段。\n第二段。",
        "tags": "党建,品牌",
    }
    values.update(kw)
    return services.CaseInput(**values)


def submitted(call: CaseCall, unit: Unit, user: User, title: str, **kw: Any) -> Case:
    case = services.case_save(
        call=call, unit=unit, data=case_input(title, **kw), actor=actor_for(user)
    )
    return services.case_submit(case=case, actor=actor_for(user))


def score_all(call: CaseCall, totals: dict[Case, int]) -> None:
    """Every seated expert not recused gives each case points summing to `totals[case]`."""
    for seat in call.panel.seats.select_related("expert"):
        for case, total in totals.items():
            if panel.recused(seat, case):
                continue
            panel.case_score(
                case=case, points=split(total), comment="", actor=actor_for(seat.expert)
            )


def split(total: int) -> list[int]:
    """`total` (0..100) as points within the four criteria (30, 30, 25, 15)."""
    points = []
    left = total
    for c in CRITERIA:
        give = min(left, int(c["points"]))
        points.append(give)
        left -= give
    return points


@dataclasses.dataclass
class Scene:
    w: CasesWorld
    call: CaseCall
    case_a: Case
    case_b: Case
    draft_a: Case  # unit A's second case, never submitted
    other_call: CaseCall
    other_case: Case


def build_scene(*, scored: bool = False, published: bool = False) -> Scene:
    """A call under review with a submitted case of each unit (A's names its unit in the text),
    a draft of unit A, all reviewers drawn; another committee's call with a case."""
    w = build_world()
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin), "open", admin)
    case_a = submitted(
        call, w.unit_a, w.users["unit_admin"], "甲案例", body="甲单位党委坚持机密做法。"
    )
    case_b = submitted(call, w.unit_b, w.users["outsider"], "乙案例")
    draft_a = services.case_save(
        call=call, unit=w.unit_a, data=case_input("甲草稿"), actor=w.actor("unit_admin")
    )
    call = step(call, "review", admin)
    panel.panel_draw(call=call, size=len(w.pool), seed="scene", actor=w.actor("committee_admin"))
    if scored or published:
        score_all(call, {case_a: 90, case_b: 70})
        panel.panel_close(call=call, actor=w.actor("committee_admin"))
    if published:
        call = step(call, "publish", admin)
    other_admin = w.users["other_admin"]
    other_call = step(
        new_call(w.other_committee, other_admin, title="外工委征集"), "open", other_admin
    )
    other_case = submitted(other_call, w.other_unit, w.users["other_unit_admin"], "外案例")
    return Scene(w, call, case_a, case_b, draft_a, other_call, other_case)


def fuzz_objects(committee: Committee, unit: Unit, admin: User, owner: User) -> dict[str, Any]:
    """A call in each state (a draft, collecting with `unit`'s draft case, under review with its
    submitted case and every reviewer of the committee drawn, closed): ids for the fuzz sweep
    (tests/core/test_fuzz_inputs.py)."""
    from mofan.evaluations.review_groups import reviewers_of_committee

    draft = new_call(committee, admin, title="草稿征集")
    collecting = step(new_call(committee, admin, title="征集中征集"), "open", admin)
    draft_case = services.case_save(
        call=collecting, unit=unit, data=case_input("草稿案例"), actor=actor_for(owner)
    )
    reviewing = step(new_call(committee, admin, title="评审中征集"), "open", admin)
    case = submitted(reviewing, unit, owner, "已报送案例")
    reviewing = step(reviewing, "review", admin)
    size = reviewers_of_committee(committee.pk).count()
    panel.panel_draw(call=reviewing, size=size, seed="fuzz", actor=actor_for(admin))
    closed = step(new_call(committee, admin, title="终止征集"), "close", admin, reason="调整")
    calls = [collecting.pk, reviewing.pk, draft.pk, closed.pk]
    return {
        "calls": calls,
        "case-calls": [reviewing.pk, collecting.pk],
        "cases": [draft_case.pk, case.pk],
        "score": [case.pk],
    }
