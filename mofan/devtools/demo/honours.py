"""Demo honours for `load_demo` (issue 16 point 6): the demo committee's 七一 selections.

Last year's (2019) are complete: the committee opened them, seven (six) units put a candidate
forward, nominations closed, the committee scored every candidate and recorded the replies of
纪检监察 (one of them a veto, on the top-scored candidate, who is therefore not named), published
the 公示 list, resolved an objection lodged during 公示 (not upheld) and named the selected with
a document number; one 优秀共产党员 honour was revoked the following spring. This year's (2020,
the year of the demo campaigns and ledger) are taking nominations: unit001 has put one of its
two 优秀共产党员 candidates forward and nothing yet for 先进基层党组织, some other units have
nominated, most have not, so unit001_admin and gw_admin both see work waiting.

Everything goes through the services (`honours.services`, `honours.nominations`), with the dates
of last year passed as their `today`, so the audit trail, the notices and every check are the
real ones. The units with a demo liaison account (unit001, unit002) nominate as that account;
the others as the committee's administrator holding the unit's liaison role for the load (a
loading shortcut, as in `demo/ledger.py`: in real use each unit's own 联络员 nominates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.devtools.demo.ledger import YEAR
from mofan.honours import nominations as writes
from mofan.honours import services
from mofan.honours.models import HonourKind, HonourProgramme, Nomination, VetoSource
from mofan.organizations.models import (
    Committee,
    Member,
    PartyOrganization,
    PartyOrgKind,
    PoliticalStatus,
    Unit,
)

LAST_YEAR = YEAR - 1
THIS_YEAR = YEAR
PERSON = "“七一”表彰：优秀共产党员"
PARTY_ORG = "“七一”表彰：先进基层党组织"

# Last year's 优秀共产党员: the committee's score of each nominating unit's candidate (by the
# unit's position in annex 1), the one vetoed by 纪检监察 (the top score: without the veto it
# would be named), and the one revoked the following spring.
PERSON_SCORES = (93, 88, 95, 81, 90, 76, 85)
PERSON_QUOTA = 4
VETOED = 2
REVOKED = 6
OBJECTED = 4  # an objection lodged against this one during 公示, not upheld
ORG_SCORES = (91, 86, 89, 79, 84, 82)
ORG_QUOTA = 3
# Last year's calendar: 公示 from 20 June for 5 days, an objection on 22 June, naming on
# 28 June, the revocation the following March.
PUBLISHED_ON = dt.date(LAST_YEAR, 6, 20)
OBJECTED_ON = dt.date(LAST_YEAR, 6, 22)
NAMED_ON = dt.date(LAST_YEAR, 6, 28)
REVOKED_ON = dt.date(THIS_YEAR, 3, 16)
# This year's nominations so far, by the unit's position in annex 1 → how many candidates.
THIS_YEAR_PERSONS = {0: 1, 1: 2, 3: 1, 5: 1}
THIS_YEAR_ORGS = {1: 1, 4: 1, 6: 1}

MATERIALS_PERSON = "推荐审批表；个人先进事迹材料（1500字以内）；所在党组织意见。"
MATERIALS_ORG = "推荐审批表；先进事迹材料（3000字以内）；近一年“三会一课”开展情况。"
PERSON_STATEMENTS = (
    "该同志理想信念坚定，带头学习贯彻党的创新理论，在急难险重任务中冲锋在前，群众公认。",
    "该同志爱岗敬业、勤勉务实，牵头完成多项重点工作，严守纪律规矩，发挥了先锋模范作用。",
    "该同志积极参加组织生活，热心服务群众，在疫情防控和创建工作中表现突出。",
)
ORG_STATEMENTS = (
    "该支部“三会一课”制度落实到位，主题党日活动特色鲜明，党建与业务深度融合。",
    "该支部班子团结、制度健全，党员教育管理规范，在创建模范机关工作中成效明显。",
)


@dataclass(frozen=True)
class _Cast:
    committee: Committee
    units: list[Unit]
    admin: Actor
    liaisons: dict[int, Actor]  # unit id → the unit's own demo liaison
    objector: Actor

    def liaison(self, unit: Unit) -> Actor:
        """The unit's demo liaison, or the committee's administrator acting as one."""
        own = self.liaisons.get(unit.pk)
        if own is not None:
            return own
        roles = frozenset({Role.UNIT_ADMIN})
        return Actor(user=self.admin.user, roles=roles, unit_roles={unit.pk: roles})


def load_demo_honours(committee: Committee) -> list[HonourProgramme]:
    """The demo committee's 七一 selections: last year's two named, this year's two taking
    nominations. Returns them in that order."""
    liaisons = {}
    for username in ("unit001_admin", "unit002_admin"):
        actor = actor_for(User.objects.get(username=username))
        liaisons.update({uid: actor for uid in actor.units_with(Role.UNIT_ADMIN)})
    cast = _Cast(
        committee=committee,
        units=list(Unit.objects.filter(committee=committee).order_by("sort_order")),
        admin=actor_for(User.objects.get(username="gw_admin")),
        liaisons=liaisons,
        objector=actor_for(User.objects.get(username="unit002_admin")),
    )
    return [
        _last_year_persons(cast),
        _last_year_orgs(cast),
        _this_year_persons(cast),
        _this_year_orgs(cast),
    ]


def _create(cast: _Cast, year: int, name: str, **values: Any) -> HonourProgramme:
    programme = services.programme_create(
        committee=cast.committee,
        values={
            "name": f"{year}年度{name}",
            "year": year,
            "publicity_days": 5,
            "publicity_contact": "工委组织部，电话 0391-0000000（工作日 8:30—17:30），"
            "地址：市委大院3号楼302室",
            **values,
        },
        actor=cast.admin,
    )
    return services.programme_transition(programme=programme, action="open", actor=cast.admin)


def _party_members(unit: Unit) -> list[Member]:
    return list(
        Member.objects.filter(unit=unit, political_status=PoliticalStatus.CPC_MEMBER).order_by("pk")
    )


def _branches(unit: Unit) -> list[PartyOrganization]:
    return list(
        PartyOrganization.objects.filter(unit=unit, kind=PartyOrgKind.BRANCH).order_by(
            "sort_order", "pk"
        )
    )


def _nominate(
    cast: _Cast,
    programme: HonourProgramme,
    index: int,
    pick: int,
) -> Nomination:
    """The unit at `index` in annex 1 puts forward its `pick`-th candidate (a party member of
    its roster, or one of its branches)."""
    unit = cast.units[index]
    if programme.kind == HonourKind.PERSON:
        people = _party_members(unit)
        return writes.nomination_create(
            programme=programme,
            unit=unit,
            member=people[pick % len(people)],
            statement=PERSON_STATEMENTS[(index + pick) % len(PERSON_STATEMENTS)],
            actor=cast.liaison(unit),
        )
    branches = _branches(unit)
    return writes.nomination_create(
        programme=programme,
        unit=unit,
        party_org=branches[pick % len(branches)],
        statement=ORG_STATEMENTS[(index + pick) % len(ORG_STATEMENTS)],
        actor=cast.liaison(unit),
    )


def _review(
    cast: _Cast, nominations: list[Nomination], scores: tuple[int, ...], vetoed: int | None
) -> None:
    """The committee scores every candidate and records 纪检监察's reply on each (a veto on
    `vetoed`, with its document)."""
    for position, (nomination, score) in enumerate(zip(nominations, scores, strict=True)):
        writes.nomination_review(
            nomination=nomination,
            score=Decimal(score),
            note="事迹突出，材料翔实。" if score >= 85 else "事迹较为一般。",
            actor=cast.admin,
        )
        veto = position == vetoed
        writes.veto_record(
            nomination=nomination,
            source=VetoSource.DISCIPLINE,
            vetoes=veto,
            document="焦直纪函〔2019〕12号",
            note="该同志在处分影响期内，不宜评先评优。" if veto else "无不同意见。",
            actor=cast.admin,
        )


def _complete(
    cast: _Cast,
    programme: HonourProgramme,
    scores: tuple[int, ...],
    vetoed: int | None,
) -> list[Nomination]:
    """Nominations from the first units of annex 1, review and 公示 on last year's dates.
    Returns the nominations in the units' order."""
    nominations = [_nominate(cast, programme, index, 2) for index in range(len(scores))]
    services.programme_transition(programme=programme, action="review", actor=cast.admin)
    _review(cast, nominations, scores, vetoed)
    services.programme_transition(
        programme=programme, action="publish", actor=cast.admin, today=PUBLISHED_ON
    )
    return nominations


def _last_year_persons(cast: _Cast) -> HonourProgramme:
    programme = _create(
        cast,
        LAST_YEAR,
        PERSON,
        kind=HonourKind.PERSON,
        quota_value=PERSON_QUOTA,
        materials=MATERIALS_PERSON,
    )
    nominations = _complete(cast, programme, PERSON_SCORES, VETOED)
    objection = writes.objection_lodge(
        nomination=nominations[OBJECTED],
        text="反映该同志所在科室年度考核中有群众意见，请予核实。",
        actor=cast.objector,
        today=OBJECTED_ON,
    )
    writes.objection_resolve(
        objection=objection,
        upheld=False,
        resolution="经核查，所反映情况系工作分歧，不影响评选，异议不成立。",
        actor=cast.admin,
    )
    programme = services.programme_transition(
        programme=programme,
        action="name",
        actor=cast.admin,
        document_number="焦直工〔2019〕21号",
        today=NAMED_ON,
    )
    writes.honour_revoke(
        nomination=nominations[REVOKED],
        reason="该同志因违反工作纪律受到党内警告处分，按规定撤销其“优秀共产党员”称号。",
        document="焦直工〔2020〕9号",
        actor=cast.admin,
        today=REVOKED_ON,
    )
    return programme


def _last_year_orgs(cast: _Cast) -> HonourProgramme:
    programme = _create(
        cast,
        LAST_YEAR,
        PARTY_ORG,
        kind=HonourKind.PARTY_ORG,
        quota_value=ORG_QUOTA,
        materials=MATERIALS_ORG,
    )
    _complete(cast, programme, ORG_SCORES, None)
    return services.programme_transition(
        programme=programme,
        action="name",
        actor=cast.admin,
        document_number="焦直工〔2019〕22号",
        today=NAMED_ON,
    )


def _this_year_persons(cast: _Cast) -> HonourProgramme:
    """Taking nominations, two per unit, 30 % of the nominations to be named: unit001 has put
    one forward (one place left), unit002 both, two more units one each."""
    programme = _create(
        cast,
        THIS_YEAR,
        PERSON,
        kind=HonourKind.PERSON,
        quota_kind="share",
        quota_value=30,
        per_unit_limit=2,
        materials=MATERIALS_PERSON,
    )
    for index, count in THIS_YEAR_PERSONS.items():
        for pick in range(count):
            _nominate(cast, programme, index, 3 + pick)  # last year's was the third
    return programme


def _this_year_orgs(cast: _Cast) -> HonourProgramme:
    """Taking nominations, one per unit: three units have put a branch forward, unit001 not
    yet."""
    programme = _create(
        cast,
        THIS_YEAR,
        PARTY_ORG,
        kind=HonourKind.PARTY_ORG,
        quota_value=10,
        materials=MATERIALS_ORG,
    )
    for index, count in THIS_YEAR_ORGS.items():
        for pick in range(count):
            _nominate(cast, programme, index, pick)
    return programme
