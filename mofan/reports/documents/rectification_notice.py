"""整改通知书 to one unit: its problem list (问题清单) in the campaign.

The items are the unit's problem items of this campaign and those on its list without a
campaign (a committee check, a 约谈, a yellow card), read through the rectification pages'
selector (`rectification.selectors.problem_items_for`): items not yet closed with their
deadline, the required measures and where they stand, then the items already closed (销号).
The unit's grade is mentioned only once the results are published. A notice is issued only to
a unit with items still to rectify (none on its list, or all closed: refused in `check()`), and
it has no "0项" lines.

Who: the committee's staff for any unit of the committee; a unit's admin or leader for its own
unit only (another unit's notice is refused).
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.core.exports.base import Block, Column, Doc, Heading, Paragraph, Table
from mofan.core.exports.registry import register
from mofan.evaluations.models import UnitResult
from mofan.rectification.models import OPEN_STATES, ProblemItem, ProblemState
from mofan.rectification.selectors import problem_items_for
from mofan.reports.documents.common import (
    OfficialDocument,
    cn_date,
    event_name,
    numbered_table,
    quoted,
    require_unit_reader_or_staff,
)


@register
class RectificationNotice(OfficialDocument):
    identifier: ClassVar[str] = "rectification_notice"
    label: ClassVar[str] = gettext_lazy("整改通知书")  # type: ignore[assignment]
    per_unit: ClassVar[bool] = True

    def check(self) -> None:
        require_unit_reader_or_staff(self.actor, self.campaign, self.unit)
        if not self.items().filter(state__in=OPEN_STATES).exists():
            raise ValidationError(_("该单位没有需要整改的问题，无需发整改通知书。"))

    def title(self) -> str:
        return _("%(event)s问题整改通知书") % {"event": event_name(self.campaign)}

    def items(self) -> QuerySet[ProblemItem]:
        """The unit's items in this campaign and those without a campaign, by deadline."""
        assert self.unit is not None
        return (
            problem_items_for(self.actor)
            .filter(unit=self.unit, committee_id=self.campaign.committee_id)
            .filter(Q(campaign=self.campaign) | Q(campaign__isnull=True))
            .order_by("deadline", "pk")
        )

    def build(self) -> Doc:
        self.check()
        unit = self.unit
        assert unit is not None
        items = list(self.items())
        unclosed = [i for i in items if i.state in OPEN_STATES]
        closed = [i for i in items if i.state == ProblemState.CLOSED]
        blocks: list[Block] = [
            Paragraph(self._opening(len(items), len(unclosed), len(closed))),
            Heading(_("需要整改的问题（%(n)d项）") % {"n": len(unclosed)}),
            self._unclosed_table(unclosed),
        ]
        if closed:
            blocks.append(Heading(_("已整改销号的问题（%(n)d项）") % {"n": len(closed)}))
            blocks.append(self._closed_table(closed))
        blocks.append(Heading(_("整改要求")))
        blocks.append(
            Paragraph(
                _(
                    "请对照问题清单逐项制定整改措施，明确整改责任人和完成时限，在平台问题清单中"
                    "报送整改措施；整改完成后报送整改完成情况和佐证材料，经我委核实后销号。"
                )
            )
        )
        blocks.append(Paragraph(self._deadlines(unclosed)))
        return self.issued(addressee=unit.name, blocks=blocks)

    @staticmethod
    def _unclosed_table(unclosed: list[ProblemItem]) -> Table:
        """The items still to rectify: what, from where, the measures, deadline and state."""
        return numbered_table(
            [
                # widths in 小四 characters of the 36.9 a row holds: the description gets the
                # room; a date such as 2026年12月31日 needs 7
                Column(_("问题描述"), "text", 12),
                Column(_("来源"), "text", 4),
                Column(_("整改要求"), "text", 6),
                Column(_("整改时限"), "date", 7),
                Column(_("状态"), "text", 4),
            ],
            [
                (
                    item.description,
                    str(item.get_source_display()),
                    item.required_measures or _("对照问题逐项整改"),
                    item.deadline,
                    str(item.get_state_display()),
                )
                for item in unclosed
            ],
            number_width=3,
        )

    @staticmethod
    def _closed_table(closed: list[ProblemItem]) -> Table:
        """The items already closed (销号), with the day they were closed."""
        return numbered_table(
            [
                Column(_("问题描述"), "text", 17),
                Column(_("整改时限"), "date", 8),
                Column(_("销号日期"), "date", 8),
            ],
            [
                (item.description, item.deadline, item.closed_at.date() if item.closed_at else None)
                for item in closed
            ],
            number_width=3,
        )

    def _deadlines(self, unclosed: list[ProblemItem]) -> str:
        """The nearest deadline, the overdue items and what follows a missed deadline."""
        first = min(i.deadline for i in unclosed)
        overdue = [i for i in unclosed if i.deadline < self.today]
        text = _("最近一项问题的整改时限为%(date)s。") % {"date": cn_date(first)}
        if overdue:
            text += _("已有%(n)d项问题超过整改时限，请抓紧整改。") % {"n": len(overdue)}
        return text + _("逾期未完成整改的，将按规定挂账督办，必要时进行约谈。")

    def _opening(self, total: int, unclosed: int, closed: int) -> str:
        campaign = self.campaign
        text = _("根据%(event)s考评和日常督查检查情况，") % {"event": event_name(campaign)}
        if campaign.results_published:
            result = UnitResult.objects.filter(
                enrollment__campaign=campaign, enrollment__unit=self.unit
            ).first()
            if result is not None and result.grade in (campaign.rectify_grades or []):
                text += _("你单位考评等次为%(grade)s，") % {"grade": quoted(result.grade)}
                text += _("共有%(total)d项问题列入问题清单，") % {"total": total}
            else:
                text += _("你单位共有%(total)d项问题列入问题清单，") % {"total": total}
        else:
            text += _("你单位共有%(total)d项问题列入问题清单，") % {"total": total}
        if closed:
            text += _("其中需要整改%(unclosed)d项、已整改销号%(closed)d项。") % {
                "unclosed": unclosed,
                "closed": closed,
            }
        else:
            text += _("均需整改。")
        return text + _("现将问题清单通知如下，请认真抓好整改。")
