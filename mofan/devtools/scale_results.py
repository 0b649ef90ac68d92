"""The results of the scale seed (`devtools.scale`): the approved, frozen results as
`campaign_approve` computes them, with its rectification hook, and the committee's own check
(工委检查) of a sample of units through `problem_item_create`."""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from mofan.accounts.models import User
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.devtools.scale_bulk import Digest, Timer
from mofan.evaluations.events import ApprovedResult
from mofan.evaluations.figures.results import results_freeze
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.figures.summary import result_summary_rebuild
from mofan.evaluations.models import UnitResult
from mofan.indicators.models import IndicatorNode
from mofan.rectification.auto import results_approved

# enrolment version after not_started → in_progress → submitted → reviewed → approved
APPROVED_VERSION = 4

CHECK_FINDINGS = (
    "党建工作责任制落实不到位，述职评议材料不完整",
    "“三会一课”记录不规范，部分支部党员大会未按期召开",
    "主题党日活动与业务工作结合不紧密",
    "发展党员工作程序材料缺少支部委员会意见",
    "党费收缴台账未按月更新",
)


def approve(
    campaign: Campaign, admin: User, liaison: User, timer: Timer, today: datetime.date | None
) -> tuple[list[tuple[Decimal | None, str]], int]:
    """Reviewed, then the results as `campaign_approve` computes them, frozen; APPROVED."""
    started = time.perf_counter()
    now = timezone.now()
    enrollments = Enrollment.objects.filter(campaign=campaign)
    enrollments.update(state=EnrollmentState.REVIEWED, submitted_at=now, submitted_by=liaison)
    # The figures exactly as campaign_approve freezes them: recomputed set-wise, then frozen.
    campaign_recompute(campaign=campaign)
    started = timer.add("approval_compute", started)
    fresh = results_freeze(campaign=campaign, approved_by=admin, now=now).fresh
    results = list(
        UnitResult.objects.filter(campaign=campaign)
        .order_by("enrollment__unit__sort_order", "enrollment_id")
        .values_list("enrollment__unit__sort_order", "composite", "grade", "rank", "advanced")
    )
    digest = Digest()
    for row in results:
        digest.add(*row)
    result_summary_rebuild(campaign=campaign)  # as campaign_approve does
    enrollments.update(state=EnrollmentState.APPROVED, version=F("version") + APPROVED_VERSION)
    # campaign_approve's rectification hook, through the service: problem lists and re-reviews of
    # the failing units, and the problem findings of any unit.
    approved = [ApprovedResult(r.pk, r.enrollment_id, r.grade, r.veto) for r in fresh]
    problems = results_approved(campaign=campaign, results=approved, today=today)
    audit_record(
        action="scale.seed.results",
        actor=admin,
        target=campaign,
        extra={
            "units": len(results),
            "grades": dict(sorted(Counter(grade for _o, _c, grade, _r, _a in results).items())),
            "problems": problems,
            "sha256": digest.hexdigest,
        },
    )
    timer.add("approval_write", started)
    return [(composite, grade) for _o, composite, grade, _r, _a in results], problems


def committee_checks(
    *,
    campaign: Campaign,
    admin: Any,
    leaves: list[IndicatorNode],
    rng: random.Random,
    today: datetime.date | None,
) -> int:
    """The committee's own check (工委检查) lists two problems for one unit in fifty (at least
    30 units), through `problem_item_create`, so that the problem-list board has more than a
    page of open items at every size, a quarter of them overdue. Returns the items made."""
    from mofan.rectification.models import ProblemSource
    from mofan.rectification.services import problem_item_create

    today = today or timezone.localdate()
    enrollments = list(
        Enrollment.objects.filter(campaign=campaign).select_related("unit").order_by("pk")
    )
    checked = rng.sample(enrollments, min(len(enrollments), max(30, len(enrollments) // 50)))
    made = 0
    for enrollment in checked:
        for _i in range(2):
            overdue = rng.random() < 0.25
            problem_item_create(
                unit=enrollment.unit,
                source=ProblemSource.COMMITTEE_CHECK,
                description=rng.choice(CHECK_FINDINGS),
                deadline=today + datetime.timedelta(days=-7 if overdue else rng.randint(14, 60)),
                actor=admin,
                campaign=campaign,
                node=rng.choice(leaves),
                one_per_origin=False,
            )
            made += 1
    return made
