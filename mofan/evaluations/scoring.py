"""Turning stored leaf scores into unit totals (pure over plain data, shared by approval,
the score sheet and the simulation)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from mofan.indicators.methods import LeafScore, labels_of
from mofan.indicators.rollup import grand_total, rollup
from mofan.indicators.tree import NodeData, tree_leaf_total, walk


@dataclass(frozen=True)
class Totals:
    total: Decimal | None
    type_scores: dict[str, str] = field(default_factory=dict)  # code -> score as text
    level_counts: dict[str, int] = field(default_factory=dict)
    veto: bool = False
    complete: bool = True


def leaves_of(roots: Iterable[NodeData]) -> list[NodeData]:
    return [node for node, _depth in walk(list(roots)) if not node.children]


def max_points(roots: Iterable[NodeData]) -> Decimal | None:
    return tree_leaf_total(list(roots))


def totals_for(roots: list[NodeData], leaf_scores: Mapping[str, LeafScore]) -> Totals:
    results = rollup(roots, leaf_scores)
    counts: Counter[str] = Counter()
    for leaf in leaves_of(roots):
        score = leaf_scores.get(leaf.code)
        if score is not None and score.level and leaf.method_type == "qualitative":
            counts[score.level] += 1
    return Totals(
        total=grand_total(roots, results),
        type_scores={
            root.code: str(results[root.code].score)
            if results[root.code].score is not None
            else str(results[root.code].level)
            for root in roots
            if results.get(root.code)
            and (results[root.code].score is not None or results[root.code].level)
        },
        level_counts=dict(counts),
        veto=any(r.veto for r in results.values()),
        complete=all(results[leaf.code].complete for leaf in leaves_of(roots)),
    )


def consensus_level(levels: list[str], method: dict[str, object]) -> tuple[str, bool]:
    """The reviewers' common level: the most frequent, ties to the worse.

    Flagged when the reviewers differ."""
    order = labels_of(method)
    counts = Counter(levels)
    best = max(counts.values())
    candidates = [level for level, n in counts.items() if n == best]
    chosen = max(candidates, key=lambda lv: order.index(lv) if lv in order else len(order))
    return chosen, len(counts) > 1


@dataclass(frozen=True)
class Consensus:
    """What the reviewers' scores of one leaf come to before the leader decides."""

    mean: Decimal | None  # of the numeric scores, two decimals
    spread: Decimal | None  # highest minus lowest numeric score
    level: str  # the common level of a qualitative leaf
    veto: bool  # every reviewer vetoed
    flagged: bool  # the leader must decide (spread over the limit, levels or vetoes differ)


def consensus(
    votes: Iterable[tuple[Decimal | None, str, bool]],
    method: dict[str, object],
    spread_limit: Decimal,
) -> Consensus:
    """The consolidation of one leaf from every reviewer's (score, level, veto), in reviewer
    order: the mean of numeric scores (flagged when they spread more than `spread_limit`), else
    the common level; flagged too when the reviewers disagree on the veto."""
    votes = list(votes)
    numeric = [s for s, _l, _v in votes if s is not None]
    levels = [lv for _s, lv, _v in votes if lv]
    mean = spread = None
    level = ""
    flagged = False
    if numeric:
        mean = (sum(numeric, Decimal(0)) / len(numeric)).quantize(Decimal("0.01"))
        spread = max(numeric) - min(numeric)
        flagged = spread > spread_limit
    elif levels:
        level, flagged = consensus_level(levels, method)
    vetoes = [v for _s, _l, v in votes]
    if vetoes and len(set(vetoes)) > 1:
        flagged = True
    return Consensus(mean, spread, level, any(vetoes) and all(vetoes), flagged)
