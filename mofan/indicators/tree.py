"""Plain data for an indicator tree, shared by validation, roll-up, import/export and diff."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# A node's own content, as an editor writes it: the same names on NodeData and IndicatorNode.
NODE_FIELDS = (
    "title",
    "criteria",
    "points",
    "method",
    "evidence",
    "evidence_required",
    "weight",
    "override_points",
    "rules",
    "note",
)


@dataclass
class NodeData:
    code: str
    title: str
    points: Decimal | None
    method: dict[str, Any]
    parent: str | None = None
    criteria: str = ""
    evidence: str = ""
    evidence_required: bool = False
    weight: Decimal = Decimal(1)
    override_points: bool = False
    rules: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    order: int = 0
    line: int | None = None  # where it came from in an imported file (line or row)
    pk: int | None = None  # the database id, when read from the database
    children: list[NodeData] = field(default_factory=list)

    @property
    def method_type(self) -> str:
        return str(self.method.get("type", ""))


def link(nodes: Iterable[NodeData]) -> list[NodeData]:
    """Attach children to parents by code; return the roots in order."""
    items = sorted(nodes, key=lambda n: n.order)
    by_code = {n.code: n for n in items}
    roots = []
    for node in items:
        node.children = []
    for node in items:
        parent = by_code.get(node.parent) if node.parent else None
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def walk(roots: Iterable[NodeData], depth: int = 0) -> Iterator[tuple[NodeData, int]]:
    for node in roots:
        yield node, depth
        yield from walk(node.children, depth + 1)


def child_sum(node: NodeData) -> Decimal | None:
    """Weighted sum of the children's points, ignoring bonus and veto children."""
    total = Decimal(0)
    counted = False
    for child in node.children:
        if child.method_type in ("bonus", "veto"):
            continue
        if child.points is None:
            return None
        total += child.points * child.weight
        counted = True
    return total if counted else None


def leaf_total(node: NodeData) -> Decimal | None:
    """Points as built up from the leaves: what the tree really adds up to, whatever the
    parents declare. None where a leaf has no points (qualitative)."""
    if not node.children:
        return node.points
    total = Decimal(0)
    counted = False
    for child in node.children:
        if child.method_type in ("bonus", "veto"):
            continue
        value = leaf_total(child)
        if value is None:
            return None
        total += value * child.weight
        counted = True
    return total if counted else None


def tree_leaf_total(roots: Iterable[NodeData]) -> Decimal | None:
    """The whole tree's points as built up from its leaves."""
    top = NodeData(code="", title="", points=None, method={"type": "rollup"})
    top.children = list(roots)
    return leaf_total(top)


def totals(roots: Iterable[NodeData]) -> Decimal | None:
    values = [n.points for n in roots if n.method_type not in ("bonus", "veto")]
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))
