"""The demo committee's activity ledger (issue 15 point 5): a year (2020, the demo campaigns'
year) of records for every unit's party organisations and members (`devtools.ledger_fill`),
some units short of a rule on purpose, so that the figures the self-evaluation pages show differ
between units. A unit with a demo liaison account (unit001, unit002) has its records entered by
that account; the others by the committee's administrator (a loading shortcut: in real use each
unit's liaison or its members enter their own)."""

from __future__ import annotations

import random

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign
from mofan.devtools.ledger_fill import Shortfalls, fill_ledger, leadership_from_roll
from mofan.evaluations.ledger_figures import ledger_figures_refresh
from mofan.organizations.models import Committee, Unit

YEAR = 2020
SEED = 15
# Positions in annex 1 (0-based). The second unit (a 党总支 over two branches, in both demo
# campaigns) is short of the 集体学习 rule of the 乐清 template: its first branch held 9.
SHORT_STUDY_UNIT = 1
DEMO_SHORTFALLS = Shortfalls(
    study=frozenset({SHORT_STUDY_UNIT, 10, 31}),
    sihua=frozenset({7, 44}),
    visits=frozenset({2, 9, 23, 50}),
    reports=frozenset({3, 20, 61}),
    training=frozenset({5, 38}),
)


def load_demo_ledger(committee: Committee, units: list[Unit]) -> dict[str, int]:
    admin = User.objects.get(username="gw_admin")
    liaisons = {
        a.unit_id: a.user
        for a in RoleAssignment.objects.filter(
            committee=committee, role=Role.UNIT_ADMIN, user__is_demo=True
        ).select_related("user")
        if a.unit_id is not None
    }
    return fill_ledger(
        committee=committee,
        unit_ids=[u.pk for u in units],
        year=YEAR,
        rng=random.Random(SEED),
        author=admin,
        authors=liaisons,
        shortfalls=DEMO_SHORTFALLS,
        action="demo.ledger",
    )


def demo_figures(campaign: Campaign) -> int:
    """The units' 创建领导小组 (from their rolls) and the figures computed from the ledger, as
    the services' events leave them; how many enrolments have figures."""
    leadership_from_roll(campaign)
    return ledger_figures_refresh(campaign=campaign)
