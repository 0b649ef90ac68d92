"""Automatic problem lists (问题清单) for failing units, made when the committee approves a
campaign's results: `evaluations.approval.campaign_approve` announces them
(`evaluations.events.results_approved`) and `receivers.on_results_approved` calls
`results_approved` here, in the approval's own transaction.

Documented choices
------------------
* Which units and items: every approved unit gets one item per review finding of its
  assignment marked "列为问题" (with the finding's indicator, if any; issue 14: a reviewer's
  problem on a passing unit is not dropped); a unit whose approved grade is in
  `campaign.rectify_grades` (default 不达标) also gets one per leaf below its pass mark
  (`leaves.py`: the campaign's 达标 line times the leaf's points; the worst level of a
  qualitative leaf), and a re-review. Both kinds are put on the list by the system
  (`actor=None`) with source `result` (考评不达标) — the only source the system may use — and
  told apart by their origin: ("evaluations.finding", finding id) and
  ("evaluations.unitresult", result id) with the leaf. Deadline: today + `rectify_days`.
* A unit still failing after its 复核 (approved with a failing result, or rejected) gets a new
  round (`next_round`): the leaves still below their pass mark on the scores the round left, with
  origin ("rectification.rereview", the new re-review), and a waiting re-review of them.
* Idempotent: an origin (with its leaf) makes one item only, so reopening and re-approving adds
  nothing already listed (new failing leaves after a changed score are added).
* Re-review: a waiting re-review (复核) of the nodes of the unit's automatic items (veto leaves
  excepted) is created with the result as `before`. A vetoed unit gets its items but no
  re-review: a veto (纪检监察/巡察/审计 or a veto indicator) is not fixed by re-scoring, and the
  re-review must not offer a way round it; if the veto itself was wrong the committee reopens
  the result.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.events import ApprovedResult
from mofan.evaluations.models import Finding, UnitResult
from mofan.rectification.leaves import leaves_to_rectify
from mofan.rectification.models import ProblemItem, ReReview, ReReviewState
from mofan.rectification.rereview import (
    AUTO_ORIGINS,
    AUTO_SOURCE,
    FINDING_ORIGIN,
    NOT_RESCORED,
    REREVIEW_ORIGIN,
    RESULT_ORIGIN,
    UNDECIDED,
    rereview_create,
    rereview_reapply,
    rereview_refresh,
    rereview_transition,
)
from mofan.rectification.services import problem_item_create


def problem_list_for(
    *,
    campaign: Campaign,
    enrollment: Enrollment,
    result: UnitResult,
    today: datetime.date,
    failing: bool = True,
) -> list[ProblemItem]:
    """Put a unit's automatic items on its list (the ones not listed yet): the review findings
    marked 列为问题 for every approved unit, and for a failing one its lowest leaves too."""
    listed = set(
        ProblemItem.objects.filter(
            campaign=campaign, unit_id=enrollment.unit_id, origin_type__in=AUTO_ORIGINS
        ).values_list("origin_type", "origin_id", "node_id")
    )
    deadline = today + datetime.timedelta(days=campaign.rectify_days)
    common: dict[str, Any] = {
        "unit": enrollment.unit,
        "source": AUTO_SOURCE,
        "deadline": deadline,
        "actor": None,
        "campaign": campaign,
    }
    made = []
    findings = (
        Finding.objects.filter(assignment__enrollment=enrollment, is_problem=True)
        .select_related("node")
        .order_by("pk")
    )
    for finding in findings:
        if (FINDING_ORIGIN, finding.pk, finding.node_id) in listed:
            continue
        made.append(
            problem_item_create(
                **common,
                description=finding_description(finding.text),
                node=finding.node,
                origin=(FINDING_ORIGIN, finding.pk),
            )
        )
    chosen = leaves_to_rectify(campaign, enrollment) if failing else []
    for node, text in chosen:
        if (RESULT_ORIGIN, result.pk, node.pk) in listed:
            continue
        made.append(
            problem_item_create(
                **common,
                # no grade here: the list is made at approval, the grade is told at publication
                description=_("考评未达到合格线的指标：") + text,
                required_measures=node.criteria,
                node=node,
                origin=(RESULT_ORIGIN, result.pk),
            )
        )
    return made


def rescored_nodes(campaign: Campaign, unit_id: int) -> list[int]:
    """The nodes a re-review of the unit covers: those of its automatic items, veto leaves
    excepted."""
    rows = ProblemItem.objects.filter(
        campaign=campaign,
        unit_id=unit_id,
        source=AUTO_SOURCE,
        origin_type__in=AUTO_ORIGINS,
        node__isnull=False,
    ).values_list("node_id", "node__method")
    return sorted(
        {node_id for node_id, method in rows if (method or {}).get("type") not in NOT_RESCORED}
    )


def results_approved(
    *, campaign: Campaign, results: Sequence[ApprovedResult], today: datetime.date | None = None
) -> int:
    """The rectification hook of approval: for every newly approved result, the problem list of
    a failing unit and its re-review; a re-review already there follows the new result. Returns
    the number of items made."""
    if not results:
        return 0
    today = today or timezone.localdate()
    ids = {r.enrollment_id for r in results}
    # Read by campaign and matched here: the campaign's re-reviews and problem findings are
    # few, and a list of 20,000 ids as query parameters is slow (and past SQLite's limit at
    # 100,000 units).
    rounds: dict[int, list[ReReview]] = {}
    for rereview in ReReview.objects.filter(enrollment__campaign=campaign).order_by("pk"):
        if rereview.enrollment_id in ids:
            rounds.setdefault(rereview.enrollment_id, []).append(rereview)
    grades = set(campaign.rectify_grades or [])
    # Passing units are looked at only when a reviewer listed a problem (one query for all).
    with_findings = ids & set(
        Finding.objects.filter(
            assignment__enrollment__campaign=campaign, is_problem=True
        ).values_list("assignment__enrollment_id", flat=True)
    )
    # Only a failing unit, one with a listed finding or one with re-reviews has anything to do:
    # at 20,000 units a few hundred. (Reading every enrolment with the default ordering made
    # SQLite probe the id list once per unit: 40 s at 20,000 units.)
    picked = [
        r.pk
        for r in results
        if r.grade in grades or r.enrollment_id in with_findings or r.enrollment_id in rounds
    ]
    rows = UnitResult.objects.in_bulk(picked)
    chosen = [rows[pk] for pk in picked]
    enrollments = {
        e.pk: e
        for e in Enrollment.objects.filter(pk__in=[r.enrollment_id for r in chosen])
        .select_related("unit", "campaign__indicator_version__system")
        .order_by()
    }
    made = 0
    for result in chosen:
        enrollment = enrollments[result.enrollment_id]
        failing = result.grade in grades
        if failing or enrollment.pk in with_findings:
            made += len(
                problem_list_for(
                    campaign=campaign,
                    enrollment=enrollment,
                    result=result,
                    today=today,
                    failing=failing,
                )
            )
        _follow_rereviews(
            campaign=campaign,
            enrollment=enrollment,
            result=result,
            rounds=rounds.get(enrollment.pk, []),
            grades=grades,
        )
    return made


def _follow_rereviews(
    *,
    campaign: Campaign,
    enrollment: Enrollment,
    result: UnitResult,
    rounds: Sequence[ReReview],
    grades: set[str],
) -> None:
    """A newly approved result and the unit's re-reviews: the first one for a failing unit; an
    approved one applied again on the new scores; an undecided one following the new result
    (withdrawn when the unit no longer fails)."""
    if not rounds:
        if result.grade in grades and not result.veto:
            rereview_create(
                enrollment=enrollment,
                result=result,
                node_ids=rescored_nodes(campaign, enrollment.unit_id),
            )
        return
    approved = [r for r in rounds if r.state == ReReviewState.APPROVED]
    if approved:
        result = rereview_reapply(rereview=approved[-1])
    latest = rounds[-1]
    if latest.state not in UNDECIDED:
        return
    if result.grade in grades and not result.veto:
        nodes = rescored_nodes(campaign, enrollment.unit_id) if latest.round == 1 else []
        rereview_refresh(rereview=latest, result=result, node_ids=nodes)
    else:
        rereview_transition(
            rereview=latest,
            to=ReReviewState.REJECTED,
            actor=None,
            system=True,
            reason=_("重新审定后该单位已不属于需整改复核的情形，复核撤销。"),
        )


def next_round(*, rereview: ReReview, today: datetime.date | None = None) -> ReReview | None:
    """After the committee approved or rejected a re-review: if the unit's result still fails,
    a new round — its leaves still below their pass mark on its list again (origin: the new
    re-review) and a waiting re-review of them. Nothing when the unit now passes or is vetoed."""
    enrollment = Enrollment.objects.select_related(
        "unit", "campaign__indicator_version__system"
    ).get(pk=rereview.enrollment_id)
    campaign = enrollment.campaign
    result = UnitResult.objects.get(enrollment=enrollment)
    if result.grade not in set(campaign.rectify_grades or []) or result.veto:
        return None
    chosen = leaves_to_rectify(campaign, enrollment)
    nodes = [node.pk for node, _text in chosen if node.method.get("type") not in NOT_RESCORED]
    following = rereview_create(
        enrollment=enrollment, result=result, node_ids=nodes, round=rereview.round + 1
    )
    if following is None:
        return None
    deadline = (today or timezone.localdate()) + datetime.timedelta(days=campaign.rectify_days)
    for node, text in chosen:
        problem_item_create(
            unit=enrollment.unit,
            source=AUTO_SOURCE,
            deadline=deadline,
            actor=None,
            campaign=campaign,
            description=_("第 %(n)d 轮复核后考评等次仍为“%(grade)s”，未达到合格线的指标：")
            % {"n": rereview.round, "grade": result.grade}
            + text,
            required_measures=node.criteria,
            node=node,
            origin=(REREVIEW_ORIGIN, following.pk),
        )
    return following


_LABEL = re.compile(r"^\s*(?:评审|实地考评|考评|现场|检查)?发现(?:的)?(?:问题)?[：:]\s*")


def finding_description(text: str) -> str:
    """A review finding as a problem item's text, labelled once: 评审发现：… (a label the
    reviewer already typed, such as 实地考评发现：, is not repeated)."""
    body = text.strip()
    while match := _LABEL.match(body):
        body = body[match.end() :]
    return _("评审发现：%(text)s") % {"text": body}
