"""The notices of the evaluation workflow, written by the transition functions inside their
transaction (`notifications.services.notify`): submission received (to the committee's admins,
and a confirmation to the unit), return for revision, a reviewer seated in a review group, units
assigned to a group, consolidation needed and results published. (An extension granted is told
by `campaigns.administration`, which grants it.)

Each says what happened and links to where the work is; none asks anyone to check in, take
photos or report daily. Recipients are read in a fixed number of queries, whatever the number
of units (results published: one query for every unit's people)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations.models import Assignment, ReviewerSeat, ReviewGroup
from mofan.notifications.recipients import committee_people, unit_people, units_people
from mofan.notifications.services import Draft, notify, notify_many


def _enrollment_url(enrollment: Enrollment) -> str:
    return reverse("campaigns:enrollment", args=[enrollment.pk])


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def tell_submitted(enrollment: Enrollment, *, on_behalf: bool) -> None:
    """A self-evaluation was submitted: the committee's admins are told there is a submission to
    handle; the unit gets a confirmation (unless the committee submitted it on the unit's behalf,
    which has its own notice)."""
    campaign = enrollment.campaign
    unit = enrollment.unit
    notify(
        recipients=committee_people(campaign.committee_id),
        kind="enrollment.submitted",
        title=_("%(u)s已提交“%(c)s”的自评") % {"u": unit.name, "c": campaign.name},
        body=_("请安排评审组评审，或在需要时退回修改。"),
        url=reverse("campaigns:detail", args=[campaign.pk]),
    )
    if on_behalf:
        return
    notify(
        recipients=unit_people(enrollment.unit_id),
        kind="enrollment.received",
        title=_("工委已收到本单位“%(c)s”的自评") % {"c": campaign.name},
        body=_("自评已于 %(t)s 提交并锁定，等待评审。")
        % {"t": _when(enrollment.submitted_at or timezone.now())},
        url=_enrollment_url(enrollment),
    )


def tell_returned(enrollment: Enrollment, reason: str) -> None:
    notify(
        recipients=unit_people(enrollment.unit_id),
        kind="enrollment.returned",
        title=_("“%(c)s”的自评被退回修改") % {"c": enrollment.campaign.name},
        body=_("退回原因：%(r)s。请修改后由单位领导重新提交。") % {"r": reason},
        url=_enrollment_url(enrollment),
    )


def tell_seated(groups: Sequence[ReviewGroup]) -> None:
    """Reviewers were seated in review groups: each is told their group and whether they lead it."""
    seats = ReviewerSeat.objects.filter(group__in=groups).select_related(
        "group__campaign", "reviewer"
    )
    for seat in seats:
        group = seat.group
        leads = group.leader_id == seat.reviewer_id
        notify(
            recipients=[seat.reviewer],
            kind="review.seated",
            title=(_("您被指定为“%(g)s”组长（%(c)s）") if leads else _("您被编入“%(g)s”（%(c)s）"))
            % {"g": group.name, "c": group.campaign.name},
            body=_("分配给本组的单位将列在“评审任务”中；您不会被分配到本人所在单位。"),
            url=reverse("reviews:mine"),
        )


def tell_assigned(campaign: Campaign, units_by_group: Mapping[int, int]) -> None:
    """Units were assigned to review groups (a draw): each seated reviewer and each leader is
    told how many units their group received."""
    people: dict[int, set[int]] = defaultdict(set)
    for group_id, leader_id in ReviewGroup.objects.filter(pk__in=units_by_group).values_list(
        "pk", "leader_id"
    ):
        people[leader_id].add(group_id)
    for group_id, reviewer_id in ReviewerSeat.objects.filter(
        group_id__in=units_by_group
    ).values_list("group_id", "reviewer_id"):
        people[reviewer_id].add(group_id)
    users = User.objects.in_bulk(list(people))
    for user_id, group_ids in people.items():
        count = sum(units_by_group[g] for g in group_ids)
        notify(
            recipients=[users[user_id]],
            kind="review.assigned",
            title=_("%(c)s：您有 %(n)d 个单位待评审") % {"c": campaign.name, "n": count},
            body=_("单位提交自评后即可评分，评审任务中列出每个单位。"),
            url=reverse("reviews:mine"),
        )


def tell_consolidation_needed(assignment: Assignment) -> None:
    """Every reviewer of a unit has submitted: its group leader consolidates."""
    enrollment = assignment.enrollment
    notify(
        recipients=[assignment.group.leader],
        kind="review.consolidate",
        title=_("%(u)s的评审意见已全部提交，待您汇总") % {"u": enrollment.unit.name},
        body=_("%(c)s · %(g)s：请汇总评审意见，裁定分差较大的指标。")
        % {"c": enrollment.campaign.name, "g": assignment.group.name},
        url=reverse("reviews:consolidate", args=[assignment.pk]),
    )


def tell_results_published(campaign: Campaign) -> None:
    """The results were published: each approved unit is told, linked to its own result."""
    enrollments = list(
        Enrollment.objects.filter(campaign=campaign, state=EnrollmentState.APPROVED).only(
            "pk", "unit_id"
        )
    )
    people = units_people(e.unit_id for e in enrollments)
    notify_many(
        kind="results.published",
        drafts=(
            Draft(
                recipients=people.get(enrollment.unit_id, []),
                title=_("“%(c)s”结果已公布") % {"c": campaign.name},
                body=_("本单位的综合得分、等次和各类得分可在单位的活动页面查看。"),
                url=_enrollment_url(enrollment),
                key=f"results:{enrollment.pk}:published",
            )
            for enrollment in enrollments
        ),
    )
