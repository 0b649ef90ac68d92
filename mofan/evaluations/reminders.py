"""Daily deadline reminders of the evaluation workflow: a job of `manage.py send_reminders`,
registered in `evaluations/extensions.py`. Only active campaigns, only people whose work the
deadline gates:

- a unit that has not submitted its self-evaluation (未开始, 填报中, 已退回): 7 days and 1 day
  before its own submission deadline (the campaign's, or its extension when later) and before
  the end of each phase up to that deadline, to the unit's admin and leader (key
  `enrollment:<id>:due<days>:<date>`: an extension moves the date, so the new deadline is
  reminded too; a phase ending on the submission day gives one notice, not two);
- a reviewer with unfinished work (a submitted unit of their group they have not scored, or as
  group leader a unit whose reviewers are all done and that awaits consolidation): 7 days and 1
  day before the review deadline, the end of the first phase ending on or after the submission
  deadline (key `review:<campaign>:due<days>:<date>`).

Every notice carries a key, so a second run on the same day sends nothing. `today` is a
parameter (the command passes `timezone.localdate()`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentState, Phase
from mofan.evaluations.models import Assignment, ReviewerSeat, ReviewSubmission
from mofan.notifications.recipients import units_people
from mofan.notifications.services import notify

DUE_DAYS = (7, 1)
OPEN_STATES = (EnrollmentState.NOT_STARTED, EnrollmentState.IN_PROGRESS, EnrollmentState.RETURNED)


@dataclass
class EvaluationReminders:
    today: date
    units: dict[int, int] = field(default_factory=dict)  # days before → notices
    reviewers: dict[int, int] = field(default_factory=dict)

    def text(self) -> str:
        parts = [
            _("%(days)s 天：单位 %(u)s 条，评审员 %(r)s 条")
            % {"days": d, "u": self.units.get(d, 0), "r": self.reviewers.get(d, 0)}
            for d in DUE_DAYS
        ]
        return (
            _("%(date)s 考评截止提醒：") % {"date": self.today.isoformat()}
            + "，".join(parts)
            + _("。")
        )


def submission_date(campaign: Campaign, extended_until: object) -> date | None:
    """The local date of a unit's submission deadline: the campaign's, or its later extension."""
    deadline = campaign.submission_deadline
    if extended_until is not None and (deadline is None or extended_until > deadline):  # type: ignore[operator]
        deadline = extended_until  # type: ignore[assignment]
    return timezone.localdate(deadline) if deadline is not None else None


def unit_deadlines(
    campaign: Campaign, phases: list[Phase], extended_until: object
) -> dict[date, str]:
    """A unit's deadlines before it submits: its submission date and the ends of the phases up
    to it (date → what ends; the submission wins a shared date)."""
    own = submission_date(campaign, extended_until)
    found = {
        p.ends_on: _("“%(p)s”阶段截止") % {"p": p.name}
        for p in phases
        if p.ends_on is not None and (own is None or p.ends_on <= own)
    }
    if own is not None:
        found[own] = _("自评提交截止")
    return found


def review_deadline(campaign: Campaign, phases: list[Phase]) -> date | None:
    """The end of the first phase ending on or after the submission deadline."""
    own = submission_date(campaign, None)
    if own is None:
        return None
    ends = sorted(p.ends_on for p in phases if p.ends_on is not None and p.ends_on >= own)
    return ends[0] if ends else None


def _active_phases() -> tuple[dict[int, Campaign], dict[int, list[Phase]]]:
    campaigns = {c.pk: c for c in Campaign.objects.filter(status=CampaignStatus.ACTIVE)}
    phases: dict[int, list[Phase]] = defaultdict(list)
    for phase in Phase.objects.filter(campaign_id__in=campaigns).order_by("order"):
        phases[phase.campaign_id].append(phase)
    return campaigns, phases


def _remind_units(
    today: date, campaigns: dict[int, Campaign], phases: dict[int, list[Phase]]
) -> dict[int, int]:
    targets = {today + timedelta(days=d): d for d in DUE_DAYS}
    hits: list[tuple[int, int, int, date, str]] = []  # enrollment, unit, days, date, what
    for pk, unit_id, campaign_id, extended in Enrollment.objects.filter(
        campaign_id__in=campaigns, state__in=OPEN_STATES
    ).values_list("pk", "unit_id", "campaign_id", "extended_until"):
        campaign = campaigns[campaign_id]
        for day, what in unit_deadlines(campaign, phases[campaign_id], extended).items():
            if day in targets:
                hits.append((pk, unit_id, targets[day], day, what))
    people = units_people({hit[1] for hit in hits})
    written: dict[int, int] = {d: 0 for d in DUE_DAYS}
    names = dict(
        Enrollment.objects.filter(pk__in=[h[0] for h in hits]).values_list("pk", "campaign__name")
    )
    for pk, unit_id, days, day, what in hits:
        with transaction.atomic():
            written[days] += len(
                notify(
                    recipients=people.get(unit_id, []),
                    kind=f"enrollment.due{days}",
                    title=_("%(what)s还有 %(n)s 天：%(c)s")
                    % {"what": what, "n": days, "c": names[pk]},
                    body=_("%(what)s日期为 %(d)s，本单位的自评尚未提交。")
                    % {"what": what, "d": day.isoformat()},
                    url=reverse("campaigns:enrollment", args=[pk]),
                    key=f"enrollment:{pk}:due{days}:{day.isoformat()}",
                )
            )
    return written


def review_work(assignments: QuerySet[Assignment]) -> dict[tuple[int, int], list[int]]:
    """(campaign, reviewer) → [units to score, units to consolidate] among `assignments` whose
    unit has submitted: a seated reviewer (the leader included) who has not submitted scores;
    a group leader whose reviewers are all done consolidates. Three queries."""
    rows = list(
        assignments.filter(enrollment__state=EnrollmentState.SUBMITTED).values_list(
            "pk", "group_id", "group__leader_id", "enrollment__campaign_id"
        )
    )
    seats: dict[int, set[int]] = defaultdict(set)
    for group_id, reviewer_id in ReviewerSeat.objects.filter(
        group_id__in={r[1] for r in rows}
    ).values_list("group_id", "reviewer_id"):
        seats[group_id].add(reviewer_id)
    done: dict[int, set[int]] = defaultdict(set)
    for assignment_id, reviewer_id in ReviewSubmission.objects.filter(
        assignment_id__in=[r[0] for r in rows]
    ).values_list("assignment_id", "reviewer_id"):
        done[assignment_id].add(reviewer_id)
    found: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for pk, group_id, leader_id, campaign_id in rows:
        pending = (seats[group_id] | {leader_id}) - done[pk]
        for reviewer_id in pending:
            found[campaign_id, reviewer_id][0] += 1
        if not pending:
            found[campaign_id, leader_id][1] += 1
    return dict(found)


def _remind_reviewers(
    today: date, campaigns: dict[int, Campaign], phases: dict[int, list[Phase]]
) -> dict[int, int]:
    written: dict[int, int] = {d: 0 for d in DUE_DAYS}
    due = {
        pk: (day, (day - today).days)
        for pk, campaign in campaigns.items()
        if (day := review_deadline(campaign, phases[pk])) is not None
        and (day - today).days in DUE_DAYS
    }
    if not due:
        return written
    work = review_work(Assignment.objects.filter(enrollment__campaign_id__in=list(due)))
    users = User.objects.in_bulk({reviewer_id for _campaign, reviewer_id in work})
    for (campaign_id, reviewer_id), (to_score, to_consolidate) in sorted(work.items()):
        day, days = due[campaign_id]
        count = to_score + to_consolidate
        with transaction.atomic():
            written[days] += len(
                notify(
                    recipients=[users[reviewer_id]],
                    kind=f"review.due{days}",
                    title=_("评审截止还有 %(n)s 天：%(c)s")
                    % {"n": days, "c": campaigns[campaign_id].name},
                    body=_("评审截止日期为 %(d)s，您还有 %(k)s 个单位的评审未完成。")
                    % {"d": day.isoformat(), "k": count},
                    url=reverse("reviews:mine"),
                    key=f"review:{campaign_id}:due{days}:{day.isoformat()}",
                )
            )
    return written


def send_evaluation_reminders(*, today: date) -> EvaluationReminders:
    campaigns, phases = _active_phases()
    summary = EvaluationReminders(today=today)
    summary.units = _remind_units(today, campaigns, phases)
    summary.reviewers = _remind_reviewers(today, campaigns, phases)
    return summary
