"""Validation of an indicator tree: every problem with the code of the node it concerns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from mofan.indicators import methods
from mofan.indicators.tree import NodeData, child_sum, walk

HALF = Decimal("0.5")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = _("第 %(n)d 行，") % {"n": self.line} if self.line else ""
        return f"{where}{self.code}：{self.message}"


def validate_tree(roots: Iterable[NodeData]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, NodeData] = {}
    for node, _depth in walk(list(roots)):
        code = node.code or "?"

        def add(message: str, node: NodeData = node, code: str = code) -> None:
            problems.append(Problem(code, message, node.line))

        if not node.code.strip():
            add(_("编码不能为空。"))
        elif node.code in seen:
            add(_("编码重复。"))
        seen.setdefault(node.code, node)
        if node.code.strip() and not _one_more_segment(node.code, node.parent):
            if node.parent:
                add(_("编码应为上级编码“%(p)s”加一级，如“%(p)s.1”。") % {"p": node.parent})
            else:
                add(_("第一级节点的编码应只有一级，如“1”。"))
        if not node.title.strip():
            add(_("标题不能为空。"))
        if node.points is not None:
            if node.points < 0:
                add(_("分值不能为负。"))
            elif node.points % HALF != 0:
                add(_("分值应为 0.5 的整数倍。"))
        if node.weight <= 0:
            add(_("权重应大于 0。"))
        kind = node.method_type
        if node.children:
            if kind != "rollup":
                add(_("有下级的节点应使用“汇总”方式（rollup）。"))
            expected = child_sum(node)
            if (
                node.points is not None
                and expected is not None
                and expected != node.points
                and not node.override_points
            ):
                add(
                    _("分值 %(p)s 与下级分值之和 %(s)s 不一致。")
                    % {"p": _fmt(node.points), "s": _fmt(expected)}
                )
            if node.points is not None and expected is None and _scored_children(node):
                add(_("下级节点缺少分值。"))
        elif kind == "rollup":
            add(_("没有下级的节点须设定评分方法。"))
        for message in methods.param_problems(node.method, node.points, node.rules):
            add(message)
        keys = [repr(r.get("key")) for r in node.rules]  # repr: a key may be anything
        if len(keys) != len(set(keys)):
            add(_("量化规则标识重复。"))
    return problems


def _one_more_segment(code: str, parent: str | None) -> bool:
    """`1.2.3` under `1.2`; a top-level code has a single segment."""
    prefix = parent + "." if parent else ""
    if not code.startswith(prefix):
        return False
    last = code[len(prefix) :]
    return bool(last) and "." not in last


def _scored_children(node: NodeData) -> bool:
    return any(c.method_type not in ("bonus", "veto", "qualitative") for c in node.children)


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
