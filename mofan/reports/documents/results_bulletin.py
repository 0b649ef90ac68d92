"""考评结果通报: the results of a campaign, to every enrolled unit.

Shape (after the seed's 焦作 documents and the usual 通报): the basis and the procedure; 一、基本
情况 (how many units, how many in each grade, vetoes); 二、考评结果 (the units of each grade, in
the committee's order of units — never a ranking unless the committee published the ranking,
in which case a table of ranks and scores follows); 三、一票否决情况; 四、先进单位 (how many,
named by a separate notice); 五、下一步工作要求 (the rectification of the failing grades, with
the campaign's time limit).

Who: the committee's staff at any time after approval; an enrolled unit's admin or leader once
the results are published — as on the unit's own page. The opinions behind a veto are never
printed, only that a unit was vetoed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.campaigns.selectors import taking_part
from mofan.core.exports.base import Block, Column, Doc, Heading, Paragraph, Table
from mofan.core.exports.registry import register
from mofan.reports.documents.common import (
    ResultsDocument,
    UnitOutcome,
    cited_basis,
    consulted,
    event_name,
    grade_order,
    join_names,
    outcomes,
    quoted,
    veto_consequence,
)


@register
class ResultsBulletin(ResultsDocument):
    identifier: ClassVar[str] = "results_bulletin"
    label: ClassVar[str] = gettext_lazy("考评结果通报")  # type: ignore[assignment]
    not_approved = gettext_lazy("考评结果尚未审定，不能生成通报。")

    def title(self) -> str:
        return _("关于%(event)s考评结果的通报") % {"event": event_name(self.campaign)}

    def build(self) -> Doc:
        self.check()
        campaign = self.campaign
        results = outcomes(campaign)
        grades = grade_order(campaign, (r.grade for r in results))
        by_grade: dict[str, list[UnitOutcome]] = defaultdict(list)
        for result in results:
            by_grade[result.grade].append(result)
        vetoed = [r for r in results if r.veto]
        enrolled = taking_part(campaign).count()  # a withdrawn unit (已退出) did not take part

        blocks: list[Block] = [
            Paragraph(self._opening()),
            Heading(_("基本情况")),
            Paragraph(self._overview(enrolled, results, grades, by_grade, vetoed)),
            Heading(_("考评结果")),
            *self._grade_sections(grades, by_grade),
        ]
        if campaign.ranking_published:
            blocks.append(self._ranking(results))
        blocks += self._veto_section(vetoed)
        blocks += self._advanced_section([r for r in results if r.advanced])
        blocks += self._next_steps(results)
        return self.issued(addressee=_("各参评单位"), blocks=blocks)

    def _opening(self) -> str:
        departments = consulted(self.campaign)
        heard = _("在征求%(d)s部门意见的基础上，") % {"d": departments} if departments else ""
        return _(
            "%(basis)s，我委按照%(cadence)s的安排，组织开展了%(event)s考评工作。"
            "按照单位自评、评审组实地考评、"
            "综合审定的程序，%(heard)s经我委综合审定，考评工作已经完成。"
            "现将考评结果通报如下。"
        ) % {
            "basis": cited_basis(self.campaign),
            "cadence": self.campaign.cadence_label,
            "event": event_name(self.campaign),
            "heard": heard,
        }

    def _grade_sections(
        self, grades: list[str], by_grade: dict[str, list[UnitOutcome]]
    ) -> list[Block]:
        """二、考评结果: the units of each grade, in the committee's order of units."""
        blocks: list[Block] = []
        for grade in grades:
            units = by_grade.get(grade, [])
            if not units:
                continue
            label = quoted(grade) if grade else _("未评定等次")
            blocks.append(
                Heading(_("%(grade)s等次（%(n)d个）") % {"grade": label, "n": len(units)}, 2)
            )
            blocks.append(Paragraph(join_names(u.name for u in units) + "。"))
        return blocks

    def _veto_section(self, vetoed: list[UnitOutcome]) -> list[Block]:
        if not vetoed:
            return []
        consequence = veto_consequence(self.campaign)
        return [
            Heading(_("一票否决情况")),
            Paragraph(
                _("经征求意见，%(names)s共%(n)d个单位实行一票否决%(then)s。")
                % {
                    "names": join_names(u.name for u in vetoed),
                    "n": len(vetoed),
                    "then": f"，{consequence}" if consequence else "",
                }
            ),
        ]

    def _advanced_section(self, advanced: list[UnitOutcome]) -> list[Block]:
        if not advanced:
            return [Heading(_("先进单位")), Paragraph(_("本次考评没有单位达到先进单位的条件。"))]
        text = _(
            "根据考评结果，在不超过参评单位%(quota)s%%的比例内，%(names)s共%(n)d个单位"
            "拟命名为先进单位，另行发文命名。"
        ) % {
            "quota": _percent(self.campaign.honours_quota),
            "names": join_names(u.name for u in advanced),
            "n": len(advanced),
        }
        return [Heading(_("先进单位")), Paragraph(text)]

    def _next_steps(self, results: list[UnitOutcome]) -> list[Block]:
        """五、下一步工作要求: the failing grades' rectification, then the general call."""
        campaign = self.campaign
        blocks: list[Block] = [Heading(_("下一步工作要求"))]
        failing = [r for r in results if r.grade in (campaign.rectify_grades or [])]
        if failing:
            blocks.append(
                Paragraph(
                    _(
                        "评定为%(grades)s等次的%(names)s共%(n)d个单位，已列入问题清单。请对照问题"
                        "清单逐项制定整改措施，明确责任人和完成时限，在%(days)d天内完成整改并报送"
                        "整改情况；整改完成后，由我委组织复核。"
                    )
                    % {
                        "grades": "、".join(quoted(g) for g in campaign.rectify_grades),
                        "names": join_names(u.name for u in failing),
                        "n": len(failing),
                        "days": campaign.rectify_days,
                    }
                )
            )
        blocks.append(
            Paragraph(
                _(
                    "各单位要以此次考评为契机，对照考评指标查找差距、补齐短板，把创建模范机关的"
                    "过程作为提升党建质量、促进事业发展的过程，巩固拓展创建成果，推动创建工作"
                    "常态长效。"
                )
            )
        )
        return blocks

    def _overview(
        self,
        enrolled: int,
        results: list[UnitOutcome],
        grades: list[str],
        by_grade: dict[str, list[UnitOutcome]],
        vetoed: list[UnitOutcome],
    ) -> str:
        counts = "，".join(
            _("%(grade)s等次%(n)d个") % {"grade": quoted(g), "n": len(by_grade.get(g, []))}
            for g in grades
            if g and by_grade.get(g)  # a grade nobody reached is not a line ("优秀等次0个")
        )
        text = _("本次考评共有%(enrolled)d个单位参加，%(done)d个单位完成考评。") % {
            "enrolled": enrolled,
            "done": len(results),
        }
        if counts:
            text += _("其中，%(counts)s。") % {"counts": counts}
        if vetoed:
            text += _("%(n)d个单位实行一票否决。") % {"n": len(vetoed)}
        return text

    def _ranking(self, results: list[UnitOutcome]) -> Table:
        ranked = sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.sort_order))
        return Table(
            columns=[
                Column(_("名次"), "integer", 4),
                Column(_("单位"), "text", 16),
                Column(_("综合得分"), "number", 6),
                Column(_("等次"), "text", 5),
            ],
            rows=[(r.rank, r.name, r.composite, r.grade) for r in ranked],
            caption=_("考评得分及名次"),
        )


def _percent(ratio: object) -> str:
    """0.200 → 20, 0.125 → 12.5."""
    value = format(float(str(ratio)) * 100, ".1f")
    return value[:-2] if value.endswith(".0") else value
