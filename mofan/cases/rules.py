"""The pure rules of a call for brand cases: the criteria as the committee types them, an
expert's points checked against them, the consolidation of the experts' totals and the ranking.

The mean of the experts' totals drops the highest and the lowest from five experts on, as the
honours panel does (`honours.panel_rules.aggregate`); the selection within the quota, with ties
across the quota line surfaced to the committee, is `honours.rules.select`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from mofan.honours import panel_rules

DEFAULT_CRITERIA = (("特色鲜明", 30), ("成效显著", 30), ("可复制可推广", 25), ("材料规范", 15))
MAX_CRITERIA = 10


def criteria_text(criteria: Sequence[Mapping[str, Any]]) -> str:
    """The criteria as one line each, `名称:分值` (what `parse_criteria` reads)."""
    return "\n".join(f"{c['name']}:{c['points']}" for c in criteria)


def parse_criteria(text: str) -> list[dict[str, Any]]:
    """`名称:分值` per line (a full-width colon too) → [{"name", "points"}]; ValueError with a
    Chinese message on a malformed line, a duplicate name, points outside 1..100 or no line."""
    criteria: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("：", ":")
        if not line:
            continue
        name, sep, points = line.rpartition(":")
        name = name.strip()
        points = points.strip()
        if not sep or not name or not (points.isascii() and points.isdigit()):
            raise ValueError(_("第%(n)d行应为“名称:分值”，如“特色鲜明:30”。") % {"n": number})
        if len(name) > 30:
            raise ValueError(_("第%(n)d行的名称超过30个字。") % {"n": number})
        if not 1 <= int(points) <= 100:
            raise ValueError(_("第%(n)d行的分值须在1至100之间。") % {"n": number})
        if any(c["name"] == name for c in criteria):
            raise ValueError(_("评审标准“%(name)s”重复。") % {"name": name})
        criteria.append({"name": name, "points": int(points)})
    if not criteria:
        raise ValueError(_("请至少填写一项评审标准。"))
    if len(criteria) > MAX_CRITERIA:
        raise ValueError(_("评审标准不超过%(n)d项。") % {"n": MAX_CRITERIA})
    return criteria


def points_refusal(points: Sequence[int], criteria: Sequence[Mapping[str, Any]]) -> str:
    """Why an expert's points do not fit the criteria ("" when they do): one value per
    criterion, each within 0..its points."""
    if len(points) != len(criteria):
        return _("请为每一项评审标准评分。")
    for value, criterion in zip(points, criteria, strict=True):
        if not 0 <= value <= int(criterion["points"]):
            return _("“%(name)s”的得分须在0至%(max)d之间。") % {
                "name": criterion["name"],
                "max": int(criterion["points"]),
            }
    return ""


def consolidate(totals: Sequence[Decimal]) -> Decimal | None:
    """A case's score from its experts' totals (None without any)."""
    return panel_rules.aggregate(totals)


def ranks(scores: Mapping[int, Decimal | None]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) of the scored cases, highest first; unscored get none."""
    ordered = sorted((s, cid) for cid, s in scores.items() if s is not None)
    ordered.sort(key=lambda pair: -pair[0])
    result: dict[int, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (score, cid) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        result[cid] = rank
    return result
