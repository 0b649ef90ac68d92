"""What keeps the self-evaluation and scoring pages workable (issue 14, point 6): the contents
panel by indicator type (each top-level node: filled / total and its running score), the
running total, and the "只看未填" filter. Pure over the nodes and scores the pages already
read, so a page costs no query more for it however many leaves it has."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from mofan.evaluations.scoring import totals_for
from mofan.indicators.methods import LeafScore, fmt
from mofan.indicators.models import IndicatorNode
from mofan.indicators.tree import NODE_FIELDS, NodeData, link

UNFILLED = "unfilled"  # the query parameter of the filter: ?unfilled=1


@dataclass
class Section:
    """One indicator type (a top-level node) in the contents panel."""

    code: str
    title: str
    points: Decimal | None
    filled: int = 0
    total: int = 0
    score: str | None = None  # the running score (or level) of the type, None before any
    first_open: str = ""  # the code of its first unfilled leaf, where its link leads
    is_leaf: bool = False  # a type without items (scored itself)

    @property
    def complete(self) -> bool:
        return self.filled >= self.total

    @property
    def anchor(self) -> str:
        """Where its link leads: the first unfilled leaf, else the type's heading (or row)."""
        if self.first_open:
            return f"leaf-{self.first_open}"
        return f"{'leaf' if self.is_leaf else 'node'}-{self.code}"


@dataclass
class Running:
    """The contents panel and the running total of one page."""

    sections: list[Section]
    filled: int
    total: int
    score: Decimal | None  # the running total; None for qualitative systems or before any
    top: Decimal | None  # the most the tree gives (sum of the types' points)
    levels: dict[str, int] = field(default_factory=dict)  # qualitative: leaves per level

    @property
    def remaining(self) -> int:
        return self.total - self.filled

    @property
    def first_open(self) -> str:
        return next((s.first_open for s in self.sections if s.first_open), "")


def _shown(score: str | None) -> str | None:
    """A stored score as the panel shows it (7.00 → 7, 7.50 → 7.5); a level as it is."""
    if score is None:
        return None
    try:
        return fmt(Decimal(score))
    except (InvalidOperation, ValueError):
        return score


def _root_finder(nodes: Iterable[IndicatorNode]) -> Callable[[IndicatorNode], IndicatorNode]:
    by_pk = {n.pk: n for n in nodes}

    def root(node: IndicatorNode) -> IndicatorNode:
        while node.parent_id is not None and node.parent_id in by_pk:
            node = by_pk[node.parent_id]
        return node

    return root


def running(
    nodes: list[IndicatorNode],
    filled: set[int],
    *,
    required: Callable[[IndicatorNode], bool],
    type_scores: Mapping[str, str],
    score: Decimal | None,
    levels: Mapping[str, int] | None = None,
) -> Running:
    """The panel for `nodes` (the whole tree in order) given the ids of the filled leaves;
    only leaves `required` counts toward completion."""
    parents = {n.parent_id for n in nodes if n.parent_id}
    root = _root_finder(nodes)
    sections = {
        n.pk: Section(
            n.code,
            n.title,
            n.points,
            score=_shown(type_scores.get(n.code)),
            is_leaf=n.pk not in parents,
        )
        for n in nodes
        if n.parent_id is None
    }
    for node in nodes:
        if node.pk in parents or not required(node):
            continue
        section = sections[root(node).pk]
        section.total += 1
        if node.pk in filled:
            section.filled += 1
        elif not section.first_open:
            section.first_open = node.code
    points = [s.points for s in sections.values() if s.points is not None]
    top = sum(points, Decimal(0)) if points and len(points) == len(sections) else None
    return Running(
        sections=list(sections.values()),
        filled=sum(s.filled for s in sections.values()),
        total=sum(s.total for s in sections.values()),
        score=score,
        top=top,
        levels=dict(levels or {}),
    )


def as_tree(nodes: Iterable[IndicatorNode]) -> list[NodeData]:
    """The loaded nodes as the plain tree the roll-up reads (no query)."""
    nodes = list(nodes)
    code_of = {n.pk: n.code for n in nodes}
    data = []
    for n in nodes:
        item = NodeData(code=n.code, title=n.title, points=n.points, method=n.method or {})
        for name in NODE_FIELDS:
            setattr(item, name, getattr(n, name))
        item.method = n.method or {}
        item.rules = n.rules or []
        item.parent = code_of.get(n.parent_id) if n.parent_id else None
        item.order, item.pk = n.order, n.pk
        data.append(item)
    return link(data)


def own_totals(nodes: list[IndicatorNode], scores: Mapping[int, Any]) -> tuple[Any, ...]:
    """(total, type scores, level counts) of one person's leaf scores (a reviewer's own, before
    anything is consolidated), rolled up exactly as approval rolls up stored rows."""
    code_of = {n.pk: n.code for n in nodes}
    leaves = {
        code_of[pk]: LeafScore(score=s.score, level=s.level or None, veto=s.veto)
        for pk, s in scores.items()
        if pk in code_of
    }
    totals = totals_for(as_tree(nodes), leaves)
    return (totals.total if leaves else None), totals.type_scores, totals.level_counts


def only_unfilled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows "只看未填" shows without JavaScript: leaves still to fill (or refused), and the
    headings above them."""
    kept: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for row in rows:
        if row["heading"]:
            pending = [h for h in pending if h["depth"] < row["depth"]] + [row]
        elif row.get("pending"):
            kept += [*pending, row]
            pending = []
    return kept
