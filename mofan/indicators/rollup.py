"""Roll-up of leaf scores through the tree (pure; no database)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from mofan.indicators.methods import LeafScore, ScoringInputError, dec, q
from mofan.indicators.tree import NodeData


@dataclass
class NodeResult:
    score: Decimal | None = None
    bonus: Decimal = Decimal(0)
    level: str | None = None
    level_rank: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    veto: bool = False
    complete: bool = True


def rollup(roots: Iterable[NodeData], leaves: Mapping[str, LeafScore]) -> dict[str, NodeResult]:
    """Score every node: a parent's score is the weighted sum of its children's, capped at its
    points; bonus points below it (each bonus node capped by its own cap) are kept apart in
    `bonus`, beyond the points, and `grand_total` adds them. Qualitative parents take the worst
    child level (`worst`) or count the leaves' levels (`counts`). A veto anywhere below marks
    the parent as vetoed and changes no points."""
    results: dict[str, NodeResult] = {}

    def visit(node: NodeData) -> NodeResult:
        if not node.children:
            leaf = leaves.get(node.code)
            if leaf is None:
                result = NodeResult(complete=False)
            else:
                result = NodeResult(
                    score=leaf.score,
                    bonus=leaf.bonus,
                    level=leaf.level,
                    level_rank=leaf.level_rank,
                    veto=leaf.veto,
                )
            results[node.code] = result
            return result
        child_results = [(child, visit(child)) for child in node.children]
        result = NodeResult()
        mode = node.method.get("mode", "sum")
        total = Decimal(0)
        any_score = False
        for child, res in child_results:
            result.veto = result.veto or res.veto
            result.complete = result.complete and res.complete
            if child.method_type == "bonus":
                result.bonus += _capped_bonus(child, res.bonus)
                continue
            result.bonus += res.bonus if child.children else Decimal(0)
            if res.score is not None:
                total += res.score * child.weight
                any_score = True
            if res.level_rank is not None and (
                result.level_rank is None or res.level_rank > result.level_rank
            ):
                result.level_rank, result.level = res.level_rank, res.level
            for label, n in res.counts.items():
                result.counts[label] = result.counts.get(label, 0) + n
            if res.level is not None and not res.counts:
                result.counts[res.level] = result.counts.get(res.level, 0) + 1
        if any_score:
            capped = min(total, node.points) if node.points is not None else total
            result.score = q(capped)
        if mode == "counts":
            result.level, result.level_rank = None, None
        results[node.code] = result
        return result

    for root in roots:
        visit(root)
    return results


def _capped_bonus(node: NodeData, bonus: Decimal) -> Decimal:
    try:
        cap = dec(node.method.get("cap"))
    except ScoringInputError:
        return bonus
    return min(bonus, cap)


def grand_total(roots: Iterable[NodeData], results: Mapping[str, NodeResult]) -> Decimal | None:
    """The system's total: the sum of the top-level scores plus every bonus."""
    total = Decimal(0)
    seen = False
    for root in roots:
        res = results.get(root.code)
        if res is None:
            continue
        if res.score is not None:
            total += res.score * root.weight
            seen = True
        total += _capped_bonus(root, res.bonus) if root.method_type == "bonus" else res.bonus
    return q(total) if seen else None
