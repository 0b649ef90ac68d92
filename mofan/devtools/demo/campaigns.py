"""Demo campaigns for `load_demo`: the 2020 campaign of seed 001 on `jiaozuo-2020`, caught in
the middle of the review, and a finished campaign on `yueqing-2020` with published results, so
that every demo role has something real to look at. Everything goes through the services."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.campaigns.services import campaign_activate, campaign_create
from mofan.devtools.demo.ledger import demo_figures
from mofan.devtools.demo.supervision import load_demo_supervision
from mofan.devtools.simulate import (
    actor_of,
    builtin_version,
    fill_self,
    review_and_consolidate,
)
from mofan.evaluations import approval, review_groups, services
from mofan.evaluations.models import Assignment
from mofan.indicators.builtin import load_templates
from mofan.indicators.models import IndicatorNode
from mofan.indicators.selectors import published_leaves
from mofan.organizations.models import Committee, Unit

SEED = 2020
FINISHED_UNITS = 12  # the yueqing demo campaign enrols the first units of annex 1
# The demo committee sets 达标 at 70 % in the finished campaign, so the weakest units fail and
# show the problem list and re-review that follow.
FINISHED_GRADE_BANDS = [
    {"label": "优秀", "min_ratio": 0.9},
    {"label": "良好", "min_ratio": 0.8},
    {"label": "达标", "min_ratio": 0.7},
    {"label": "不达标", "min_ratio": 0},
]


@dataclass(frozen=True)
class _Cast:
    """Who plays the demo campaigns, and the random numbers they draw."""

    committee: Committee
    admin: Actor
    liaison: Actor
    reviewers: list[User]
    people: dict[int, User]
    rng: random.Random


def _unit_actor(user: User, units: list[Unit]) -> Actor:
    roles = frozenset({Role.UNIT_ADMIN, Role.UNIT_LEADER})
    return Actor(user=user, roles=roles, unit_roles={u.pk: roles for u in units})


def load_demo_campaigns(committee: Committee) -> list[Campaign]:
    rng = random.Random(SEED)
    load_templates()
    admin = actor_of(User.objects.get(username="gw_admin"), committee, Role.COMMITTEE_ADMIN)
    liaison_user = User.objects.get(username="unit001_admin")
    units = list(Unit.objects.filter(committee=committee).order_by("sort_order"))
    reviewers = list(
        User.objects.filter(username__in=["reviewer1", "reviewer2"]).order_by("username")
    )
    cast = _Cast(
        committee=committee,
        admin=admin,
        liaison=_unit_actor(liaison_user, units),
        reviewers=reviewers,
        people={r.pk: r for r in reviewers},
        rng=rng,
    )

    # 1. Finished: 乐清 template, results approved and published.
    finished = _open(
        cast,
        "yueqing-2020",
        "2020年度模范机关创建考评（乐清方案示例）",
        units=units[:FINISHED_UNITS],
        grade_bands=FINISHED_GRADE_BANDS,
    )
    _run_to(finished, cast, submitted=FINISHED_UNITS, reviewed=FINISHED_UNITS, weak=1)
    approval.campaign_approve(campaign=finished, actor=admin)
    approval.campaign_publish(campaign=finished, actor=admin, ranking=False)

    # 2. Mid-review: 焦作 2020 points for all 70 units.
    current = _open(cast, "jiaozuo-2020", "2020年市直机关创建模范机关考评")
    _run_to(current, cast, submitted=30, reviewed=20, started=55)
    load_demo_supervision(committee, finished)
    return [finished, current]


def _open(cast: _Cast, template: str, name: str, **extra: Any) -> Campaign:
    """A 2020 campaign of the committee on the built-in `template`, open until the end of next
    year, activated."""
    next_year_end = timezone.make_aware(
        datetime.datetime(timezone.localdate().year + 1, 12, 31, 23, 59)
    )
    campaign = campaign_create(
        committee=cast.committee,
        name=name,
        year=2020,
        version=builtin_version(template),
        actor=cast.admin,
        approved_by="市委市直机关工委",
        document_title="关于在市直机关开展创建模范机关活动的通知",
        document_number="焦直文〔2020〕140号",
        submission_deadline=next_year_end,
        **extra,
    )
    campaign_activate(campaign=campaign, actor=cast.admin)
    demo_figures(campaign)  # before the self-evaluations, which take the suggested inputs
    return campaign


def _run_to(
    campaign: Campaign,
    cast: _Cast,
    *,
    submitted: int,
    reviewed: int,
    started: int | None = None,
    weak: int = 0,
) -> None:
    """Units in annex order: the first `submitted` submit (skipping the demo liaison's own unit,
    which is left mid-way so the liaison has work to do), the first `reviewed` of those are
    reviewed; up to `started` units have begun filling in. The last `weak` submitting units do
    poorly (below 达标) and get an on-site finding listed as a problem, so that approval gives
    them a problem list and a waiting re-review."""
    leaves = published_leaves(campaign.indicator_version)
    values, weak_ids = _fill_in(
        campaign, leaves, cast, submitted=submitted, started=started, weak=weak
    )
    review_groups.review_group_create(
        campaign=campaign,
        name="第一评审组",
        leader=cast.reviewers[0],
        reviewers=cast.reviewers[1:],
        actor=cast.admin,
    )
    review_groups.assignment_draw(
        campaign=campaign, method="balanced", seed=f"demo-{campaign.pk}", actor=cast.admin
    )
    assignments = (
        Assignment.objects.filter(
            enrollment__campaign=campaign, enrollment__state=EnrollmentState.SUBMITTED
        )
        .select_related("group", "enrollment")
        .order_by("enrollment__unit__sort_order")
    )
    for assignment in list(assignments)[:reviewed]:
        review_and_consolidate(
            assignment=assignment,
            leaves=leaves,
            unit_values=values.get(assignment.enrollment_id, {}),
            people=cast.people,
            committee=cast.committee,
            rng=cast.rng,
            finding=assignment.enrollment_id in weak_ids,
        )


def _fill_in(
    campaign: Campaign,
    leaves: list[IndicatorNode],
    cast: _Cast,
    *,
    submitted: int,
    started: int | None,
    weak: int,
) -> tuple[dict[int, dict[int, dict]], set[int]]:
    """The self-evaluations of `_run_to`; the submitted values by enrolment id and the ids of
    the weak enrolments."""
    liaison, rng = cast.liaison, cast.rng
    enrollments = list(
        Enrollment.objects.filter(campaign=campaign)
        .select_related("unit")
        .order_by("unit__sort_order")
    )
    own_unit = next(iter(liaison.unit_roles))
    finished_all = submitted >= len(enrollments)
    values: dict[int, dict[int, dict]] = {}
    order = [e for e in enrollments if finished_all or e.unit_id != own_unit]
    weak_ids = {e.pk for e in order[:submitted][len(order[:submitted]) - weak :]} if weak else set()
    for index, enrollment in enumerate(order):
        if index < submitted:
            quality = 0.05 if enrollment.pk in weak_ids else rng.random()
            values[enrollment.pk] = fill_self(
                enrollment=enrollment, leaves=leaves, quality=quality, rng=rng, actor=liaison
            )
            services.enrollment_transition(
                enrollment=enrollment, to=EnrollmentState.SUBMITTED, actor=liaison
            )
        elif started is not None and index < started:
            fill_self(
                enrollment=enrollment,
                leaves=leaves,
                quality=rng.random(),
                rng=rng,
                actor=liaison,
                upto=rng.randint(2, max(3, len(leaves) - 2)),
            )
    if not finished_all:
        mine = next(e for e in enrollments if e.unit_id == own_unit)
        fill_self(
            enrollment=mine,
            leaves=leaves,
            quality=0.8,
            rng=rng,
            actor=liaison,
            upto=len(leaves) // 2,
        )
    return values, weak_ids
