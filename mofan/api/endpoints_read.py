"""Read endpoints: each list is the page's own scoped selector, so a token reads exactly what
its account reads on the pages (a unit's 联络员 its unit, committee staff their committee's
units), filtered further only by the caller's query."""

# No `from __future__ import annotations`: django-ninja reads the signatures at run time.
import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from mofan.accounts import rules
from mofan.accounts.roles import UNIT_READERS
from mofan.activities.selectors import own_member, records_for, records_of_member
from mofan.api.auth import actor, read_auth
from mofan.api.pagination import Pages
from mofan.api.schemas import (
    ActivityRecordOut,
    CampaignOut,
    EnrollmentOut,
    Error,
    MemberOut,
    PartyOrgOut,
    ProblemItemOut,
    ResultRow,
    SelfScoreOut,
    UnitOut,
)
from mofan.campaigns.selectors import taking_part
from mofan.evaluations import approval
from mofan.evaluations import selectors as evaluation_selectors
from mofan.evaluations.models import SelfScore
from mofan.evaluations.selectors_ranking import ranking_lines
from mofan.organizations import selectors as org_selectors
from mofan.rectification.selectors import problem_items_for

router = Router(auth=read_auth, tags=["读取"])
NOT_FOUND = {404: Error, 401: Error, 403: Error, 429: Error}
LISTED = {401: Error, 403: Error, 429: Error}


@router.get(
    "/units",
    response={200: list[UnitOut], **LISTED},
    summary="单位列表",
    description="当前账号可见的单位（工委工作人员：本工委全部单位；单位账号：本单位），分页返回。",
)
@paginate(Pages)
def units(request: Any) -> Any:
    return org_selectors.units_for(actor(request)).order_by("sort_order", "pk")


@router.get(
    "/units/{int:unit_id}",
    response={200: UnitOut, **NOT_FOUND},
    summary="单位",
    description="按编号读取一个单位；不在权限范围内与不存在一样返回 404。",
)
def unit(request: Any, unit_id: int) -> Any:
    return get_object_or_404(org_selectors.units_for(actor(request)), pk=unit_id)


@router.get(
    "/party-organisations",
    response={200: list[PartyOrgOut], **LISTED},
    summary="党组织",
    description=(
        "可见单位的党组织（机关党委、党总支、党支部、党小组），可按 unit_id 筛选，分页返回。"
    ),
)
@paginate(Pages)
def party_organisations(request: Any, unit_id: int | None = None) -> Any:
    orgs = org_selectors.party_orgs_for(actor(request))
    if unit_id is not None:
        orgs = orgs.filter(unit_id=unit_id)
    return orgs.order_by("unit_id", "sort_order", "pk")


@router.get(
    "/members",
    response={200: list[MemberOut], **LISTED},
    summary="党员花名册",
    description="可见单位的党员，可按 unit_id、party_org_id 筛选，分页返回。",
)
@paginate(Pages)
def members(request: Any, unit_id: int | None = None, party_org_id: int | None = None) -> Any:
    rows = org_selectors.members_for(actor(request))
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    if party_org_id is not None:
        rows = rows.filter(party_org_id=party_org_id)
    return rows.order_by("unit_id", "pk")


@router.get(
    "/campaigns",
    response={200: list[CampaignOut], **LISTED},
    summary="创建活动列表",
    description="当前账号可见的创建活动，按年度倒序，分页返回。",
)
@paginate(Pages)
def campaigns(request: Any) -> Any:
    return evaluation_selectors.campaigns_for(actor(request)).order_by("-year", "pk")


@router.get(
    "/campaigns/{int:campaign_id}",
    response={200: CampaignOut, **NOT_FOUND},
    summary="创建活动",
    description="按编号读取一个创建活动；不在权限范围内返回 404。",
)
def campaign(request: Any, campaign_id: int) -> Any:
    return get_object_or_404(evaluation_selectors.campaigns_for(actor(request)), pk=campaign_id)


@router.get(
    "/enrollments",
    response={200: list[EnrollmentOut], **LISTED},
    summary="参评单位",
    description=("各创建活动的参评单位及其填报状态，可按 campaign_id、unit_id 筛选，分页返回。"),
)
@paginate(Pages)
def enrollments(request: Any, campaign_id: int | None = None, unit_id: int | None = None) -> Any:
    rows = evaluation_selectors.enrollments_for(actor(request))
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    return rows.order_by("campaign_id", "unit_id")


@router.get(
    "/enrollments/{int:enrollment_id}/self-scores",
    response={200: list[SelfScoreOut], **NOT_FOUND},
    summary="单位自评得分",
    description="一个参评单位全部末级指标的自评：输入、得分与版本号（填报时作为 version 回传）。",
)
def self_scores(request: Any, enrollment_id: int) -> Any:
    enrollment = get_object_or_404(
        evaluation_selectors.enrollments_for(actor(request)), pk=enrollment_id
    )
    return list(
        SelfScore.objects.filter(enrollment=enrollment).select_related("node").order_by("node_id")
    )


@router.get(
    "/problem-items",
    response={200: list[ProblemItemOut], **LISTED},
    summary="问题清单",
    description="可见单位的问题清单及整改状态，可按 unit_id、state 筛选，分页返回。",
)
@paginate(Pages)
def problem_items(request: Any, unit_id: int | None = None, state: str | None = None) -> Any:
    items = problem_items_for(actor(request))
    if unit_id is not None:
        items = items.filter(unit_id=unit_id)
    if state:
        items = items.filter(state=state[:40])
    return items.order_by("deadline", "pk")


@router.get(
    "/activity-records",
    response={200: list[ActivityRecordOut], **LISTED},
    summary="活动台账",
    description=(
        "可见单位党组织的活动记录（三会一课、主题党日等），"
        "可按 unit_id 及日期区间 since、until 筛选；"
        "关联党员的账号只见本人登记和参加的活动。分页返回。"
    ),
)
@paginate(Pages)
def activity_records(
    request: Any,
    unit_id: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> Any:
    who = actor(request)
    records = records_for(who)
    member = own_member(who)
    if member is not None:  # a linked 党员: their own records and the meetings they attended
        records = records | records_of_member(member)
    if unit_id is not None:
        records = records.filter(unit_id=unit_id)
    if since is not None:
        records = records.filter(held_on__gte=since)
    if until is not None:
        records = records.filter(held_on__lte=until)
    return records.order_by("-held_on", "-pk")


@router.get(
    "/campaigns/{int:campaign_id}/results",
    response={200: list[ResultRow], **NOT_FOUND},
    summary="考评结果与排名",
    description="工委工作人员：全部单位（含未审定的当前结果）；单位联络员、单位领导："
    "本单位已审定的结果，排名公布前只显示所处区间。",
)
def results(request: Any, campaign_id: int) -> Any:
    who = actor(request)
    campaign = get_object_or_404(evaluation_selectors.campaigns_for(who), pk=campaign_id)
    staff = rules.is_campaign_staff(who, campaign)
    unit_ids = None if staff else sorted(who.units_with(*UNIT_READERS))
    shown_rank = staff or campaign.ranking_published
    enrolled = 0 if shown_rank else taking_part(campaign).count()
    rows = []
    for line in ranking_lines(campaign, unit_ids=unit_ids, approved_only=not staff):
        rows.append(
            {
                "unit_id": line.unit_id,
                "unit_name": line.unit_name,
                "rank": line.rank if shown_rank else None,
                "rank_band": "" if shown_rank else approval.rank_band(line.rank, enrolled),
                "self_total": line.self_total,
                "review_total": line.review_total,
                "composite": line.composite,
                "grade": line.grade,
                "veto": line.veto,
                "advanced": line.advanced,
                "frozen": line.frozen,
            }
        )
    return rows
