"""先进单位命名通知: the committee names the campaign's advanced units (seed 001: 每年命名表彰一批
“市直机关创建模范机关先进单位”).

The advanced units are exactly the approved results marked `advanced` (within the honours
quota, vetoed units excluded: `evaluations.results.select_advanced`), listed in the committee's
order of units in a table after the decision. The body cites the campaign's own document
number. Who: as the results bulletin (staff; units once the results are published).
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.core.exports.base import Column, Doc, Paragraph
from mofan.core.exports.registry import register
from mofan.reports.documents.common import (
    ResultsDocument,
    UnitOutcome,
    cited_basis,
    consulted,
    event_name,
    honour_name,
    numbered_table,
    outcomes,
    quoted,
)


@register
class NamingNotice(ResultsDocument):
    identifier: ClassVar[str] = "naming_notice"
    label: ClassVar[str] = gettext_lazy("先进单位命名通知")  # type: ignore[assignment]
    not_approved = gettext_lazy("考评结果尚未审定，不能生成命名通知。")

    def check(self) -> None:
        super().check()
        if not self.advanced():
            raise ValidationError(_("本次考评没有评出先进单位。"))

    def advanced(self) -> list[UnitOutcome]:
        return [r for r in outcomes(self.campaign) if r.advanced]

    def title(self) -> str:
        return _("关于命名%(honour)s的通知") % {"honour": honour_name(self.campaign)}

    def build(self) -> Doc:
        self.check()
        campaign = self.campaign
        units = self.advanced()
        honour = honour_name(campaign)
        first = units[0].name
        departments = consulted(campaign)
        steps = (
            _("经单位自评、评审组实地考评、征求%(d)s部门意见和我委综合审定，") % {"d": departments}
            if departments
            else _("经单位自评、评审组实地考评和我委综合审定，")
        )
        decision = _(
            "%(basis)s，我委按照%(cadence)s的安排，组织开展了%(event)s考评。"
            "%(steps)s决定命名%(first)s%(others)s为%(honour)s。"
        ) % {
            "basis": cited_basis(campaign),
            "cadence": campaign.cadence_label,
            "event": event_name(campaign),
            "steps": steps,
            "first": first,
            "others": (_("等%(n)d个单位") % {"n": len(units)}) if len(units) > 1 else "",
            "honour": quoted(honour),
        }
        return self.issued(
            addressee=_("各参评单位"),
            blocks=[
                Paragraph(decision),
                Paragraph(
                    _(
                        "希望受到命名的单位珍惜荣誉、再接再厉，充分发挥示范引领作用，在创建模范机关"
                        "中走在前、作表率。各单位要以先进为榜样，对标对表、比学赶超，推动创建工作"
                        "整体提升。"
                    )
                ),
                Paragraph(_("%(honour)s名单如下：") % {"honour": honour}),
                numbered_table(
                    [Column(_("单位名称"), "text", 24)],
                    [(unit.name,) for unit in units],
                    number_width=4,
                    caption=_("%(honour)s名单（共%(n)d个）") % {"honour": honour, "n": len(units)},
                ),
            ],
        )
