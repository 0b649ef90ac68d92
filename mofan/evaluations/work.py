"""The evaluation workflow's part of the home page's work queue (`core.extensions.work_sources`,
registered in `evaluations/extensions.py`): per role, what the actor must do in the active
campaigns, by when. Each role's part is a fixed number of queries, whatever the number of units.

- committee admin: launch a campaign in preparation; remind the units that have not submitted
  (by the submission deadline); assign the submitted units to review groups (by the review
  deadline); prepare the reviewed units for the leader's sign-off; publish the results;
- committee leader: sign off a prepared round of approval;
- reviewer: score the submitted units of their groups, and (group leader) consolidate those
  whose reviewers are all done (by the review deadline);
- unit admin: fill in (or revise, when returned) the self-evaluation; unit leader: review and
  submit it (by the unit's own deadline, its extension included).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentState, Phase
from mofan.core.extensions import WorkItem
from mofan.evaluations.models import ApprovalBatch, Assignment, BatchState
from mofan.evaluations.reminders import (
    OPEN_STATES,
    review_deadline,
    review_work,
    submission_date,
)

S = EnrollmentState


def _phases(campaign_ids: list[int]) -> dict[int, list[Phase]]:
    phases: dict[int, list[Phase]] = defaultdict(list)
    for phase in Phase.objects.filter(campaign_id__in=campaign_ids).order_by("order"):
        phases[phase.campaign_id].append(phase)
    return phases


def _admin_items(actor: Actor) -> list[WorkItem]:
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not committees:
        return []
    campaigns = list(
        Campaign.objects.filter(
            committee_id__in=committees,
            status__in=(CampaignStatus.DRAFT, CampaignStatus.ACTIVE),
        ).annotate(
            open=Count("enrollments", filter=Q(enrollments__state__in=OPEN_STATES)),
            unassigned=Count(
                "enrollments",
                filter=Q(enrollments__state=S.SUBMITTED, enrollments__assignment__isnull=True),
            ),
            reviewed=Count("enrollments", filter=Q(enrollments__state=S.REVIEWED)),
            pending=Count(
                "enrollments",
                # Decided ones and the withdrawn (已退出, never waited for) are not pending.
                filter=~Q(enrollments__state__in=(S.APPROVED, S.INCOMPLETE, S.WITHDRAWN)),
            ),
            approved=Count("enrollments", filter=Q(enrollments__state=S.APPROVED)),
        )
    )
    waiting = set(
        ApprovalBatch.objects.filter(campaign__in=campaigns, state=BatchState.PREPARED).values_list(
            "campaign_id", flat=True
        )
    )
    phases = _phases([c.pk for c in campaigns])
    items: list[WorkItem] = []
    for campaign in campaigns:
        items.extend(_campaign_items(campaign, phases[campaign.pk], campaign.pk in waiting))
    return items


def _campaign_items(campaign: Any, phases: list[Phase], waiting: bool) -> list[WorkItem]:
    detail = reverse("campaigns:detail", args=[campaign.pk])
    if campaign.status == CampaignStatus.DRAFT:
        return [WorkItem(_("启动创建活动"), 1, detail, detail=campaign.name)]
    approval = reverse("reviews:approval", args=[campaign.pk])
    lines = [
        (_("督促单位提交自评"), campaign.open, detail, submission_date(campaign, None)),
        (
            _("为已提交自评的单位分配评审组"),
            campaign.unassigned,
            reverse("reviews:groups", args=[campaign.pk]),
            review_deadline(campaign, phases),
        ),
        (_("准备综合审定，报领导签批"), 0 if waiting else campaign.reviewed, approval, None),
    ]
    if not campaign.results_published and not campaign.pending and campaign.approved:
        lines.append((_("公布考评结果"), campaign.approved, approval, None))
    return [
        WorkItem(label, count, url, due=due, detail=campaign.name)
        for label, count, url, due in lines
        if count
    ]


def _leader_items(actor: Actor) -> list[WorkItem]:
    committees = actor.committees_with(Role.COMMITTEE_LEADER)
    if not committees:
        return []
    batches = ApprovalBatch.objects.filter(
        campaign__committee_id__in=committees, state=BatchState.PREPARED
    ).select_related("campaign")
    return [
        WorkItem(
            _("签批综合审定"),
            len(batch.enrollments),
            reverse("reviews:approval", args=[batch.campaign_id]),
            detail=batch.campaign.name,
        )
        for batch in batches
    ]


def _reviewer_items(actor: Actor) -> list[WorkItem]:
    if not actor.has(Role.REVIEWER):
        return []
    me = actor.user.pk
    mine = Assignment.objects.filter(
        Q(group__leader_id=me) | Q(group__seats__reviewer_id=me),
        enrollment__campaign__status=CampaignStatus.ACTIVE,
    ).distinct()
    work = {campaign: counts for (campaign, who), counts in review_work(mine).items() if who == me}
    if not work:
        return []
    campaigns = Campaign.objects.in_bulk(list(work))
    phases = _phases(list(work))
    url = reverse("reviews:mine")
    items = []
    for campaign_id, counts in work.items():
        campaign = campaigns[campaign_id]
        due = review_deadline(campaign, phases[campaign_id])
        for label, count in zip((_("评审打分"), _("汇总评审意见")), counts, strict=True):
            if count:
                items.append(WorkItem(label, count, url, due=due, detail=campaign.name))
    return items


def _unit_items(actor: Actor) -> list[WorkItem]:
    fills = actor.units_with(Role.UNIT_ADMIN)
    submits = actor.units_with(Role.UNIT_LEADER)
    if not fills and not submits:
        return []
    enrollments = Enrollment.objects.filter(
        Q(unit_id__in=fills, state__in=OPEN_STATES) | Q(unit_id__in=submits, state=S.IN_PROGRESS),
        campaign__status=CampaignStatus.ACTIVE,
    ).select_related("campaign", "unit")
    several = len(fills | submits) > 1
    items = []
    for enrollment in enrollments:
        campaign = enrollment.campaign
        if enrollment.unit_id in fills and enrollment.state in OPEN_STATES:
            label = _("按退回意见修改自评") if enrollment.state == S.RETURNED else _("填报自评")
        else:
            label = _("审核并提交自评")
        detail = f"{enrollment.unit.name} · {campaign.name}" if several else campaign.name
        items.append(
            WorkItem(
                label,
                1,
                reverse("campaigns:enrollment", args=[enrollment.pk]),
                due=submission_date(campaign, enrollment.extended_until),
                detail=detail,
            )
        )
    return items


def evaluation_work(*, actor: Actor, today: datetime.date) -> list[WorkItem]:
    return [
        *_admin_items(actor),
        *_leader_items(actor),
        *_reviewer_items(actor),
        *_unit_items(actor),
    ]
