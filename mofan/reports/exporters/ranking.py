"""考评结果排名表: every enrolled unit's type scores, totals, composite, grade, rank, veto and
honour (先进单位), best first.

Who sees what (mirroring the approval page and the unit's result page):

* committee staff (admin, leader) of the campaign's committee: every unit, at any time. An
  approved unit shows its frozen `UnitResult` (which a re-review may have replaced); a unit not
  approved yet (before approval, or reopened) shows its stored figures, what approval would
  freeze now, marked 未审定（测算）: the rows of `evaluations.selectors_ranking`, as on the
  approval page. A unit without a consolidated review score is neither scored nor ranked: it
  comes last, with its state (未开始, 填报中, 已提交, 已退回, 未完成) and no rank, composite or
  grade; a withdrawn unit (已退出) after those, likewise;
* a unit's admin or leader: only its own row, and only once the results are published; its rank
  is the rank band (前 25% …) unless the ranking itself was published, like its result page;
* reviewers and everybody else: nothing (PermissionDenied).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.campaigns.selectors import taking_part
from mofan.core.exports.base import Column
from mofan.core.exports.registry import register
from mofan.evaluations import approval
from mofan.evaluations.selectors_ranking import ranking_lines
from mofan.indicators.models import IndicatorNode
from mofan.reports.exporters._scope import CampaignTable

REVIEWED = (EnrollmentState.REVIEWED, EnrollmentState.APPROVED)


def _state(frozen: bool, reviewed: bool, state: str) -> str:
    """已审定; 未审定（测算） for a reviewed unit's provisional figures; else the unit's state
    (未开始, 填报中, 已提交, 已退回, 未完成, 已退出): such a unit is neither scored nor ranked."""
    if frozen:
        return _("已审定")
    if reviewed:
        return _("未审定（测算）")
    return str(EnrollmentState(state).label)


@register
class RankingExporter(CampaignTable):
    identifier = "ranking"
    label = gettext_lazy("考评结果排名表")  # type: ignore[assignment]
    formats = ("xlsx", "csv")

    def check(self) -> None:
        self.check_reader()
        if not self.is_staff and not self.campaign.results_published:
            raise PermissionDenied(_("考评结果公布后，单位才能导出本单位的结果。"))

    @cached_property
    def types(self) -> list[tuple[str, str]]:
        """The campaign's indicator types (top-level nodes): (code, title)."""
        return list(
            IndicatorNode.objects.filter(
                version_id=self.campaign.indicator_version_id, parent__isnull=True
            )
            .order_by("order", "pk")
            .values_list("code", "title")
        )

    def columns(self) -> list[Column]:
        return [
            Column(_("名次"), "integer", 5),
            Column(_("单位"), "text", 16),
            *(Column(title, "number", 6) for _code, title in self.types),
            Column(_("自评合计"), "number", 6),
            Column(_("评审合计"), "number", 6),
            Column(_("综合得分"), "number", 6),
            Column(_("等次"), "text", 5),
            Column(_("一票否决"), "text", 5),
            Column(_("先进单位"), "text", 5),
            Column(_("审定状态"), "text", 7),
        ]

    def _enrollments(self) -> Any:
        return self.of_units(Enrollment.objects.filter(campaign=self.campaign))

    def count(self) -> int:
        return int(self._enrollments().count())

    def rows(self) -> Iterator[Sequence[Any]]:
        """The ranking selector's rows: staff every unit (frozen or provisional), a unit only
        its approved results."""
        shown_rank = self.is_staff or self.campaign.ranking_published
        enrolled = 0 if shown_rank else taking_part(self.campaign).count()
        for line in ranking_lines(
            self.campaign, unit_ids=self.unit_ids(), approved_only=not self.is_staff
        ):
            reviewed = line.frozen or line.state in REVIEWED
            yield self._row(
                rank=line.rank if shown_rank else approval.rank_band(line.rank, enrolled) or None,
                name=line.unit_name,
                type_scores=line.type_scores if reviewed else {},
                self_total=line.self_total,
                review_total=line.review_total if reviewed else None,
                composite=line.composite,
                grade=line.grade,
                veto=line.veto,
                advanced=line.advanced,
                state=_state(line.frozen, reviewed, line.state),
            )

    def _row(
        self,
        *,
        rank: Any,
        name: str,
        type_scores: dict[str, Any],
        self_total: Decimal | None,
        review_total: Decimal | None,
        composite: Decimal | None,
        grade: str,
        veto: bool,
        advanced: bool,
        state: str,
    ) -> list[Any]:
        return [
            rank,
            name,
            *(type_scores.get(code) for code, _title in self.types),
            self_total,
            review_total,
            composite,
            grade,
            _("是") if veto else "",
            _("先进单位") if advanced else "",
            state,
        ]
