"""The organisations of the scale seed (`devtools.scale`): N units, one party branch each and
its members (the first is the branch's secretary), written in bulk with one audit entry."""

from __future__ import annotations

import datetime
import random
import time

from django.db.models import Min

from mofan.audit.services import audit_record
from mofan.devtools.scale_bulk import BATCH, Digest, Timer, insert, keys_checked_once
from mofan.organizations.models import (
    Committee,
    Gender,
    Member,
    PartyOrganization,
    PartyOrgKind,
    Unit,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
POSTS = ("科员", "副科长", "科长", "副主任", "主任", "干部")


def organizations(
    committee: Committee, units: int, members_per_unit: int, rng: random.Random, timer: Timer
) -> tuple[list[int], int]:
    """Units, one party branch each and its members (the first is its secretary)."""
    started = time.perf_counter()
    with keys_checked_once(Unit, PartyOrganization, Member):
        unit_ids = _units(committee, units)
        org_of = _branches(committee, unit_ids)
        digest = _members(unit_ids, org_of, members_per_unit, rng)
        _secretaries(committee)
    audit_record(
        action="scale.seed.organizations",
        actor_name="seed_scale",
        target=committee,
        committee_id=committee.pk,
        extra={
            "units": units,
            "party_orgs": len(org_of),
            "members": digest.rows,
            "sha256": digest.hexdigest,
        },
    )
    timer.add("organizations", started)
    return unit_ids, digest.rows


def _units(committee: Committee, units: int) -> list[int]:
    """The units, numbered from 1; their ids in that order."""
    insert(
        Unit,
        [
            Unit(committee=committee, name=f"规模单位{i:05d}", short_name=f"单位{i}", sort_order=i)
            for i in range(1, units + 1)
        ],
    )
    return list(
        Unit.objects.filter(committee=committee).order_by("sort_order").values_list("pk", flat=True)
    )


def _branches(committee: Committee, unit_ids: list[int]) -> dict[int, int]:
    """One party branch a unit; the branch's id by unit id."""
    insert(
        PartyOrganization,
        [
            PartyOrganization(
                unit_id=unit_id,
                kind=PartyOrgKind.BRANCH,
                name=f"规模单位{i:05d}机关党支部",
                elected_on=datetime.date(2023 + i % 3, 1 + i % 12, 1 + i % 28),
                election_due_on=datetime.date(2026 + i % 3, 1 + i % 12, 1 + i % 28),
            )
            for i, unit_id in enumerate(unit_ids, start=1)
        ],
    )
    return dict(
        PartyOrganization.objects.filter(unit__committee=committee).values_list("unit_id", "pk")
    )


def _members(
    unit_ids: list[int], org_of: dict[int, int], members_per_unit: int, rng: random.Random
) -> Digest:
    """`members_per_unit` members a unit, in its branch; the digest of the rows written."""
    digest = Digest()
    members: list[Member] = []
    for i, unit_id in enumerate(unit_ids, start=1):
        for j in range(members_per_unit):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if j % 2 else "")
            gender = Gender.MALE if rng.random() < 0.55 else Gender.FEMALE
            born = datetime.date(1965 + rng.randrange(35), 1 + rng.randrange(12), 1 + j % 28)
            members.append(
                Member(
                    unit_id=unit_id,
                    party_org_id=org_of[unit_id],
                    name=name,
                    gender=gender,
                    birth_date=born,
                    post=POSTS[j % len(POSTS)],
                    # Derived from (i, j), so the digest below already covers it.
                    phone=f"13{i % 100_000:05d}{j % 10_000:04d}",
                )
            )
            digest.add(i, j, name, gender, born)
        if len(members) >= BATCH:
            insert(Member, members)
            members = []
    insert(Member, members)
    return digest


def _secretaries(committee: Committee) -> None:
    """The first member of each branch is its secretary. One grouped scan, then a bulk update: a
    correlated subquery per row is planned as a sequential scan on PostgreSQL's fresh,
    un-analysed tables (minutes at 20,000 units)."""
    first = dict(
        Member.objects.filter(unit__committee=committee)
        .values("party_org")
        .annotate(first=Min("pk"))
        .values_list("party_org", "first")
    )
    PartyOrganization.objects.bulk_update(
        [PartyOrganization(pk=org, secretary_id=member) for org, member in first.items()],
        ["secretary"],
        batch_size=1000,
    )
