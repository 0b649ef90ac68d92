"""考评得分表 of one unit: every indicator of the campaign's system in order, with its points,
scoring method, the unit's self score, each reviewer's score (one column per reviewer of the
unit's review group, headed by the reviewer's name), the final (consolidated) score and the
comments; heading rows for the types and items carry their subtotals (rolled up by the same pure
code as approval), then the totals and the approved composite score and grade.

Who may export it (mirroring the pages):

* committee staff (admin, leader) of the campaign's committee: any enrolled unit, at any time,
  with the reviewers' names, as on the score-formation (trace) page;
* the unit's own admin or leader: only once the results are published, and without the
  reviewers' columns and names: the pages never show a unit who scored what (blind review), so
  its sheet carries the self, final and group comments only (comments unattributed);
* another unit, a reviewer, anybody else: PermissionDenied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts.models import User
from mofan.campaigns.models import Enrollment
from mofan.core.exports.base import Column
from mofan.core.exports.registry import register
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    ReviewScore,
    SelfScore,
    UnitResult,
)
from mofan.indicators.forms import METHOD_SHORT
from mofan.indicators.methods import LeafScore
from mofan.indicators.models import IndicatorNode
from mofan.indicators.rollup import NodeResult, grand_total, rollup
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import tree_leaf_total, walk
from mofan.reports.exporters._scope import CampaignTable

SCORE_FIELDS = ("node_id", "score", "level", "veto")


def shown(score: Decimal | None, level: str | None, veto: bool) -> Any:
    """A score as the pages show it: the points, else the level, else 否决 for a veto."""
    if score is not None:
        return score
    if level:
        return level
    return _("否决") if veto else None


def shown_leaf(row: dict[str, Any] | None, veto_leaf: bool) -> Any:
    """One stored leaf score as shown; a veto leaf judged without a veto reads 无."""
    if row is None:
        return None
    value = shown(row["score"], row["level"], row["veto"])
    if value is None and veto_leaf:
        return _("无")
    return value


def _leaf_score(row: dict[str, Any]) -> LeafScore:
    return LeafScore(score=row["score"], level=row["level"] or None, veto=row["veto"])


def _result_shown(result: NodeResult | None) -> Any:
    if result is None:
        return None
    return shown(result.score, result.level, result.veto)


@register
class ScoreSheetExporter(CampaignTable):
    identifier = "score_sheet"
    label = gettext_lazy("考评得分表")  # type: ignore[assignment]
    formats = ("xlsx", "csv", "docx", "pdf")
    per_unit = True
    background_above_units = 10**9  # one unit: never worth a background job

    def check(self) -> None:
        if self.unit is None:
            raise LookupError(_("考评得分表按单位导出，请指定单位。"))
        if self.is_staff and self.unit.committee_id == self.campaign.committee_id:
            pass
        elif self.unit.pk in self.own_units:
            if not self.campaign.results_published:
                raise PermissionDenied(_("考评结果公布后才能导出本单位的考评得分表。"))
        else:
            raise PermissionDenied(_("无权导出该单位的考评得分表。"))
        if self.enrollment is None:
            raise LookupError(_("该单位未参加这一创建活动。"))

    def title(self) -> str:
        name = self.unit.name if self.unit is not None else ""
        return f"{name}{self.label}"

    @property
    def shows_reviewers(self) -> bool:
        return self.is_staff

    @cached_property
    def enrollment(self) -> Enrollment | None:
        if self.unit is None:
            return None
        return Enrollment.objects.filter(campaign=self.campaign, unit=self.unit).first()

    @cached_property
    def reviewers(self) -> list[tuple[int, str]]:
        """(user id, column header) of the unit's group: the leader first, then the seated
        reviewers, then anybody else who scored the unit (e.g. since unseated)."""
        if self.enrollment is None or not self.shows_reviewers:
            return []
        assignment = (
            Assignment.objects.filter(enrollment=self.enrollment).select_related("group").first()
        )
        ids: list[int] = []
        if assignment is not None:
            ids.append(assignment.group.leader_id)
            ids += list(
                assignment.group.seats.order_by("reviewer__username").values_list(
                    "reviewer_id", flat=True
                )
            )
        ids += list(
            ReviewScore.objects.filter(assignment__enrollment=self.enrollment)
            .order_by("reviewer__username")
            .values_list("reviewer_id", flat=True)
            .distinct()
        )
        ordered = list(dict.fromkeys(ids))
        users = User.objects.in_bulk(ordered)
        names = [users[pk].full_name or users[pk].username for pk in ordered]
        return [
            (pk, f"{name}（{users[pk].username}）" if names.count(name) > 1 else name)
            for pk, name in zip(ordered, names, strict=True)
        ]

    @cached_property
    def has_points(self) -> bool:
        """Whether the indicator system gives points (a qualitative one, graded by levels, has
        no 分值 column and no 合计 row)."""
        return IndicatorNode.objects.filter(
            version_id=self.campaign.indicator_version_id, points__isnull=False
        ).exists()

    def columns(self) -> list[Column]:
        columns = [
            Column(_("指标编码"), "text", 5),
            Column(_("指标名称"), "text", 24),
            Column(_("分值"), "number", 6),
            Column(_("评分方法"), "text", 6),
            Column(_("自评"), "number", 6),
            *(Column(header, "number", 6) for _pk, header in self.reviewers),
            Column(_("最终得分"), "number", 6),
            Column(_("评语"), "text", 20),
        ]
        return columns if self.has_points else columns[:2] + columns[3:]

    def count(self) -> int:
        nodes = IndicatorNode.objects.filter(version_id=self.campaign.indicator_version_id)
        return int(nodes.count()) + 2

    def rows(self) -> Iterator[Sequence[Any]]:
        if self.has_points:
            yield from self._rows()
            return
        for row in self._rows():
            if row[1] == _("合计"):
                continue  # nothing to add up without points
            yield [*row[:2], *row[3:]]

    def _rows(self) -> Iterator[Sequence[Any]]:
        enrollment = self.enrollment
        if enrollment is None:
            return
        roots = nodes_of(self.campaign.indicator_version)
        code_of = {node.pk: node.code for node, _depth in walk(roots)}
        own = {
            row["node_id"]: row
            for row in SelfScore.objects.filter(enrollment=enrollment).values(*SCORE_FIELDS)
        }
        final = {
            row["node_id"]: row
            for row in ConsolidatedScore.objects.filter(enrollment=enrollment).values(
                *SCORE_FIELDS, "reason"
            )
        }
        reviews: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for row in (
            ReviewScore.objects.filter(assignment__enrollment=enrollment)
            .order_by("reviewer__username", "pk")
            .values(*SCORE_FIELDS, "reviewer_id", "comment")
        ):
            reviews[row["node_id"]][row["reviewer_id"]] = row

        def rolled(rows: dict[int, dict[str, Any]]) -> dict[str, NodeResult]:
            return rollup(roots, {code_of[k]: _leaf_score(v) for k, v in rows.items()})

        own_results = rolled(own)
        final_results = rolled(final)
        reviewer_results = [
            rolled({node_id: by[uid] for node_id, by in reviews.items() if uid in by})
            for uid, _header in self.reviewers
        ]
        names = dict(self.reviewers)

        for node, _depth in walk(roots):
            method = str(METHOD_SHORT.get(node.method_type, node.method_type))
            if node.children:
                yield [
                    node.code,
                    node.title,
                    node.points,
                    method,
                    _result_shown(own_results.get(node.code)),
                    *(_result_shown(r.get(node.code)) for r in reviewer_results),
                    _result_shown(final_results.get(node.code)),
                    "",
                ]
                continue
            node_id = node.pk or 0
            veto_leaf = node.method_type == "veto"
            scored = reviews.get(node_id, {})
            yield [
                node.code,
                node.title,
                node.points,
                method,
                shown_leaf(own.get(node_id), veto_leaf),
                *(shown_leaf(scored.get(uid), veto_leaf) for uid, _header in self.reviewers),
                shown_leaf(final.get(node_id), veto_leaf),
                self._comment(scored, final.get(node_id), names),
            ]
        yield [
            "",
            _("合计"),
            tree_leaf_total(roots),
            "",
            grand_total(roots, own_results),
            *(grand_total(roots, r) for r in reviewer_results),
            grand_total(roots, final_results),
            "",
        ]
        result = UnitResult.objects.filter(enrollment=enrollment).first()
        if result is not None:
            note = _("等次：%(g)s") % {"g": result.grade or "—"}
            if result.veto:
                note += _("；一票否决")
            blanks = [None] * len(self.reviewers)
            yield ["", _("综合得分"), None, "", None, *blanks, result.composite, note]

    def _comment(
        self,
        scored: dict[int, dict[str, Any]],
        merged: dict[str, Any] | None,
        names: dict[int, str],
    ) -> str:
        parts = []
        # staff: in the reviewers' column order, named; the unit: unattributed
        order = [pk for pk in names if pk in scored] if names else list(scored)
        for pk in order:
            comment = scored[pk]["comment"].strip()
            if comment:
                parts.append(f"{names[pk]}：{comment}" if names else comment)
        if merged is not None and merged["reason"].strip():
            parts.append(_("组长裁定：%(r)s") % {"r": merged["reason"].strip()})
        return "；".join(parts)
