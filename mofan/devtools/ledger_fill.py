"""A year of plausible activity-ledger records for the demo and the campaign simulation (issue 15
point 5): 三会一课, 主题党日, study, 联系点调研, volunteer service, training, articles and the
rest, for every party organisation and member of the units given, deterministic for a seed.

Written in bulk (`bulk_create` of records, then of their participations), but as the services
would store them (`activities.services.activity_record_create` / the xlsx import): built-in kinds
only, hours only where the kind asks for them, the theory flag only on kinds that carry it,
people only from the unit's roll (a roster kind: the organisation's members present or absent
with a reason; a one-person kind: that person present), one audit entry for the whole fill
instead of one per record. The figures computed from the ledger are then refreshed by the caller
(`evaluations.ledger_figures.ledger_figures_refresh`), as the services' event would.

Some units are deliberately short of a rule (`Shortfalls`), so that the computed figures differ
between units: a branch with only 9 集体学习 in the year, a branch without its “四化”验收, a
班子成员 with one 联系点调研, one 组织生活情况通报 in the year, a 领导干部 without training; and
in every unit a share of the members with a single 志愿服务.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from mofan.accounts.models import User
from mofan.activities.models import ActivityKind, ActivityRecord, Attendance, Participation
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment, LeadershipMember, LeadershipRole
from mofan.devtools.scale_ledger import ABSENCE_REASONS, spread, topic_of
from mofan.organizations.models import (
    Committee,
    Member,
    PartyOrganization,
    PartyOrgKind,
    PoliticalStatus,
)

SHORT_STUDIES = 9  # 集体学习 of a short branch in the year (the rule asks for 12)
LEADERS = 3  # the first members of a unit's roll lead it (创建领导小组, 联系点, articles)
PARTY = (PoliticalStatus.CPC_MEMBER, PoliticalStatus.CPC_PROBATIONARY)
LEADER_ROLES = (LeadershipRole.LEADER, LeadershipRole.DEPUTY, LeadershipRole.MEMBER)


@dataclass(frozen=True)
class Shortfalls:
    """Units (positions in the list given to `fill_ledger`) short of a rule on purpose."""

    study: frozenset[int] = frozenset()  # the first branch held SHORT_STUDIES 集体学习
    sihua: frozenset[int] = frozenset()  # the last branch has no “四化”达标验收
    visits: frozenset[int] = frozenset()  # the first leader went to the contact point once
    reports: frozenset[int] = frozenset()  # one 组织生活情况通报 (first half year) instead of two
    training: frozenset[int] = frozenset()  # the last leader had no training
    single_volunteer: float = 0.15  # share of party members with one 志愿服务 instead of ≥ 2


@dataclass
class _Unit:
    pk: int
    committee_id: int
    top: int | None = None  # 机关党委 or 党总支
    branches: list[int] = field(default_factory=list)
    groups: list[tuple[int, int | None]] = field(default_factory=list)  # (group, its branch)
    members: list[tuple[int, str, int | None, str]] = field(default_factory=list)
    # (id, name, party organisation, political status), by id


def _structure(unit_ids: Sequence[int]) -> list[_Unit]:
    """The units' organisations and rolls, in the order given: two queries."""
    units = {pk: _Unit(pk, 0) for pk in unit_ids}
    for pk, unit_id, kind, parent, committee_id in (
        PartyOrganization.objects.filter(unit_id__in=units)
        .order_by("sort_order", "pk")
        .values_list("pk", "unit_id", "kind", "parent_id", "unit__committee_id")
    ):
        unit = units[unit_id]
        unit.committee_id = committee_id
        if kind == PartyOrgKind.BRANCH:
            unit.branches.append(pk)
        elif kind == PartyOrgKind.GROUP:
            unit.groups.append((pk, parent))
        elif unit.top is None:
            unit.top = pk
    for row in (
        Member.objects.filter(unit_id__in=units)
        .order_by("pk")
        .values_list("pk", "unit_id", "name", "party_org_id", "political_status")
    ):
        units[row[1]].members.append((row[0], row[2], row[3], row[4]))
    return [units[pk] for pk in unit_ids if units[pk].branches or units[pk].top]


class _Planner:
    """The records of one fill, with their people, before they are written."""

    def __init__(
        self,
        year: int,
        rng: random.Random,
        kinds: dict[str, ActivityKind],
        authors: Callable[[int], User],
    ):
        self.year, self.rng, self.kinds, self.authors = year, rng, kinds, authors
        self.records: list[ActivityRecord] = []
        self.people: list[list[Participation]] = []

    def add(
        self,
        unit: _Unit,
        org: int,
        code: str,
        count: int,
        attendees: Sequence[tuple[int, str]],
        *,
        last_month: int = 12,
    ) -> None:
        kind = self.kinds[code]
        for number, held_on in enumerate(spread(self.year, count, self.rng, last_month), 1):
            hours, theory = self._hours(kind)
            self.records.append(
                ActivityRecord(
                    committee_id=unit.committee_id,
                    unit_id=unit.pk,
                    party_org_id=org,
                    kind=kind,
                    held_on=held_on,
                    topic=topic_of(code, number),
                    hours=hours,
                    political_theory=theory,
                    created_by=self.authors(unit.pk),
                )
            )
            self.people.append(self._attendance(kind, attendees))

    def _hours(self, kind: ActivityKind) -> tuple[Decimal | None, bool | None]:
        hours = None
        if kind.code == "training":
            hours = Decimal(self.rng.choice((8, 16, 24, 40)))
        elif kind.code == "volunteer":
            hours = Decimal(self.rng.choice((2, 3, 4)))
        elif kind.hours != "none":
            hours = Decimal("2.0")
        theory = None
        if kind.theory_flag:
            theory = kind.code != "training" or self.rng.random() < 0.8
        return hours, theory

    def _attendance(
        self, kind: ActivityKind, attendees: Sequence[tuple[int, str]]
    ) -> list[Participation]:
        if kind.attendance == Attendance.PERSON:
            return [Participation(member_id=pk, name=name) for pk, name in attendees]
        if kind.attendance == Attendance.NONE:
            return []
        found = []
        for pk, name in attendees:
            if self.rng.random() < 0.9:
                found.append(Participation(member_id=pk, name=name))
            else:
                reason = self.rng.choice(ABSENCE_REASONS)
                found.append(
                    Participation(member_id=pk, name=name, present=False, absence_reason=reason)
                )
        return found


def _plan(p: _Planner, unit: _Unit, position: int, short: Shortfalls) -> None:
    """A year of one unit's records."""
    rng = p.rng
    roll = [(pk, name) for pk, name, _org, _status in unit.members]
    by_org: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
    for pk, name, org, _status in unit.members:
        by_org[org].append((pk, name))
    for index, branch in enumerate(unit.branches):
        mine = by_org.get(branch) or roll
        studies = 12 + rng.randrange(3)
        if index == 0 and position in short.study:
            studies = SHORT_STUDIES
        for code, count in (
            ("party-congress", 4),
            ("branch-committee", 12),
            ("party-lecture", 4),
            ("theme-day", 12),
            ("collective-study", studies),
            ("democratic-review", 1),
        ):
            p.add(unit, branch, code, count, mine)
        if not (index == len(unit.branches) - 1 and position in short.sihua):
            p.add(unit, branch, "sihua-check", 1, ())
    for group, parent in unit.groups:
        p.add(unit, group, "group-meeting", 6, by_org.get(parent) or roll)
    head = unit.top or unit.branches[0]
    leaders = roll[:LEADERS]
    p.add(unit, head, "first-topic", 12, roll)
    p.add(unit, head, "central-group", 8, leaders)
    p.add(unit, head, "special-study", 4, leaders)
    if position in short.reports:
        p.add(unit, head, "life-report", 1, (), last_month=6)
    else:
        p.add(unit, head, "life-report", 2, ())
    orgs = {pk: org or head for pk, _name, org, _status in unit.members}
    for index, person in enumerate(leaders):
        visits = 2 + rng.randrange(2)
        if index == 0 and position in short.visits:
            visits = 1
        p.add(unit, orgs[person[0]], "contact-visit", visits, [person])
        p.add(unit, orgs[person[0]], "article", 1 + rng.randrange(2), [person])
    untrained = leaders[-1][0] if leaders and position in short.training else None
    for pk, name, _org, status in unit.members:
        if status not in PARTY:
            continue
        single = rng.random() < short.single_volunteer
        p.add(unit, orgs[pk], "volunteer", 1 if single else 2 + rng.randrange(2), [(pk, name)])
        if pk != untrained:
            p.add(unit, orgs[pk], "training", 1 + rng.randrange(2), [(pk, name)])
        p.add(unit, orgs[pk], "heart-talk", 1, [(pk, name)])


@transaction.atomic
def fill_ledger(
    *,
    committee: Committee,
    unit_ids: Sequence[int],
    year: int,
    rng: random.Random,
    author: User,
    shortfalls: Shortfalls | None = None,
    authors: Mapping[int, User] | None = None,
    action: str = "devtools.ledger",
) -> dict[str, int]:
    """A year of records for the units (in this order: `shortfalls` names positions in it),
    recorded by `author` (or, for a unit in `authors`, by its own account); returns the counts
    written."""
    kinds = {k.code: k for k in ActivityKind.objects.filter(committee__isnull=True)}
    own = authors or {}
    planner = _Planner(year, rng, kinds, lambda unit_id: own.get(unit_id, author))
    for position, unit in enumerate(_structure(unit_ids)):
        _plan(planner, unit, position, shortfalls or Shortfalls())
    records = ActivityRecord.objects.bulk_create(planner.records, batch_size=2000)
    people = []
    for record, rows in zip(records, planner.people, strict=True):
        for row in rows:
            row.record_id = int(record.pk)
            people.append(row)
    Participation.objects.bulk_create(people, batch_size=5000)
    counts = {"records": len(records), "participations": len(people)}
    audit_record(
        action=action,
        actor=author,
        target=committee,
        committee_id=committee.pk,
        extra={"year": year, "units": len(unit_ids), **counts},
    )
    return counts


def leadership_from_roll(campaign: Campaign) -> int:
    """The 创建领导小组 of every enrolled unit that has none: the first LEADERS members of its
    roll (组长, 副组长, 成员), as the unit's liaison would enter them; how many rows written."""
    enrollments = dict(
        Enrollment.objects.filter(campaign=campaign, leadership__isnull=True).values_list(
            "unit_id", "pk"
        )
    )
    taken: dict[int, int] = defaultdict(int)
    rows = []
    for unit_id, name, post in (
        Member.objects.filter(unit_id__in=enrollments)
        .order_by("pk")
        .values_list("unit_id", "name", "post")
    ):
        order = taken[unit_id]
        if order < LEADERS:
            rows.append(
                LeadershipMember(
                    enrollment_id=enrollments[unit_id],
                    role=LEADER_ROLES[order],
                    name=name,
                    post=post,
                    order=order + 1,
                )
            )
            taken[unit_id] += 1
    LeadershipMember.objects.bulk_create(rows)
    return len(rows)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
POSTS = ("党组书记", "副局长", "办公室主任", "科长", "副科长", "一级科员")


def give_rolls(units: Sequence[Any], rng: random.Random, members: int = 6) -> None:
    """A party branch and `members` members for each unit without an organisation (the
    simulation's bare units), so their ledger has people to count."""
    organised = set(
        PartyOrganization.objects.filter(unit__in=units).values_list("unit_id", flat=True)
    )
    bare = [u for u in units if u.pk not in organised]
    PartyOrganization.objects.bulk_create(
        PartyOrganization(unit=u, kind=PartyOrgKind.BRANCH, name=f"{u.name}党支部") for u in bare
    )
    branch = dict(PartyOrganization.objects.filter(unit__in=bare).values_list("unit_id", "pk"))
    Member.objects.bulk_create(
        Member(
            unit=u,
            party_org_id=branch[u.pk],
            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            gender="1" if rng.random() < 0.55 else "2",
            birth_date=datetime.date(1965 + rng.randrange(35), 1 + rng.randrange(12), 1 + j),
            political_status=PoliticalStatus.CPC_MEMBER,
            post=POSTS[j % len(POSTS)],
        )
        for u in bare
        for j in range(members)
    )
