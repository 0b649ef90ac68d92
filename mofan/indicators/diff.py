"""Differences between two versions of a tree, matched by code (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mofan.indicators.fileformat import number
from mofan.indicators.tree import NodeData, walk

COMPARED = ("title", "points", "criteria", "method", "evidence", "weight", "rules", "parent")
FIELD_LABELS = {
    "title": "标题",
    "points": "分值",
    "criteria": "考核标准",
    "method": "评分方法",
    "evidence": "佐证材料",
    "weight": "权重",
    "rules": "量化规则",
    "parent": "上级",
}


@dataclass(frozen=True)
class DiffRow:
    code: str
    kind: str  # added | removed | changed
    title: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def labelled_changes(self) -> list[tuple[str, Any, Any]]:
        return [
            (FIELD_LABELS.get(name, name), old, new) for name, (old, new) in self.changes.items()
        ]


def _value(node: NodeData, name: str) -> Any:
    value = getattr(node, name)
    if name in ("points", "weight"):
        return number(value)
    return value


def diff_trees(old: Iterable[NodeData], new: Iterable[NodeData]) -> list[DiffRow]:
    before = {n.code: n for n, _ in walk(list(old))}
    after = {n.code: n for n, _ in walk(list(new))}
    rows: list[DiffRow] = []
    for code, node in after.items():
        if code not in before:
            rows.append(DiffRow(code, "added", node.title))
            continue
        changes = {
            name: (_value(before[code], name), _value(node, name))
            for name in COMPARED
            if _value(before[code], name) != _value(node, name)
        }
        if changes:
            rows.append(DiffRow(code, "changed", node.title, changes))
    for code, node in before.items():
        if code not in after:
            rows.append(DiffRow(code, "removed", node.title))
    return sorted(rows, key=lambda r: [int(p) if p.isdigit() else p for p in r.code.split(".")])
