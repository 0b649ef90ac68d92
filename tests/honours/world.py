"""The honours world: a committee with units A and B, a campaign with approved results (A 优秀,
B 一般), a party organisation with its file card and one on a yellow card, roster members,
and the same kind of things in another committee (the data that could leak)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.models import UnitResult
from mofan.honours import nominations as writes
from mofan.honours import services
from mofan.honours.models import HonourProgramme, Nomination
from mofan.honours.panel import panel_draw
from mofan.organizations.models import Committee, Member, PartyOrganization, Unit
from mofan.supervision.ledger import yellow_card_issue
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, MemberFactory, PartyOrgFactory, UnitFactory
from tests.world import active_campaign, persona

TODAY = dt.date(2026, 6, 1)


@dataclasses.dataclass
class HonoursWorld:
    committee: Committee
    unit_a: Unit
    unit_b: Unit
    campaign: Campaign
    org_a: PartyOrganization
    carded_org: PartyOrganization
    member_a: Member
    users: dict[str, User]
    other_committee: Committee
    other_unit: Unit

    def actor(self, name: str) -> Any:
        return actor_for(self.users[name])


def approve(campaign: Campaign, grades: dict[Unit, tuple[str, str]]) -> None:
    """Approved (frozen) results written as plain rows: unit → (grade, composite)."""
    for unit, (grade, score) in grades.items():
        enrollment = Enrollment.objects.get(campaign=campaign, unit=unit)
        UnitResult.objects.update_or_create(
            enrollment=enrollment,
            defaults={
                "campaign": campaign,
                "grade": grade,
                "composite": Decimal(score),
                "rank": 1,
                "frozen": True,
            },
        )


def build_world() -> HonoursWorld:
    committee = CommitteeFactory(name="评优工委", code="honours")
    unit_a = UnitFactory(committee=committee, name="甲单位", short_name="甲")
    unit_b = UnitFactory(committee=committee, name="乙单位", short_name="乙")
    other = CommitteeFactory(name="外工委", code="other-honours")
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
    campaign = active_campaign(
        committee=committee,
        version=small_version(),
        admin=users["committee_admin"],
        name="2025年度模范机关创建",
        year=2025,
    )
    approve(campaign, {unit_a: ("优秀", "95"), unit_b: ("一般", "70")})
    secretary = MemberFactory(unit=unit_a, name="甲书记", post="支部书记")
    org_a = PartyOrgFactory(unit=unit_a, name="甲第一党支部", secretary=secretary)
    carded_org = PartyOrgFactory(unit=unit_a, name="甲第二党支部", secretary=secretary)
    yellow_card_issue(
        party_org=carded_org,
        reasons="组织生活不正常",
        problems=["组织生活不正常"],
        actor=actor_for(users["committee_admin"]),
    )
    member_a = MemberFactory(unit=unit_a, party_org=org_a, name="甲党员", post="党务干事")
    return HonoursWorld(
        committee, unit_a, unit_b, campaign, org_a, carded_org, member_a, users, other, other_unit
    )


def programme(
    w: HonoursWorld, committee: Committee | None = None, **values: Any
) -> HonourProgramme:
    """A programme created by the committee's admin (the other committee's by its own)."""
    committee = committee or w.committee
    admin = w.users["committee_admin" if committee == w.committee else "other_admin"]
    fields = {"name": "优秀共产党员", "kind": "person", "year": 2026, "quota_value": 2}
    fields.update(values)
    return services.programme_create(committee=committee, values=fields, actor=actor_for(admin))


def open_programme(p: HonourProgramme, admin: User) -> HonourProgramme:
    return services.programme_transition(programme=p, action="open", actor=actor_for(admin))


def nominate(p: HonourProgramme, unit: Unit, user: User, **candidate: Any) -> Nomination:
    return writes.nomination_create(
        programme=p, unit=unit, statement="事迹突出", actor=actor_for(user), **candidate
    )


def fuzz_objects(
    committee: Committee, unit: Unit, admin: User, owner: User, objector: User
) -> dict[str, list[int]]:
    """One programme in each state with a nomination of `unit` (by its 联络员 `owner`), an
    objection pending on the 公示 list, an expert panel drawn (the committee needs a reviewer):
    ids for the fuzz sweep (tests/core/test_fuzz_inputs.py)."""
    actor = actor_for(admin)

    def run(name: str, steps: int) -> tuple[HonourProgramme, Nomination | None]:
        p = services.programme_create(
            committee=committee,
            values={"name": name, "kind": "person", "year": 2026, "quota_value": 1},
            actor=actor,
        )
        if not steps:
            return p, None
        p = services.programme_transition(programme=p, action="open", actor=actor)
        member = MemberFactory(unit=unit, name=f"{name}候选人")
        n = nominate(p, unit, owner, member=member)
        if steps > 1:
            p = services.programme_transition(programme=p, action="review", actor=actor)
        if steps > 2:
            writes.nomination_review(nomination=n, score=Decimal(90), note="", actor=actor)
            p = services.programme_transition(programme=p, action="publish", actor=actor)
        if steps > 3:
            p.publicity_end = p.publicity_start
            p.save()
            p = services.programme_transition(
                programme=p,
                action="name",
                actor=actor,
                document_number="工委〔2026〕1号",
                today=p.publicity_end,
            )
        return p, n

    draft, _none = run("草稿评选", 0)
    nominating, n1 = run("推荐中评选", 1)
    reviewing, n2 = run("评审中评选", 2)
    public, n3 = run("公示中评选", 3)
    named, n4 = run("已命名评选", 4)
    assert n1 and n2 and n3 and n4
    objection = writes.objection_lodge(nomination=n3, text="异议", actor=actor_for(objector))
    # an expert panel of one of the committee's reviewers on the programme under review
    expert_panel = panel_draw(programme=reviewing, size=1, blind=True, seed="fuzz", actor=actor)
    return {
        "panels": [expert_panel.pk],
        "programmes": [nominating.pk, reviewing.pk, public.pk, named.pk, draft.pk],
        "nominations": [n2.pk, n3.pk, n4.pk, n1.pk],
        "objections": [objection.pk],
        "public": [public.pk, named.pk, draft.pk],  # the public 公示 page (a draft: 404)
    }
