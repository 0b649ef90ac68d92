"""Roll-up (issue point 2): a parent's score is the weighted sum of its children's, capped at its
points; qualitative parents roll up as worst-of or counts; bonus adds beyond the points up to its
cap; a veto propagates without changing points. Hypothesis: on random trees whose parents' points
equal the sum of their children (weights 1) the root's score is the sum of the leaf scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mofan.indicators.builtin import builtin_document
from mofan.indicators.methods import LeafScore, score_leaf
from mofan.indicators.rollup import grand_total, rollup
from mofan.indicators.tree import NodeData, walk
from mofan.indicators.validation import validate_tree

D = Decimal
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUM = {"type": "rollup", "mode": "sum"}


def node(
    code: str, points: Any, method: dict[str, Any], *children: NodeData, **kw: Any
) -> NodeData:
    n = NodeData(
        code=code,
        title=f"指标{code}",
        points=None if points is None else D(str(points)),
        method=method,
        parent=code.rpartition(".")[0] or None,
        **kw,
    )
    n.children = list(children)
    return n


def manual(code: str, points: Any, **kw: Any) -> NodeData:
    return node(code, points, {"type": "manual"}, **kw)


def scores(**values: Any) -> dict[str, LeafScore]:
    return {code.replace("_", "."): LeafScore(score=D(str(v))) for code, v in values.items()}


# --- random trees -----------------------------------------------------------------------------


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[NodeData], dict[str, LeafScore], dict[str, Decimal]]:
    """Roots of a random tree (depth ≤ 4) whose parents' points are the sums of their
    children's, weights 1, with a random score within bounds for every leaf. Returns the roots,
    the leaf scores and, for each node, the expected sum of the leaf scores below it."""
    leaves: dict[str, LeafScore] = {}
    expected: dict[str, Decimal] = {}

    def make(code: str, depth: int) -> NodeData:
        if depth == 4 or draw(st.integers(0, 2)) == 0:
            points = D(draw(st.integers(1, 40))) / 2
            earned = D(draw(st.integers(0, int(points * 100)))) / 100
            leaves[code] = LeafScore(score=earned)
            expected[code] = earned
            return manual(code, points)
        children = [make(f"{code}.{i}", depth + 1) for i in range(1, draw(st.integers(1, 4)) + 1)]
        total_points = sum((c.points for c in children if c.points is not None), D(0))
        expected[code] = sum((expected[c.code] for c in children), D(0))
        return node(code, total_points, SUM, *children)

    roots = [make(str(i), 1) for i in range(1, draw(st.integers(1, 5)) + 1)]
    return roots, leaves, expected


@PROPERTY
@given(tree=trees())
def test_property_root_score_is_the_sum_of_the_leaves(tree):
    roots, leaves, expected = tree
    assert validate_tree(roots) == []  # the generated tree is a valid indicator tree
    results = rollup(roots, leaves)
    for n, _depth in walk(roots):
        assert results[n.code].score == expected[n.code], n.code
        assert results[n.code].complete
        assert D(0) <= results[n.code].score <= n.points  # type: ignore[operator]
    assert grand_total(roots, results) == sum((expected[r.code] for r in roots), D(0))


@PROPERTY
@given(
    points=st.integers(1, 40).map(lambda n: D(n) / 2),
    children=st.lists(
        st.tuples(
            st.integers(0, 40).map(lambda n: D(n) / 2),  # a child's score
            st.sampled_from([D("0.5"), D(1), D("1.5"), D(2), D(3)]),  # its weight
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_property_weighted_sum_is_capped_at_the_parents_points(points, children):
    kids = [manual(f"1.{i}", 20, weight=w) for i, (_s, w) in enumerate(children, start=1)]
    parent = node("1", points, SUM, *kids)
    leaves = {k.code: LeafScore(score=s) for k, (s, _w) in zip(kids, children, strict=True)}
    weighted = sum((s * w for s, w in children), D(0))
    assert rollup([parent], leaves)["1"].score == min(weighted, points).quantize(D("0.01"))


@PROPERTY
@given(tree=trees(), data=st.data())
def test_property_a_veto_propagates_and_changes_no_points(tree, data):
    roots, leaves, _expected = tree
    parents = [n for n, _d in walk(roots) if n.children]
    assume(parents)  # a veto needs a parent
    parent = data.draw(st.sampled_from(parents))
    veto = node(f"{parent.code}.{len(parent.children) + 1}", None, {"type": "veto"})
    parent.children.append(veto)
    assert validate_tree(roots) == []  # a veto child does not count in the points
    before = rollup(roots, {**leaves, veto.code: LeafScore(veto=False)})
    after = rollup(roots, {**leaves, veto.code: LeafScore(veto=True)})
    ancestors = {veto.code.rsplit(".", k)[0] for k in range(veto.code.count(".") + 1)}
    for n, _depth in walk(roots):
        assert after[n.code].score == before[n.code].score
        assert not before[n.code].veto
        assert after[n.code].veto == (n.code in ancestors), n.code
    assert grand_total(roots, after) == grand_total(roots, before)


# --- examples ---------------------------------------------------------------------------------


def test_weights_default_to_one_and_scale_a_childs_score():
    tree = node("1", 10, SUM, manual("1.1", 4), manual("1.2", 3, weight=D(2)))
    assert validate_tree([tree]) == []  # 4 + 2 × 3 = 10
    assert rollup([tree], scores(**{"1_1": 3, "1_2": "2.5"}))["1"].score == D("8.00")


def test_cap_at_points_when_weights_push_the_sum_above():
    tree = node("1", 10, SUM, manual("1.1", 8, weight=D(2)), manual("1.2", 4), override_points=True)
    result = rollup([tree], scores(**{"1_1": 5, "1_2": 4}))["1"]
    assert result.score == D("10.00")  # 2 × 5 + 4 = 14, capped at 10


def test_missing_leaves_mark_the_parent_incomplete():
    tree = node("1", 10, SUM, manual("1.1", 5), manual("1.2", 5))
    result = rollup([tree], scores(**{"1_1": 4}))
    assert result["1"].score == D("4.00")
    assert result["1"].complete is False
    assert result["1.2"].score is None


def test_bonus_adds_beyond_the_points_up_to_its_cap():
    bonus = node("1.3", None, {"type": "bonus", "cap": 3})
    tree = node("1", 10, SUM, manual("1.1", 6), manual("1.2", 4), bonus)
    assert validate_tree([tree]) == []
    leaves = {**scores(**{"1_1": 6, "1_2": 4}), "1.3": score_leaf(bonus.method, None, {"value": 2})}
    results = rollup([tree], leaves)
    assert results["1"].score == D("10.00")  # the points are full ...
    assert results["1"].bonus == D("2.00")  # ... and the bonus comes on top
    assert grand_total([tree], results) == D("12.00")
    # a bonus leaf result above the cap (computed elsewhere) still counts only up to the cap
    over = rollup([tree], {**leaves, "1.3": LeafScore(bonus=D(5))})
    assert over["1"].bonus == D(3)
    assert grand_total([tree], over) == D("13.00")


def test_bonus_at_system_level_and_nested_bonus_count_once():
    inner_bonus = node("1.1.2", None, {"type": "bonus", "cap": 1})
    item = node("1.1", 4, SUM, manual("1.1.1", 4), inner_bonus)
    tree = node("1", 4, SUM, item)
    system_bonus = node("2", None, {"type": "bonus", "cap": 5})
    roots = [tree, system_bonus]
    assert validate_tree(roots) == []
    leaves = {
        "1.1.1": LeafScore(score=D(3)),
        "1.1.2": LeafScore(bonus=D(1)),
        "2": LeafScore(bonus=D(4)),
    }
    results = rollup(roots, leaves)
    assert results["1.1"].bonus == D(1)
    assert results["1"].bonus == D(1)
    assert results["1"].score == D("3.00")
    assert grand_total(roots, results) == D("8.00")  # 3 + 1 + 4


QUALITATIVE = {"type": "qualitative"}


def level(label: str) -> LeafScore:
    return score_leaf(QUALITATIVE, None, {"level": label})


def test_worst_of_and_counts_for_qualitative_parents():
    area = node(
        "1.1",
        None,
        {"type": "rollup", "mode": "worst"},
        node("1.1.1", None, QUALITATIVE),
        node("1.1.2", None, QUALITATIVE),
        node("1.1.3", None, QUALITATIVE),
    )
    counted = node(
        "1", None, {"type": "rollup", "mode": "counts"}, area, node("1.2", None, QUALITATIVE)
    )
    assert validate_tree([counted]) == []
    leaves = {
        "1.1.1": level("达标"),
        "1.1.2": level("未达标"),
        "1.1.3": level("基本达标"),
        "1.2": level("达标"),
    }
    results = rollup([counted], leaves)
    assert (results["1.1"].level, results["1.1"].level_rank) == ("未达标", 2)
    assert results["1.1"].score is None
    assert results["1"].level is None
    assert results["1"].counts == {"达标": 2, "未达标": 1, "基本达标": 1}
    assert results["1"].score is None


def test_jiaozuo_template_rolls_up_worst_per_type():
    roots = builtin_document("jiaozuo-2020").roots
    leaves: dict[str, LeafScore] = {}
    for n, _d in walk(roots):
        if not n.children and n.method_type == "qualitative":
            leaves[n.code] = level("达标")
    leaves["1.3.2"] = level("基本达标")
    results = rollup(roots, leaves)
    assert results["1"].level == "基本达标"
    assert results["1.3"].level == "基本达标"
    assert results["1.1"].level == "达标"
    assert results["2"].level == "达标"
    assert results["3"].level == "达标"
    # 纪检监察/巡察/审计 opinions are approval inputs, not a leaf of the template (issue 14)
    assert not any(r.veto for r in results.values())
    assert all(results[r.code].score is None for r in roots)  # no points anywhere
    assert grand_total(roots, results) is None


def test_yueqing_template_full_marks_and_one_grade():
    roots = builtin_document("yueqing-2020").roots
    by_code = {n.code: n for n, _d in walk(roots)}

    def scored(code: str, value: dict[str, Any]) -> LeafScore:
        n = by_code[code]
        return score_leaf(n.method, n.points, value, n.rules)

    leaves = {
        code: scored(code, {"band": "优"} if n.method_type == "grade" else {"incidents": {}})
        for code, n in by_code.items()
        if not n.children
    }
    results = rollup(roots, leaves)
    assert grand_total(roots, results) == D(500)
    assert [results[r.code].score for r in roots] == [D(100)] * 5
    leaves["1.1.1"] = scored("1.1.1", {"band": "良", "value": 6})  # 8 − 2
    leaves["4.1.4"] = scored(  # 12 − 1 (效能告诫) − 3 (负责人党政纪处分)
        "4.1.4", {"incidents": {"efficiency_warning": 1, "head_discipline": 1}}
    )
    results = rollup(roots, leaves)
    assert results["1.1"].score == D(36)
    assert results["4"].score == D(96)
    assert grand_total(roots, results) == D(494)


@pytest.mark.parametrize("mode", ["worst", "counts"])
def test_a_veto_leaf_in_a_qualitative_parent_adds_no_level(mode):
    tree = node(
        "1",
        None,
        {"type": "rollup", "mode": mode},
        node("1.1", None, QUALITATIVE),
        node("1.2", None, {"type": "veto"}),
    )
    results = rollup([tree], {"1.1": level("达标"), "1.2": LeafScore(veto=True)})
    assert results["1"].veto
    assert results["1"].counts == {"达标": 1}
    assert results["1"].level == ("达标" if mode == "worst" else None)
