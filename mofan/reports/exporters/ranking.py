"""考评结果排名表: every enrolled unit's type scores, totals, composite, grade, rank, veto and
honour (先进单位), best first.

Who sees what (mirroring the approval page and the unit's result page):

* committee staff (admin, leader) of the campaign's committee: every unit, at any time. An
  approved unit shows its frozen `UnitResult` (which a re-review may have replaced); a unit not
  approved yet (before approval, or reopened) shows what `approval.campaign_rows` computes now,
  exactly as the approval page does, marked 未审定（测算）;
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
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.core.exports.base import Column
from mofan.core.exports.registry import register
from mofan.evaluations import approval
from mofan.evaluations.models import UnitResult
from mofan.indicators.models import IndicatorNode
from mofan.reports.exporters._scope import CampaignTable, paged

REVIEWED = (EnrollmentState.REVIEWED, EnrollmentState.APPROVED)


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
        qs = Enrollment.objects.filter(campaign=self.campaign)
        units = self.unit_ids()
        if units is not None:
            qs = qs.filter(unit_id__in=units)
        return qs

    def count(self) -> int:
        return int(self._enrollments().count())

    def rows(self) -> Iterator[Sequence[Any]]:
        if self.is_staff and self._enrollments().filter(result__isnull=True).exists():
            yield from self._provisional_rows()
            return
        shown_rank = self.is_staff or self.campaign.ranking_published
        enrolled = 0 if shown_rank else self.campaign.enrollments.count()
        qs = (
            self._enrollments()
            .filter(result__isnull=False)
            .select_related("unit", "result")
            .order_by(F("result__rank").asc(nulls_last=True), "unit__sort_order", "pk")
        )
        for enrollment in paged(qs):
            result: UnitResult = enrollment.result
            rank: Any = (
                result.rank if shown_rank else approval.rank_band(result.rank, enrolled) or None
            )
            yield self._row(
                rank=rank,
                name=enrollment.unit.name,
                type_scores=result.type_scores,
                self_total=result.self_total,
                review_total=result.review_total,
                composite=result.composite,
                grade=result.grade,
                veto=result.veto,
                advanced=result.advanced,
                state=_("已审定"),
            )

    def _provisional_rows(self) -> Iterator[Sequence[Any]]:
        """Staff, while some unit has no approved result: the approval page's figures, with the
        frozen result wherever one exists."""
        rows, _top = approval.stored_rows(self.campaign) or approval.campaign_rows(self.campaign)
        units = self.unit_ids()
        results = {
            r.enrollment_id: r
            for r in UnitResult.objects.filter(enrollment__campaign=self.campaign)
        }
        shown = []
        for row in rows:
            enrollment = row.enrollment
            if units is not None and enrollment.unit_id not in units:
                continue
            frozen = results.get(enrollment.pk)
            if frozen is not None:
                shown.append(
                    (
                        frozen.rank,
                        self._row(
                            rank=frozen.rank,
                            name=enrollment.unit.name,
                            type_scores=frozen.type_scores,
                            self_total=frozen.self_total,
                            review_total=frozen.review_total,
                            composite=frozen.composite,
                            grade=frozen.grade,
                            veto=frozen.veto,
                            advanced=frozen.advanced,
                            state=_("已审定"),
                        ),
                    )
                )
                continue
            computed = row.result
            reviewed = enrollment.state in REVIEWED
            shown.append(
                (
                    computed.rank if computed else None,
                    self._row(
                        rank=computed.rank if computed else None,
                        name=enrollment.unit.name,
                        type_scores=row.review_totals.type_scores if reviewed else {},
                        self_total=row.self_totals.total,
                        review_total=row.review_totals.total if reviewed else None,
                        composite=computed.score if computed else None,
                        grade=computed.grade if computed else "",
                        veto=computed.veto if computed else False,
                        advanced=computed.advanced if computed else False,
                        state=_("未审定（测算）"),
                    ),
                )
            )
        # campaign_rows is in the units' order: a stable sort keeps it among equal ranks
        shown.sort(key=lambda pair: (pair[0] is None, pair[0] or 0))
        for _rank, values in shown:
            yield values

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
