"""The 述职评议 world: a committee with units A and B (each a top party organisation whose roll
names its 书记), a panel member, and another committee with a unit and a round of its own (the
data that could leak)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.appraisals import services
from mofan.appraisals.models import Appraisal, AppraisalRound
from mofan.evidence.models import Evidence
from mofan.organizations.models import Committee, Member, PartyOrganization, Unit
from tests.factories import CommitteeFactory, MemberFactory, PartyOrgFactory, UnitFactory, make_user
from tests.world import persona

YEAR = 2026
PERSONAS = (
    "committee_admin",
    "committee_leader",
    "reviewer",
    "unit_admin",
    "unit_leader",
    "member",
    "outsider",
    "other_admin",
)


@dataclasses.dataclass
class AppraisalWorld:
    committee: Committee
    unit_a: Unit
    unit_b: Unit
    org_a: PartyOrganization
    secretary_a: Member
    secretary_b: Member
    users: dict[str, User]
    panelist: User
    other_committee: Committee
    other_unit: Unit

    def actor(self, name: str) -> Any:
        user = self.panelist if name == "panelist" else self.users[name]
        return actor_for(user)


def top_org_with_secretary(unit: Unit, name: str) -> tuple[PartyOrganization, Member]:
    org = PartyOrgFactory(unit=unit, name=f"{unit.name}机关党委", kind="organ_committee")
    MemberFactory(unit=unit, party_org=org, name=f"{name}副", post="机关党委副书记")
    secretary = MemberFactory(unit=unit, party_org=org, name=name, post="党组书记")
    MemberFactory(unit=unit, party_org=org, name=f"{name}干事", post="干事")
    return org, secretary


def build_world() -> AppraisalWorld:
    committee = CommitteeFactory(name="述职工委", code="appraisals")
    unit_a = UnitFactory(committee=committee, name="甲单位", short_name="甲")
    unit_b = UnitFactory(committee=committee, name="乙单位", short_name="乙")
    other = CommitteeFactory(name="外工委", code="other-appraisals")
    other_unit = UnitFactory(committee=other, name="外单位", short_name="外")
    users = {
        name: persona(name, committee=committee, unit_a=unit_a, unit_b=unit_b, other=other)
        for name in PERSONAS
    }
    org_a, secretary_a = top_org_with_secretary(unit_a, "甲书记")
    _org_b, secretary_b = top_org_with_secretary(unit_b, "乙书记")
    top_org_with_secretary(other_unit, "外书记")
    panelist = make_user("reviewer", committee=committee, username="panelist")
    return AppraisalWorld(
        committee,
        unit_a,
        unit_b,
        org_a,
        secretary_a,
        secretary_b,
        users,
        panelist,
        other,
        other_unit,
    )


def new_round(w: AppraisalWorld, *, year: int = YEAR, other: bool = False) -> AppraisalRound:
    committee = w.other_committee if other else w.committee
    admin = w.users["other_admin" if other else "committee_admin"]
    return services.round_create(
        committee=committee, year=year, title=f"{year}年度书记述职评议", actor=actor_for(admin)
    )


def step(round: AppraisalRound, action: str, user: User) -> AppraisalRound:
    return services.round_transition(round=round, action=action, actor=actor_for(user))


def appraisal_of(round: AppraisalRound, unit: Unit) -> Appraisal:
    return Appraisal.objects.get(round=round, unit=unit)


def submit(appraisal: Appraisal, user: User, report: str = "述职报告正文", **kw: Any) -> Appraisal:
    return services.appraisal_transition(
        appraisal=appraisal,
        action="submit",
        actor=actor_for(user),
        report=report,
        way=kw.pop("way", "on_site"),
        **kw,
    )


def evidence(unit: Unit, user: User, name: str = "述职材料.pdf") -> Evidence:
    return Evidence.objects.create(
        unit=unit,
        sha256=uuid.uuid4().hex * 2,
        original_name=name,
        stored_name=uuid.uuid4().hex,
        kind="pdf",
        size=10,
        uploaded_by=user,
    )


def outsider_admin(w: AppraisalWorld) -> User:
    return make_user("unit_admin", unit=w.other_unit)


def closed_round(
    w: AppraisalWorld, *, year: int, ballots: dict[Unit, dict[str, int]], other: bool = False
) -> AppraisalRound:
    """A round taken to 已完成: every unit submits, the paper ballots given are entered."""
    admin = w.users["other_admin" if other else "committee_admin"]
    r = step(new_round(w, year=year, other=other), "open", admin)
    for a in r.appraisals.select_related("unit"):
        owner = (
            outsider_admin(w)
            if other
            else w.users["unit_admin"]
            if a.unit == w.unit_a
            else w.users["outsider"]
        )
        submit(a, owner, report=f"{a.unit.name}{year}年述职", way="written")
    r = step(r, "rate", admin)
    for a in r.appraisals.select_related("unit"):
        counts = ballots.get(a.unit, {"good": 5})
        services.ballots_record(appraisal=a, counts=counts, actor=actor_for(admin))
    return step(r, "close", admin)


def fuzz_objects(
    committee: Committee, unit: Unit, admin: User, owner: User, panelist: User
) -> dict[str, list[int]]:
    """A round in 评议中 (unit's report submitted by its 联络员 `owner`, `panelist` on the panel)
    and a draft one of the next year: ids for the fuzz sweep (tests/core/test_fuzz_inputs.py)."""
    actor = actor_for(admin)
    r = services.round_create(committee=committee, year=2026, title="", actor=actor)
    r = services.round_panel_set(round=r, usernames=[panelist.username], actor=actor)
    r = services.round_transition(round=r, action="open", actor=actor)
    a = Appraisal.objects.get(round=r, unit=unit)
    if not a.secretary_name:
        member = MemberFactory(unit=unit, name="模糊书记", post="党组书记")
        a = services.appraisal_secretary_set(appraisal=a, member=member, actor=actor)
    a = submit(a, owner)
    services.round_transition(round=r, action="rate", actor=actor)
    draft = services.round_create(committee=committee, year=2027, title="", actor=actor)
    return {"rounds": [r.pk, draft.pk], "secretaries": [a.pk]}
