"""优秀案例汇编: the compilation of a call's published 优秀案例 (党建品牌优秀案例汇编), a
call-scoped document (`core.exports.base.CallDocument`).

Documented choices
------------------
* It lists exactly the call's cases selected as 优秀案例 when the selection was published, in
  the order of their rank (then by id), nothing of the cases not selected.
* A table of contents first (目录: number, case title, brand, unit), then one section per case:
  a level-1 heading with the case's title, a line with the unit and the brand, the summary and
  the full text paragraph by paragraph. (A real Word TOC field is not written: the contents
  table names the sections in the same order and numbering.)
* Issuer, signature and printer: the committee, as the other documents; no document number
  (the office numbers it when it registers the document); the date: the day the selection was
  published.
* Who: the staff (工委管理员, 工委领导) of the call's committee, once the selection is published.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts import rules
from mofan.cases.models import CallState, Case, CaseCall
from mofan.core.exports.base import Block, CallDocument, Column, Doc, Heading, Paragraph
from mofan.core.exports.registry import register
from mofan.reports.documents.common import numbered_table


def selected_cases(call: CaseCall) -> list[Case]:
    return list(
        Case.objects.filter(call=call, excellent=True).select_related("unit").order_by("rank", "pk")
    )


@register
class CasesCompilation(CallDocument):
    identifier: ClassVar[str] = "cases_compilation"
    label: ClassVar[str] = gettext_lazy("优秀案例汇编")  # type: ignore[assignment]

    def check(self) -> None:
        if not rules.is_staff_of(self.actor, self.call.committee_id):
            raise PermissionDenied(_("只有本工委的管理员和领导可以生成优秀案例汇编。"))
        if self.call.state != CallState.SELECTED:
            raise ValidationError(_("该征集尚未公布优秀案例，不能生成汇编。"))
        if not self.cases():
            raise ValidationError(_("该征集没有优秀案例。"))

    def cases(self) -> list[Case]:
        if not hasattr(self, "_cases"):
            self._cases = selected_cases(self.call)
        return self._cases

    def title(self) -> str:
        title = str(self.call.title)
        prefix = "" if str(self.call.year) in title else f"{self.call.year}年度"
        return _("%(title)s优秀案例汇编") % {"title": prefix + title}

    def build(self) -> Doc:
        self.check()
        call = self.call
        committee = str(call.committee.name)
        cases = self.cases()
        blocks: list[Block] = [
            Paragraph(
                _(
                    "为总结推广机关党建工作的好经验好做法，我委组织开展了%(title)s征集活动。经各单位"
                    "报送、专家评审，评选出优秀案例%(n)d个，现汇编印发，供各单位学习借鉴。"
                )
                % {"title": call.title, "n": len(cases)}
            ),
            numbered_table(
                [
                    Column(_("案例标题"), "text", 14),
                    Column(_("品牌名称"), "text", 8),
                    Column(_("单位"), "text", 10),
                ],
                [(c.title, c.brand, c.unit.name) for c in cases],
                number_width=3,
                caption=_("目录"),
            ),
        ]
        for case in cases:
            blocks.append(Heading(case.title, level=1))
            blocks.append(
                Paragraph(
                    _("单位：%(unit)s　品牌：%(brand)s")
                    % {"unit": case.unit.name, "brand": case.brand}
                )
            )
            blocks.append(Paragraph(_("【摘要】%(summary)s") % {"summary": case.summary}))
            blocks.extend(
                Paragraph(line.strip()) for line in case.body.splitlines() if line.strip()
            )
        return Doc(
            title=self.title(),
            issuer=_("%(name)s文件") % {"name": committee},
            addressee=_("各有关单位"),
            blocks=blocks,
            signature=committee,
            date=call.published_on or self.today,
            printer=_("%(name)s办公室") % {"name": committee},
        )
