"""A campaign with known figures for the dashboard and unit-view tests (issue 6, part 1).

Built on `tests/evaluations/campaign_fixtures.build_world` (units A, B, C of one committee in a
2024 campaign on the small indicator system: 1 政治建设 20 points, 2 清廉建设 10 points, full
marks 30; another committee with its own campaign and unit X), then brought to a known state:

- progress: A and B 已审定, C 已提交, D 未开始, E 填报中 (D and E enrolled here) — so 5 enrolled,
  3 handed in their self-evaluation, 2 approved;
- phases: 自评 in 10 days, 验收 5 days ago, 总结 without a date; submission deadline in 3 days;
- results (approved, not yet published): A 25.50 良好 rank 1 (types 1: 17.50, 2: 8.00; leaves
  1.1 9, 1.2 8.5, 2.1 8), B 18.00 达标 rank 2 (types 1: 12.00, 2: 6.00; leaves 6, 6, 6) — so the
  means per type are 14.75 and 7.00, the mean composite 21.75, and in bins of 3 points A falls
  in 24–27 and B in 18–21;
- problem items of this campaign: A open and overdue, A in progress, A closed (overdue date,
  but closed), B open not yet due, C reported done and overdue — by state open 2, in progress 1,
  reported done 1, closed 1; 4 unclosed, 2 overdue; plus one of A's without a campaign (a
  yellow card), one of the other committee's unit X (which also has an approved result, 29.00);
- earlier campaigns of the committee: 2023 (published) where A had 22.00 达标, and 2022
  (not published) where A had 20.00 达标.

Everything is dated from `TODAY` passed in (the selectors take `today=`); the views use the
real date, so the fixture is built from `timezone.localdate()` for view tests.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentState, Phase
from mofan.evaluations.figures.summary import result_summary_rebuild
from mofan.evaluations.models import ConsolidatedScore, UnitResult
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from tests.evaluations.campaign_fixtures import World, build_world
from tests.factories import UnitFactory

S = EnrollmentState
P = ProblemState


@dataclass
class Dash:
    world: World
    today: datetime.date
    ed: Enrollment
    ee: Enrollment
    result_a: UnitResult
    result_b: UnitResult
    items: dict[str, ProblemItem]
    earlier_published: Campaign
    earlier_hidden: Campaign

    @property
    def campaign(self) -> Campaign:
        return self.world.campaign

    def user(self, name: str) -> Any:
        return self.world.user(name)

    def actor(self, name: str) -> Any:
        return self.world.actor(name)


def _result(enrollment: Enrollment, composite: str, grade: str, rank: int, types: dict) -> Any:
    return UnitResult.objects.create(
        enrollment=enrollment,
        campaign_id=enrollment.campaign_id,
        self_total=Decimal(composite) + 1,
        review_total=Decimal(composite),
        composite=Decimal(composite),
        type_scores=types,
        grade=grade,
        rank=rank,
        frozen=True,
        approved_at=timezone.now(),
    )


def _consolidated(world: World, enrollment: Enrollment, scores: dict[str, str]) -> None:
    ConsolidatedScore.objects.bulk_create(
        ConsolidatedScore(enrollment=enrollment, node=world.node(code), score=Decimal(value))
        for code, value in scores.items()
    )


def _item(
    unit: Any, campaign: Campaign | None, state: str, deadline: datetime.date, text: str
) -> ProblemItem:
    return ProblemItem.objects.create(
        committee=unit.committee,
        unit=unit,
        campaign=campaign,
        source=ProblemSource.COMMITTEE_CHECK if campaign else ProblemSource.YELLOW_CARD,
        description=text,
        deadline=deadline,
        state=state,
    )


def _earlier(world: World, year: int, published: bool, composite: str) -> Campaign:
    campaign = Campaign.objects.create(
        committee=world.committee,
        name=f"{year}年度模范机关创建",
        year=year,
        indicator_version=world.version,
        status=CampaignStatus.CLOSED,
        results_published=published,
    )
    enrollment = Enrollment.objects.create(campaign=campaign, unit=world.unit_a, state=S.APPROVED)
    _result(enrollment, composite, "达标", 1, {"1": composite, "2": "0.00"})
    result_summary_rebuild(campaign=campaign)  # as approval stores it with the results
    return campaign


def build_dash(today: datetime.date | None = None) -> Dash:
    today = today or timezone.localdate()
    world = build_world()
    campaign = world.campaign
    unit_d = UnitFactory(committee=world.committee, name="丁单位", short_name="丁")
    unit_e = UnitFactory(committee=world.committee, name="戊单位", short_name="戊")
    ed = Enrollment.objects.create(campaign=campaign, unit=unit_d, state=S.NOT_STARTED)
    ee = Enrollment.objects.create(campaign=campaign, unit=unit_e, state=S.IN_PROGRESS)
    Enrollment.objects.filter(pk__in=[world.ea.pk, world.eb.pk]).update(state=S.APPROVED)
    Enrollment.objects.filter(pk=world.ec.pk).update(state=S.SUBMITTED)
    for enrollment in (world.ea, world.eb, world.ec):
        enrollment.refresh_from_db()

    Phase.objects.bulk_create(
        [
            Phase(
                campaign=campaign,
                key="self",
                name="自评",
                ends_on=today + datetime.timedelta(10),
                order=1,
            ),
            Phase(
                campaign=campaign,
                key="accept",
                name="验收",
                ends_on=today - datetime.timedelta(5),
                order=2,
            ),
            Phase(campaign=campaign, key="summary", name="总结", ends_on=None, order=3),
        ]
    )
    deadline = datetime.datetime.combine(today + datetime.timedelta(3), datetime.time(23, 59))
    Campaign.objects.filter(pk=campaign.pk).update(
        submission_deadline=timezone.make_aware(deadline)
    )
    world.campaign.refresh_from_db()

    result_a = _result(world.ea, "25.50", "良好", 1, {"1": "17.50", "2": "8.00"})
    result_b = _result(world.eb, "18.00", "达标", 2, {"1": "12.00", "2": "6.00"})
    _consolidated(world, world.ea, {"1.1": "9", "1.2": "8.5", "2.1": "8"})
    _consolidated(world, world.eb, {"1.1": "6", "1.2": "6", "2.1": "6"})
    result_summary_rebuild(campaign=campaign)  # as approval stores it with the results

    day = datetime.timedelta(days=1)
    items = {
        "a_overdue": _item(
            world.unit_a, campaign, P.OPEN, today - day, "甲单位学习记录不全（逾期）"
        ),
        "a_doing": _item(
            world.unit_a, campaign, P.IN_PROGRESS, today + 20 * day, "甲单位台账整改中"
        ),
        "a_closed": _item(world.unit_a, campaign, P.CLOSED, today - 30 * day, "甲单位已销号问题"),
        "b_open": _item(world.unit_b, campaign, P.OPEN, today + 10 * day, "乙单位会议记录缺失"),
        "c_reported": _item(
            world.unit_c, campaign, P.REPORTED_DONE, today - 2 * day, "丙单位已报完成"
        ),
        "a_card": _item(world.unit_a, None, P.IN_PROGRESS, today + 5 * day, "甲单位黄牌警示问题"),
    }
    unit_x = world.ex.unit
    # The other committee's approved unit: 29.00, in no bin of ours.
    Enrollment.objects.filter(pk=world.ex.pk).update(state=S.APPROVED)
    _result(world.ex, "29.00", "优秀", 1, {"1": "19.00", "2": "10.00"})
    result_summary_rebuild(campaign=world.other_campaign)
    items["x_open"] = _item(unit_x, world.other_campaign, P.OPEN, today - day, "外单位逾期问题")

    return Dash(
        world=world,
        today=today,
        ed=ed,
        ee=ee,
        result_a=result_a,
        result_b=result_b,
        items=items,
        earlier_published=_earlier(world, 2023, True, "22.00"),
        earlier_hidden=_earlier(world, 2022, False, "20.00"),
    )


def publish(dash: Dash, ranking: bool = False) -> None:
    Campaign.objects.filter(pk=dash.campaign.pk).update(
        results_published=True, ranking_published=ranking
    )
    dash.campaign.refresh_from_db()


__all__ = ["Dash", "build_dash", "publish"]
