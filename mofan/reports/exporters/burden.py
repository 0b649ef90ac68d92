"""减负统计 of a campaign: one row per unit (what its self-evaluation asked, how much the ledger
computed, the files behind its indicators, new and reused), then the campaign's total.

Committee staff get every unit of the campaign, a unit's admin or leader its own unit; anybody
else PermissionDenied (`CampaignTable.check_reader`). The figures are those of the 减负统计
page (`reports.burden`), read a page of units at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.campaigns.models import Enrollment
from mofan.core.exports.base import Column
from mofan.core.exports.registry import register
from mofan.reports import burden as figures
from mofan.reports.exporters._scope import PAGE, CampaignTable


@register
class BurdenExporter(CampaignTable):
    identifier = "burden"
    label = gettext_lazy("减负统计")  # type: ignore[assignment]
    formats = ("xlsx", "csv")

    def check(self) -> None:
        self.check_reader()

    def enrollments(self) -> QuerySet[Enrollment]:
        return self.of_units(
            figures.burden_enrollments(self.actor).filter(campaign=self.campaign)
        ).select_related("unit", "campaign")

    def count(self) -> int:
        return int(self.enrollments().count()) + 1

    def columns(self) -> list[Column]:
        return [
            Column(_("单位"), "text", 16),
            Column(_("指标项"), "integer", 6),
            Column(_("台账自动取数"), "integer", 7),
            Column(_("需手工填写"), "integer", 7),
            Column(_("自动取数占比（%）"), "number", 8),
            Column(_("新上传文件"), "integer", 7),
            Column(_("复用已有文件"), "integer", 7),
            Column(_("一文多用（次）"), "integer", 7),
        ]

    @staticmethod
    def _row(name: str, burden: figures.Burden) -> list[Any]:
        return [
            name,
            burden.asked,
            burden.computed,
            burden.typed,
            burden.computed_percent,
            burden.files_new,
            burden.files_reused,
            burden.extra_links,
        ]

    def rows(self) -> Iterator[Sequence[Any]]:
        qs = self.enrollments().order_by("unit__sort_order", "unit_id")
        summed = figures.Burden(units=0)
        start = 0
        while True:
            page = list(qs[start : start + PAGE])
            by_enrollment = figures.enrollment_burden(page)
            for enrollment in page:
                burden = by_enrollment[enrollment.pk]
                summed.add(burden)
                summed.units += 1
                yield self._row(enrollment.unit.name, burden)
            if len(page) < PAGE:
                break
            start += PAGE
        yield self._row(_("合计（%(n)d 个单位）") % {"n": summed.units}, summed)
