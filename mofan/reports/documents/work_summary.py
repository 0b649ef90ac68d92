"""工作总结: a draft summary of a campaign, assembled from its data, that the committee then
edits in Word (plain paragraphs, no tables).

`facts()` gathers the figures in a fixed number of queries (`SummaryFacts`); `build()` writes
them as prose: 一、基本情况 (enrolment, phases), 二、主要工作 (self-evaluation, on-site review,
approval and results), 三、整改落实情况 (problem items by state, overdue, re-reviews), 四、督查
检查情况 (spot checks, bulletins, the supervision ledger and 约谈), 五、存在的问题 (what the
figures show: units that did not submit, overdue items, failing units) and 六、下一步打算.
"Overdue" means not closed with a deadline before the document's date (`today`).

Who: the committee's staff only. The document has no red header (a summary is reported, not
issued as a 红头文件): title, text, signature and date.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.campaigns.models import EnrollmentState
from mofan.campaigns.selectors import scored_leaf_count
from mofan.core.exports.base import Block, Doc, Heading, Paragraph
from mofan.core.exports.registry import register
from mofan.evaluations.models import (
    Assignment,
    Finding,
    ReviewerSeat,
    ReviewGroup,
    SelfScore,
    Visit,
)
from mofan.evaluations.selectors_ranking import approved_results
from mofan.indicators.methods import OPTIONAL_IN_SELF
from mofan.rectification.models import OPEN_STATES, ProblemItem, ProblemState, ReReview
from mofan.reports.documents.common import (
    OfficialDocument,
    cited_basis,
    cn_date,
    grade_order,
    quoted,
    require_staff,
)
from mofan.supervision.models import (
    Bulletin,
    BulletinKind,
    BulletinState,
    Interview,
    LedgerItem,
    LedgerState,
    SpotCheckDraw,
    SpotCheckVisit,
)

SUBMITTED_STATES = (EnrollmentState.SUBMITTED, EnrollmentState.REVIEWED, EnrollmentState.APPROVED)


@dataclass(frozen=True)
class PhaseFact:
    name: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    due_text: str


@dataclass
class SummaryFacts:
    enrolled: int = 0  # taking part: the withdrawn units are not counted
    withdrawn: int = 0  # 已退出 before they submitted
    continuous: bool = False
    cadence_label: str = ""  # 一年一考评、三年一总评（…）, 常态化开展, 分阶段推进
    phases: list[PhaseFact] = field(default_factory=list)
    submitted: int = 0  # self-evaluation submitted (submitted, reviewed or approved)
    not_started: int = 0
    leaves: int = 0  # scored leaves a unit fills in
    self_scores: int = 0  # of those, filled in, over all units
    groups: int = 0
    reviewers: int = 0
    assigned: int = 0
    visits: int = 0
    findings: int = 0
    problem_findings: int = 0
    approved: int = 0  # units with an approved result
    grades: dict[str, int] = field(default_factory=dict)
    grade_labels: list[str] = field(default_factory=list)
    vetoed: int = 0
    advanced: int = 0
    items: int = 0
    items_by_state: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    units_with_items: int = 0
    rereviews: int = 0
    rereviews_approved: int = 0
    draws: int = 0
    drawn_units: int = 0
    spot_visits: int = 0
    bulletins: int = 0
    monthly_bulletins: int = 0
    ledger: int = 0
    ledger_done: int = 0
    interviews: int = 0
    failing: int = 0  # approved units in the grades that must rectify

    @property
    def closed(self) -> int:
        return self.items_by_state.get(ProblemState.CLOSED, 0)

    @property
    def unclosed(self) -> int:
        return self.items - self.closed


def _pct(part: int, whole: int) -> str:
    if not whole:
        return "0"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def _count_and_count_of(rows: QuerySet[Any], condition: Q) -> tuple[int, int]:
    """How many rows, and how many of them meet `condition` (one query)."""
    counts = rows.aggregate(total=Count("pk"), meeting=Count("pk", filter=condition))
    return counts["total"], counts["meeting"]


@register
class WorkSummary(OfficialDocument):
    identifier: ClassVar[str] = "work_summary"
    label: ClassVar[str] = gettext_lazy("工作总结")  # type: ignore[assignment]
    formats: ClassVar[tuple[str, ...]] = ("docx",)  # a draft to edit in Word

    def check(self) -> None:
        require_staff(self.actor, self.campaign)

    def title(self) -> str:
        return _("%(name)s工作总结") % {"name": self.campaign.name}

    # --- the figures ---------------------------------------------------------------------------

    def facts(self) -> SummaryFacts:
        campaign = self.campaign
        facts = SummaryFacts(continuous=campaign.continuous, cadence_label=campaign.cadence_label)
        states = Counter(
            dict(
                campaign.enrollments.order_by()
                .values("state")
                .annotate(n=Count("pk"))
                .values_list("state", "n")
            )
        )
        # A withdrawn unit (已退出) left before it ever submitted: it did not take part.
        facts.withdrawn = states[EnrollmentState.WITHDRAWN]
        facts.enrolled = sum(states.values()) - facts.withdrawn
        facts.submitted = sum(states[s] for s in SUBMITTED_STATES)
        facts.not_started = states[EnrollmentState.NOT_STARTED]
        facts.phases = [
            PhaseFact(p.name, p.starts_on, p.ends_on, p.due_text) for p in campaign.phases.all()
        ]
        facts.leaves = scored_leaf_count(campaign)
        facts.self_scores = (
            SelfScore.objects.filter(enrollment__campaign=campaign, node__children__isnull=True)
            .exclude(node__method__type__in=OPTIONAL_IN_SELF)
            .exclude(enrollment__state=EnrollmentState.WITHDRAWN)
            .count()
        )
        groups = ReviewGroup.objects.filter(campaign=campaign)
        facts.groups = groups.count()
        people = set(
            ReviewerSeat.objects.filter(group__campaign=campaign).values_list(
                "reviewer_id", flat=True
            )
        )
        people |= set(groups.values_list("leader_id", flat=True))
        facts.reviewers = len(people)
        facts.assigned = Assignment.objects.filter(group__campaign=campaign).count()
        facts.visits = Visit.objects.filter(assignment__group__campaign=campaign).count()
        facts.findings, facts.problem_findings = _count_and_count_of(
            Finding.objects.filter(assignment__group__campaign=campaign), Q(is_problem=True)
        )

        results = list(approved_results(campaign).values_list("grade", "veto", "advanced"))
        facts.approved = len(results)
        facts.grades = dict(Counter(grade for grade, _v, _a in results))
        facts.grade_labels = grade_order(campaign, facts.grades)
        facts.vetoed = sum(1 for _g, veto, _a in results if veto)
        facts.advanced = sum(1 for _g, _v, advanced in results if advanced)
        facts.failing = sum(n for g, n in facts.grades.items() if g in campaign.rectify_grades)

        items = ProblemItem.objects.filter(campaign=campaign)
        counts = items.aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(state__in=OPEN_STATES, deadline__lt=self.today)),
            units=Count("unit", distinct=True),
            **{state.value: Count("pk", filter=Q(state=state)) for state in ProblemState},
        )
        facts.items, facts.overdue = counts["total"], counts["overdue"]
        facts.units_with_items = counts["units"]
        facts.items_by_state = {state.value: counts[state.value] for state in ProblemState}
        facts.rereviews, facts.rereviews_approved = _count_and_count_of(
            ReReview.objects.filter(enrollment__campaign=campaign), Q(state="approved")
        )

        draws = list(SpotCheckDraw.objects.filter(campaign=campaign).values_list("result"))
        facts.draws = len(draws)
        facts.drawn_units = sum(len((result or {}).get("units", [])) for (result,) in draws)
        facts.spot_visits = SpotCheckVisit.objects.filter(draw__campaign=campaign).count()
        facts.bulletins, facts.monthly_bulletins = _count_and_count_of(
            Bulletin.objects.filter(campaign=campaign, state=BulletinState.PUBLISHED),
            Q(kind=BulletinKind.MONTHLY),
        )
        facts.ledger, facts.ledger_done = _count_and_count_of(
            LedgerItem.objects.filter(campaign=campaign), Q(state=LedgerState.DONE)
        )
        facts.interviews = Interview.objects.filter(ledger_item__campaign=campaign).count()
        return facts

    # --- the prose -----------------------------------------------------------------------------

    def build(self) -> Doc:
        self.check()
        f = self.facts()
        campaign = self.campaign
        blocks: list[Block] = [
            Paragraph(
                _(
                    "%(basis)s，我委组织%(n)d个单位开展%(name)s，按照单位自评、评审组实地考评、"
                    "综合审定的程序推进实施。现将有关情况总结如下。"
                )
                % {"basis": cited_basis(campaign), "n": f.enrolled, "name": campaign.name}
            ),
            Heading(_("基本情况")),
            Paragraph(self._phases(f)),
            Heading(_("主要工作")),
            Heading(_("单位自评"), 2),
            Paragraph(self._self_evaluation(f)),
            Heading(_("实地考评"), 2),
            Paragraph(self._review(f)),
            Heading(_("综合审定"), 2),
            Paragraph(self._results(f)),
            Heading(_("整改落实情况")),
            Paragraph(self._rectification(f)),
            Heading(_("督查检查情况")),
            Paragraph(self._supervision(f)),
            Heading(_("存在的问题")),
            *[Paragraph(text) for text in self._problems(f)],
            Heading(_("下一步打算")),
            Paragraph(
                _(
                    "一是抓好问题整改。对问题清单实行台账管理，逐项对账销号，对逾期未完成的挂账"
                    "督办，整改完成后及时组织复核。二是推动常态长效。把创建模范机关融入日常工作，"
                    "坚持以上率下、以创促建，巩固拓展创建成果。三是加强典型引领。总结推广先进单位"
                    "的经验做法，发挥示范带动作用，推动创建工作整体提升。"
                )
            ),
        ]
        return Doc(
            title=self.title(),
            blocks=blocks,
            signature=self.signature(),
            date=self.today,
        )

    def _phases(self, f: SummaryFacts) -> str:
        text = _("本次创建活动共有%(n)d个单位参加。") % {"n": f.enrolled}
        if f.withdrawn:
            text += _("另有%(n)d个单位在提交自评前退出。") % {"n": f.withdrawn}
        if f.continuous:
            return text + _("创建工作常态化开展，不分阶段。")
        if not f.phases:
            return text + _("创建工作实行%(c)s。") % {"c": f.cadence_label}
        parts = []
        for phase in f.phases:
            if phase.starts_on and phase.ends_on:
                when = _("%(start)s至%(end)s") % {
                    "start": cn_date(phase.starts_on),
                    "end": cn_date(phase.ends_on),
                }
            elif phase.ends_on:
                when = _("%(end)s前") % {"end": cn_date(phase.ends_on)}
            else:
                when = phase.due_text
            parts.append(f"{phase.name}（{when}）" if when else phase.name)
        return text + _("工作分为%(n)d个阶段：%(phases)s。") % {
            "n": len(f.phases),
            "phases": "、".join(parts),
        }

    def _self_evaluation(self, f: SummaryFacts) -> str:
        text = _("%(n)d个单位完成自评并提交，占参评单位的%(pct)s%%。") % {
            "n": f.submitted,
            "pct": _pct(f.submitted, f.enrolled),
        }
        if f.leaves:
            text += _("自评指标填报完成率为%(pct)s%%。") % {
                "pct": _pct(f.self_scores, f.leaves * f.enrolled)
            }
        return text

    def _review(self, f: SummaryFacts) -> str:
        if not f.groups:
            return _("尚未组建评审组。")
        text = _(
            "抽调%(people)d名评审人员组成%(groups)d个评审组，对%(assigned)d个单位进行实地考评"
        ) % {"people": f.reviewers, "groups": f.groups, "assigned": f.assigned}
        if f.visits:
            text += _("，开展实地考评%(visits)d次") % {"visits": f.visits}
        text += "。"
        if f.findings:
            text += _("评审组记录发现的问题和亮点%(n)d条，其中列为问题%(p)d条。") % {
                "n": f.findings,
                "p": f.problem_findings,
            }
        return text

    def _results(self, f: SummaryFacts) -> str:
        if not f.approved:
            return _("考评结果尚未审定。")
        counts = "，".join(
            _("%(grade)s等次%(n)d个") % {"grade": quoted(g), "n": f.grades.get(g, 0)}
            for g in f.grade_labels
            if g and f.grades.get(g)
        )
        text = _("经综合审定，%(n)d个单位评定了等次：%(counts)s。") % {
            "n": f.approved,
            "counts": counts,
        }
        if f.vetoed:
            text += _("%(n)d个单位实行一票否决。") % {"n": f.vetoed}
        if f.advanced:
            text += _("%(n)d个单位评为先进单位。") % {"n": f.advanced}
        return text

    def _rectification(self, f: SummaryFacts) -> str:
        if not f.items:
            return _("本次创建活动未列入问题清单事项。")
        by = f.items_by_state
        stages = [
            (ProblemState.REPORTED_DONE, _("已报完成待核实%(n)d项")),
            (ProblemState.IN_PROGRESS, _("整改中%(n)d项")),
            (ProblemState.MEASURES_SUBMITTED, _("措施已报%(n)d项")),
            (ProblemState.OPEN, _("待报整改措施%(n)d项")),
        ]
        parts = [_("已整改销号%(n)d项") % {"n": f.closed}]
        parts += [label % {"n": by[state]} for state, label in stages if by.get(state)]
        text = _(
            "%(units)d个单位共列入问题清单%(total)d项。其中，%(parts)s；整改销号率%(pct)s%%。"
        ) % {
            "units": f.units_with_items,
            "total": f.items,
            "parts": "，".join(parts),
            "pct": _pct(f.closed, f.items),
        }
        if f.overdue:
            text += _("截至%(date)s，逾期未完成%(n)d项。") % {
                "date": cn_date(self.today),
                "n": f.overdue,
            }
        if f.rereviews:
            text += _("%(n)d个单位进入复核") % {"n": f.rereviews}
            if f.rereviews_approved:
                text += _("，其中%(k)d个单位复核结果已批准") % {"k": f.rereviews_approved}
            text += "。"
        return text

    def _supervision(self, f: SummaryFacts) -> str:
        parts = []
        if f.draws:
            parts.append(
                _("开展“双随机”抽查%(draws)d次，抽取单位%(units)d个次，完成检查%(visits)d次")
                % {"draws": f.draws, "units": f.drawn_units, "visits": f.spot_visits}
            )
        if f.bulletins:
            parts.append(
                _("发布通报%(n)d期（其中月度通报%(m)d期）")
                % {"n": f.bulletins, "m": f.monthly_bulletins}
            )
        if f.ledger:
            parts.append(
                _("挂账督办事项%(n)d项、已办结%(done)d项") % {"n": f.ledger, "done": f.ledger_done}
            )
        if f.interviews:
            parts.append(_("约谈%(n)d次") % {"n": f.interviews})
        if not parts:
            return _("本次创建活动未开展随机抽查和挂账督办。")
        return "，".join(parts) + "。"

    def _problems(self, f: SummaryFacts) -> list[str]:
        found = []
        if f.enrolled and f.submitted < f.enrolled:
            found.append(
                _("一些单位自评推进较慢，%(n)d个单位未按时提交自评。")
                % {"n": f.enrolled - f.submitted}
            )
        if f.failing:
            found.append(_("%(n)d个单位考评未达到要求，创建基础仍需夯实。") % {"n": f.failing})
        if f.overdue:
            found.append(
                _("%(n)d项问题超过整改时限仍未完成，整改进度有待加快。") % {"n": f.overdue}
            )
        if not found:
            found.append(_("从平台记录看，本次创建活动未发现需要专门说明的问题。"))
        return found
