"""Rectification's part of the home page's work queue (`core.extensions.work_sources`): the
unit's admin and leader report measures (待报整改措施) and report completion (整改中), by each
item's deadline; the committee's admin reviews the measures reported and verifies the items
reported done, decides the re-reviews (复核) submitted to it, and puts the reviewers' findings
marked 列为问题 onto the units' lists (the board's bulk action); a reviewer seated in the group of
a unit whose re-review is open scores it (复核评分), and the group's leader submits it once every
indicator is scored. Each line is one grouped query, whatever the number of units or re-reviews.

Neither a re-review nor a finding has a deadline of its own, so these lines carry no date."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import UNIT_READERS, Role
from mofan.core.extensions import WorkItem
from mofan.evaluations.models import Assignment
from mofan.organizations.models import Member
from mofan.rectification.models import ProblemState, ReReviewState
from mofan.rectification.rereview import rereviews_for
from mofan.rectification.selectors import findings_to_list, problem_items_for

S = ProblemState
UNIT_WORK = {S.OPEN: _("报送整改措施"), S.IN_PROGRESS: _("落实整改并报告完成")}
COMMITTEE_WORK = {S.MEASURES_SUBMITTED: _("审核整改措施"), S.REPORTED_DONE: _("验收整改销号")}


def _unit_items(actor: Actor) -> list[WorkItem]:
    own = actor.units_with(*UNIT_READERS)
    if not own:
        return []
    rows = (
        problem_items_for(actor)
        .filter(unit_id__in=own, state__in=list(UNIT_WORK))
        .values("unit__name", "state")
        .annotate(n=Count("pk"), first=Min("deadline"))
        .order_by("unit__name", "state")
    )
    url = reverse("rectification:unit_items")
    return [
        WorkItem(
            str(UNIT_WORK[row["state"]]),
            row["n"],
            url,
            due=row["first"],
            detail=row["unit__name"] if len(own) > 1 else "",
        )
        for row in rows
    ]


def _committee_items(actor: Actor) -> list[WorkItem]:
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not committees:
        return []
    rows = (
        problem_items_for(actor)
        .filter(committee_id__in=committees, state__in=list(COMMITTEE_WORK))
        .values("state")
        .annotate(n=Count("pk"))
        .order_by("state")
    )
    url = reverse("rectification:item_board")
    return [
        WorkItem(str(COMMITTEE_WORK[row["state"]]), row["n"], f"{url}?state={row['state']}")
        for row in rows
    ]


def _rereview_link(pks: list[int], state: str) -> str:
    """The re-review itself when there is one, else the list filtered by its state."""
    if len(pks) == 1:
        return reverse("rectification:rereview_detail", args=[pks[0]])
    return reverse("rectification:rereview_list") + f"?state={state}"


def _decide_items(actor: Actor) -> list[WorkItem]:
    """The committee admin: re-reviews submitted by the groups, waiting for approval."""
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not committees:
        return []
    rows = list(
        rereviews_for(actor)
        .filter(state=ReReviewState.SUBMITTED, enrollment__campaign__committee_id__in=committees)
        .order_by("created_at", "pk")
        .values_list("pk", "enrollment__unit__name")
    )
    if not rows:
        return []
    return [
        WorkItem(
            _("审定复核结果"),
            len(rows),
            _rereview_link([pk for pk, _name in rows], ReReviewState.SUBMITTED),
            detail=rows[0][1] if len(rows) == 1 else "",
        )
    ]


def _finding_items(actor: Actor) -> list[WorkItem]:
    """The committee admin: reviewers' findings marked 列为问题 on no problem list yet."""
    if not actor.committees_with(Role.COMMITTEE_ADMIN):
        return []
    n = findings_to_list(actor).order_by().count()
    if not n:
        return []
    return [
        WorkItem(
            _("将评审发现的问题列入问题清单"),
            n,
            reverse("rectification:item_board") + "#findings",
        )
    ]


def _rescore_items(actor: Actor) -> list[WorkItem]:
    """A reviewer seated in (or leading) the group of a unit whose re-review is open: score it
    while an indicator is still unscored (the group gives one score per indicator, any member
    may save it); the leader submits it once all are scored. A reviewer never re-scores a unit
    of their own (roles or member record: `evaluations.services.reviewer_check`)."""
    if not actor.has(Role.REVIEWER):
        return []
    me = actor.user.pk
    seated = Assignment.objects.filter(Q(group__leader_id=me) | Q(group__seats__reviewer_id=me))
    rereviews = (
        rereviews_for(actor)
        .filter(state=ReReviewState.OPEN, enrollment_id__in=seated.values("enrollment_id"))
        .exclude(enrollment__unit_id__in=list(actor.unit_roles))
    )
    if actor.user.member_id is not None:
        home = Member.objects.filter(pk=actor.user.member_id).values("unit_id")
        rereviews = rereviews.exclude(enrollment__unit_id__in=home)
    rows = list(
        rereviews.annotate(scored=Count("scores", distinct=True))
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "node_ids",
            "scored",
            "enrollment__assignment__group__leader_id",
            "enrollment__unit__name",
        )
    )
    to_score = [(pk, name) for pk, nodes, scored, _leader, name in rows if scored < len(nodes)]
    to_submit = [
        (pk, name)
        for pk, nodes, scored, leader, name in rows
        if scored >= len(nodes) and leader == me
    ]
    items = []
    for label, found in ((_("复核评分"), to_score), (_("提交复核结果"), to_submit)):
        if found:
            items.append(
                WorkItem(
                    label,
                    len(found),
                    _rereview_link([pk for pk, _name in found], ReReviewState.OPEN),
                    detail=found[0][1] if len(found) == 1 else "",
                )
            )
    return items


def rectification_work(*, actor: Actor, today: datetime.date) -> list[WorkItem]:
    return [
        *_committee_items(actor),
        *_decide_items(actor),
        *_finding_items(actor),
        *_rescore_items(actor),
        *_unit_items(actor),
    ]
