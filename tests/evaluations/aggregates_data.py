"""A synthetic campaign of any size for the aggregate tests and the recompute measurement:
plain bulk-created rows (units, enrollments in every state, self and consolidated scores on
every scored leaf, some veto inputs). Not a seed for the application (see `seed_scale`)."""

from __future__ import annotations

import random
from decimal import Decimal

from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.campaigns.services import campaign_create
from mofan.evaluations.models import ConsolidatedScore, SelfScore, VetoInput
from mofan.indicators.builtin import builtin_document
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.indicators.services import system_import
from mofan.organizations.models import Committee, Unit
from tests.factories import make_user

S = EnrollmentState
STATES = (S.NOT_STARTED, S.IN_PROGRESS, S.SUBMITTED, S.REVIEWED, S.APPROVED)
BATCH = 5000


def yueqing() -> IndicatorVersion:
    """The 乐清 template (about 60 scored sub-points), loaded once per database."""
    existing = IndicatorVersion.objects.filter(system__slug="yueqing-2020").first()
    if existing is not None:
        return existing
    return system_import(
        doc=builtin_document("yueqing-2020"), committee=None, actor=None, publish=True
    )


def _leaf_row(node: IndicatorNode, rng: random.Random) -> dict[str, object]:
    kind = node.method.get("type")
    if kind == "veto":
        return {"score": None, "level": "", "veto": rng.random() < 0.01}
    if kind == "qualitative":
        labels = ["达标", "基本达标", "未达标"]
        return {"score": None, "level": rng.choice(labels), "veto": False}
    top = node.points or Decimal(10)
    halves = int(top * 2)
    return {"score": Decimal(rng.randint(halves // 2, halves)) / 2, "level": "", "veto": False}


def synthetic_campaign(
    units: int,
    *,
    seed: int = 7,
    version: IndicatorVersion | None = None,
    code: str = "agg",
    all_reviewed: bool = False,
) -> Campaign:
    """A committee with `units` units and an active campaign on `version` (default 乐清) whose
    enrollments cycle through the states (or are all reviewed): units past submission have
    every self score, reviewed and approved units every consolidated score."""
    rng = random.Random(seed)
    version = version or yueqing()
    committee = Committee.objects.create(name=f"规模测试工委{code}", code=code)
    Unit.objects.bulk_create(
        (
            Unit(committee=committee, name=f"单位{i:05d}", short_name=f"{i}", sort_order=i)
            for i in range(units)
        ),
        batch_size=BATCH,
    )
    campaign = campaign_create(
        committee=committee, name="规模测试", year=2024, version=version, actor=None
    )
    leaves = [
        n
        for n in IndicatorNode.objects.filter(version=version)
        if not IndicatorNode.objects.filter(parent=n).exists()
    ]
    enrollments = list(Enrollment.objects.filter(campaign=campaign).order_by("pk"))
    user = make_user(Role.UNIT_ADMIN, unit=Unit.objects.filter(committee=committee).first())
    reviewed_states = (S.REVIEWED, S.APPROVED)
    own: list[SelfScore] = []
    final: list[ConsolidatedScore] = []
    vetoes: list[VetoInput] = []
    for i, enrollment in enumerate(enrollments):
        state = S.REVIEWED if all_reviewed else STATES[i % len(STATES)]
        enrollment.state = state
        if state == S.NOT_STARTED:
            continue
        for node in leaves:
            if state == S.IN_PROGRESS and rng.random() < 0.3:
                continue
            own.append(
                SelfScore(enrollment=enrollment, node=node, updated_by=user, **_leaf_row(node, rng))
            )
            if state in reviewed_states:
                final.append(
                    ConsolidatedScore(enrollment=enrollment, node=node, **_leaf_row(node, rng))
                )
        if i % 17 == 3:
            vetoes.append(
                VetoInput(
                    enrollment=enrollment,
                    source="audit",
                    vetoed=True,
                    opinion="x",
                    recorded_by=user,
                )
            )
        if len(own) > BATCH * 4:
            SelfScore.objects.bulk_create(own, batch_size=BATCH)
            ConsolidatedScore.objects.bulk_create(final, batch_size=BATCH)
            own, final = [], []
    SelfScore.objects.bulk_create(own, batch_size=BATCH)
    ConsolidatedScore.objects.bulk_create(final, batch_size=BATCH)
    VetoInput.objects.bulk_create(vetoes)
    Enrollment.objects.bulk_update(enrollments, ["state"], batch_size=BATCH)
    return campaign
