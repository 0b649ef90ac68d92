"""Demo data: the committee of seed 001 with its 70 units (annex 1), a party organisation tree
and a few members per unit, and one account for every role.

Loading is idempotent: once the demo committee exists nothing is touched again, so whatever
users changed survives a second `make run`.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db import transaction
from django.utils import timezone

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.devtools.demo.appraisals import load_demo_appraisals
from mofan.devtools.demo.campaigns import load_demo_campaigns
from mofan.devtools.demo.cases import load_demo_cases
from mofan.devtools.demo.honours import load_demo_honours
from mofan.devtools.demo.ledger import load_demo_ledger
from mofan.devtools.demo.surveys import load_demo_survey
from mofan.organizations.models import (
    Committee,
    Member,
    PartyOrganization,
    PartyOrgKind,
    Unit,
)
from mofan.organizations.validators import credit_code_check_char

# Known to the demo only; `load_demo` does not exist in production (mofan.devtools is not
# installed there), and `check --deploy` fails while any demo account exists there.
DEMO_PASSWORD = "Mofan@2026"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    unit_index: int | None = None  # position in annex 1, 0-based
    member: bool = False  # linked to a member record of the unit


DEMO_ACCOUNTS = [
    DemoAccount("gw_admin", "王建国", Role.COMMITTEE_ADMIN),
    DemoAccount("gw_leader", "李志刚", Role.COMMITTEE_LEADER),
    DemoAccount("gw_security", "赵敏", Role.SECURITY_ADMIN),
    DemoAccount("gw_auditor", "孙丽", Role.AUDITOR),
    DemoAccount("reviewer1", "周强", Role.REVIEWER),
    DemoAccount("reviewer2", "吴静", Role.REVIEWER),
    DemoAccount("unit001_admin", "郑晓燕", Role.UNIT_ADMIN, 0),
    DemoAccount("unit001_leader", "陈光明", Role.UNIT_LEADER, 0),
    DemoAccount("unit001_member", "刘洋", Role.MEMBER, 0, member=True),
    DemoAccount("unit002_admin", "黄丽娟", Role.UNIT_ADMIN, 1),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = [
    "建华",
    "秀英",
    "志强",
    "丽娟",
    "国庆",
    "海燕",
    "文博",
    "晓明",
    "春梅",
    "立新",
    "红霞",
    "卫东",
    "雪梅",
    "永刚",
    "静怡",
    "振华",
    "玉兰",
    "明辉",
    "佳琪",
    "德胜",
]
POSTS = ["党组书记", "机关党委书记", "办公室主任", "科长", "副科长", "一级科员"]


def load_units() -> dict[str, Any]:
    data = resources.files("mofan.devtools.demo").joinpath("data/jiaozuo_units.json").read_text()
    result: dict[str, Any] = json.loads(data)
    return result


def demo_credit_code(index: int) -> str:
    body = f"11410800MB{index + 1:07d}"
    return body + credit_code_check_char(body)


def _person(seed: int) -> tuple[str, str]:
    name = SURNAMES[seed * 7 % len(SURNAMES)] + GIVEN[seed * 3 % len(GIVEN)]
    return name, "1" if seed % 2 == 0 else "2"


def demo_exists() -> bool:
    return Committee.objects.filter(code="jiaozuo").exists()


@dataclass(frozen=True)
class TopOrg:
    """The party organisation above a unit's branches."""

    kind: str
    suffix: str  # after the unit's name
    term_years: int
    branches: int


# By a unit's position in annex 1, modulo 3: a 机关党委 over three branches, a 机关党总支 over
# two, or a lone branch.
TOP_ORGS: tuple[TopOrg | None, ...] = (
    TopOrg(PartyOrgKind.ORGAN_COMMITTEE, "机关党委", 5, 3),
    TopOrg(PartyOrgKind.GENERAL_BRANCH, "机关党总支", 3, 2),
    None,
)
MEMBERS_PER_UNIT = 4


@transaction.atomic
def load_demo(*, campaigns: bool = True) -> Committee | None:
    """Create the demo data; return None (and touch nothing) when it exists already."""
    if demo_exists():
        return None
    data = load_units()
    spec = data["committee"]
    committee = Committee.objects.create(
        name=spec["name"], short_name=spec["short_name"], code=spec["code"]
    )
    units = _units(committee, data["units"])
    today = timezone.localdate()
    for index, unit in enumerate(units):
        top, branches = _party_orgs(unit, index, today)
        _members(unit, index, top, branches)
    for account in DEMO_ACCOUNTS:
        _account(committee, units, account)
    load_demo_ledger(committee, units)
    audit_record(
        action="demo.load",
        actor_name="load_demo",
        target=committee,
        extra={
            "units": len(units),
            "party_orgs": PartyOrganization.objects.filter(unit__committee=committee).count(),
            "members": Member.objects.filter(unit__committee=committee).count(),
            "accounts": [a.username for a in DEMO_ACCOUNTS],
        },
    )
    if campaigns:
        load_demo_campaigns(committee)
        load_demo_honours(committee)
        load_demo_appraisals(committee)
        load_demo_survey(committee)
        load_demo_cases(committee)
    return committee


def _units(committee: Committee, rows: list[dict[str, Any]]) -> list[Unit]:
    """The units of annex 1, in its order."""
    Unit.objects.bulk_create(
        Unit(
            committee=committee,
            name=row["name"],
            category=row["category"],
            credit_code=demo_credit_code(index),
            sort_order=index + 1,
        )
        for index, row in enumerate(rows)
    )
    return list(Unit.objects.filter(committee=committee).order_by("sort_order"))


def _party_orgs(
    unit: Unit, index: int, today: datetime.date
) -> tuple[PartyOrganization | None, list[PartyOrganization]]:
    """The unit's top organisation (if any), its branches and a party group in the first."""
    # Elections spread so that some are overdue and some due within 90 days.
    elected = today - datetime.timedelta(days=200 + (index * 37) % 1000)
    spec = TOP_ORGS[index % len(TOP_ORGS)]
    top = None
    branch_count = 1
    if spec is not None:
        top = PartyOrganization.objects.create(
            unit=unit,
            kind=spec.kind,
            name=f"{unit.name}{spec.suffix}",
            elected_on=elected,
            term_years=spec.term_years,
        )
        branch_count = spec.branches
    branches = []
    for b in range(branch_count):
        branch = PartyOrganization.objects.create(
            unit=unit,
            parent=top,
            kind=PartyOrgKind.BRANCH,
            name=f"{unit.name}第{'一二三'[b]}党支部" if branch_count > 1 else f"{unit.name}党支部",
            sort_order=b + 1,
            elected_on=elected + datetime.timedelta(days=30 * b),
            term_years=3,
        )
        branches.append(branch)
    PartyOrganization.objects.create(
        unit=unit,
        parent=branches[0],
        kind=PartyOrgKind.GROUP,
        name=f"{branches[0].name}第一党小组",
        sort_order=1,
    )
    return top, branches


def _members(
    unit: Unit, index: int, top: PartyOrganization | None, branches: list[PartyOrganization]
) -> None:
    """MEMBERS_PER_UNIT members spread over the branches; every organisation's secretary and
    committee members among them."""
    members = []
    for m in range(MEMBERS_PER_UNIT):
        seed = index * MEMBERS_PER_UNIT + m + 1
        name, gender = _person(seed)
        members.append(
            Member(
                unit=unit,
                party_org=branches[m % len(branches)],
                name=name,
                gender=gender,
                birth_date=datetime.date(1965 + seed % 30, 1 + seed % 12, 1 + seed % 28),
                political_status="02" if m == 3 and index % 5 == 0 else "01",
                post=POSTS[m % len(POSTS)],
                phone=f"139{index:04d}{m:04d}",
            )
        )
    Member.objects.bulk_create(members)
    members = list(Member.objects.filter(unit=unit).order_by("id"))
    for org in [o for o in (top, *branches) if o is not None]:
        local = [mm for mm in members if mm.party_org_id == org.pk] or members
        org.secretary = local[0]
        org.save(update_fields=["secretary"])
        org.committee_members.set(members[:3] if org.parent_id is None else local[:2])


def _account(committee: Committee, units: list[Unit], account: DemoAccount) -> None:
    """A demo account with its role (and, for a member, its member record)."""
    home = units[account.unit_index] if account.unit_index is not None else None
    user = User(
        username=account.username,
        full_name=account.full_name,
        committee=committee,
        must_change_password=False,
        password_changed_at=timezone.now(),
        is_demo=True,
    )
    if account.member and home is not None:
        member = Member.objects.create(
            unit=home,
            party_org=PartyOrganization.objects.filter(unit=home, kind=PartyOrgKind.BRANCH).first(),
            name=account.full_name,
            gender="1",
            political_status="01",
            post="一级科员",
        )
        user.member = member
    user.set_password(DEMO_PASSWORD)
    user.save()
    RoleAssignment.objects.create(user=user, role=account.role, committee=committee, unit=home)
