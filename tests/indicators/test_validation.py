"""Validation (issue point 3): every problem is listed with the code of its node, all of them in
one pass; `override_points` suppresses the sum check; the same check runs on a saved draft and
before publishing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from mofan.accounts.access import actor_for
from mofan.indicators import services
from mofan.indicators.builtin import SLUGS, builtin_document
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.indicators.tree import NodeData
from mofan.indicators.validation import Problem, validate_tree

D = Decimal
SUM = {"type": "rollup", "mode": "sum"}
MANUAL = {"type": "manual"}


def node(
    code: str, points: Any, method: dict[str, Any], *children: NodeData, **kw: Any
) -> NodeData:
    n = NodeData(
        code=code,
        title=kw.pop("title", f"指标{code}"),
        points=None if points is None else D(str(points)),
        method=method,
        parent=kw.pop("parent", code.rpartition(".")[0] or None),
        **kw,
    )
    n.children = list(children)
    return n


def problems_of(*roots: NodeData) -> list[tuple[str, str]]:
    return [(p.code, p.message) for p in validate_tree(roots)]


def valid_tree() -> NodeData:
    return node("1", 10, SUM, node("1.1", 6, MANUAL), node("1.2", 4, MANUAL))


def test_a_consistent_tree_has_no_problems():
    assert problems_of(valid_tree()) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_builtin_templates_have_no_problems(slug):
    assert validate_tree(builtin_document(slug).roots) == []


def test_parent_points_differ_from_the_sum_of_children():
    tree = node("1", 10, SUM, node("1.1", 6, MANUAL), node("1.2", 3, MANUAL))
    assert problems_of(tree) == [("1", "分值 10 与下级分值之和 9 不一致。")]


def test_the_sum_is_weighted():
    tree = node("1", 10, SUM, node("1.1", 4, MANUAL), node("1.2", 3, MANUAL, weight=D(2)))
    assert problems_of(tree) == []
    tree.children[1].weight = D(1)
    assert problems_of(tree) == [("1", "分值 10 与下级分值之和 7 不一致。")]


def test_override_points_suppresses_the_sum_check():
    tree = node("1", 10, SUM, node("1.1", 6, MANUAL), node("1.2", 3, MANUAL), override_points=True)
    assert problems_of(tree) == []


def test_bonus_and_veto_children_do_not_count_in_the_sum():
    tree = node(
        "1",
        6,
        SUM,
        node("1.1", 6, MANUAL),
        node("1.2", None, {"type": "bonus", "cap": 2}),
        node("1.3", None, {"type": "veto"}),
    )
    assert problems_of(tree) == []


def test_duplicate_codes():
    tree = node("1", 10, SUM, node("1.1", 6, MANUAL), node("1.1", 4, MANUAL))
    assert problems_of(tree) == [("1.1", "编码重复。")]


def test_empty_titles():
    tree = node("1", 10, SUM, node("1.1", 6, MANUAL, title=""), node("1.2", 4, MANUAL, title="  "))
    assert problems_of(tree) == [("1.1", "标题不能为空。"), ("1.2", "标题不能为空。")]


@pytest.mark.parametrize(
    ("code", "parent", "message"),
    [
        ("2.1", "1", "编码应为上级编码“1”加一级，如“1.1”。"),
        ("1.1.1", "1", "编码应为上级编码“1”加一级，如“1.1”。"),  # skips a level
        ("1.", "1", "编码应为上级编码“1”加一级，如“1.1”。"),
    ],
)
def test_a_code_must_be_its_parents_plus_one_segment(code, parent, message):
    tree = node("1", 10, SUM, node(code, 10, MANUAL, parent=parent))
    assert problems_of(tree) == [(code, message)]


def test_a_top_level_code_has_one_segment():
    assert problems_of(node("1.1", 5, MANUAL, parent=None)) == [
        ("1.1", "第一级节点的编码应只有一级，如“1”。")
    ]


def test_empty_code():
    assert ("?", "编码不能为空。") in problems_of(node("", 5, MANUAL))


@pytest.mark.parametrize(
    ("points", "message"),
    [(-1, "分值不能为负。"), ("2.3", "分值应为 0.5 的整数倍。")],
)
def test_points_must_be_non_negative_multiples_of_half(points, message):
    assert ("1", message) in problems_of(node("1", points, {"type": "manual", "max": 0}))


@pytest.mark.parametrize(
    ("method", "points", "rules", "message"),
    [
        (  # a deduction larger than the points
            {"type": "deduction", "rules": [{"key": "a", "label": "重大事故", "per_incident": 5}]},
            4,
            [],
            "扣分规则“重大事故”每次扣 5 分，超过了本项分值 4 分。",
        ),
        (  # a grade band larger than the points (乐清's 一般 −3..−5 on a 4-point item)
            {"type": "grade", "bands": [{"label": "一般", "deduct": [3, 5]}]},
            4,
            [],
            "等次“一般”最多扣 5 分，超过了本项分值 4 分。",
        ),
        ({"type": "manual", "step": 1.5}, 4, [], "最高分 4 不是步长 1.5 的整数倍。"),
        ({"type": "quantitative"}, 4, [], "量化评分须指定一条量化规则。"),
        ({"type": "qualitative"}, 4, [], "定性评价的节点不应有分值。"),
        (
            {"type": "grade", "bands": [{"label": "优", "deduct": [0, 0]}]},
            None,
            [],
            "等次评分需要分值。",
        ),
        ({"type": "magic"}, 4, [], "未知的评分方法“magic”。"),
        ({"type": "rollup"}, 4, [], "没有下级的节点须设定评分方法。"),
        (
            {"type": "qualitative"},
            None,
            [{"key": "a", "label": "甲", "measure": "count", "threshold": 1}] * 2,
            "量化规则标识重复。",
        ),
    ],
)
def test_method_parameters_that_do_not_fit(method, points, rules, message):
    tree = node("1", points, method, rules=rules)
    assert ("1", message) in problems_of(tree)


def test_a_parent_must_roll_up_and_weights_be_positive():
    tree = node("1", 10, MANUAL, node("1.1", 10, MANUAL, weight=D(0)))
    found = problems_of(tree)
    assert ("1", "有下级的节点应使用“汇总”方式（rollup）。") in found
    assert ("1.1", "权重应大于 0。") in found


def test_every_problem_is_listed_at_once_with_its_line():
    tree = node(
        "1",
        10,
        SUM,
        node("1.1", 6, MANUAL, title="", line=12),
        node("1.1", 3, MANUAL, line=17),
        node(
            "1.3",
            2,
            {"type": "deduction", "rules": [{"key": "a", "label": "甲", "per_incident": 3}]},
        ),
        line=8,
    )
    found = validate_tree([tree])
    assert [(p.code, p.message, p.line) for p in found] == [
        ("1", "分值 10 与下级分值之和 11 不一致。", 8),
        ("1.1", "标题不能为空。", 12),
        ("1.1", "编码重复。", 17),
        ("1.3", "扣分规则“甲”每次扣 3 分，超过了本项分值 2 分。", None),
    ]
    assert str(found[0]) == "第 8 行，1：分值 10 与下级分值之和 11 不一致。"
    assert str(found[3]) == "1.3：扣分规则“甲”每次扣 3 分，超过了本项分值 2 分。"
    assert str(Problem("2", "x")) == "2：x"


@pytest.mark.django_db
def test_a_saved_draft_is_checked_with_the_same_rules(committee, committee_admin):
    call_command("load_templates", stdout=None)
    admin = actor_for(committee_admin)
    builtin = IndicatorVersion.objects.get(system__slug="yueqing-2020", system__committee=None)
    draft = services.version_clone(version=builtin, committee=committee, actor=admin)
    assert services.version_problems(draft) == []
    leaf = IndicatorNode.objects.get(version=draft, code="4.1.4")
    services.node_update(node=leaf, data={"points": D(2), "title": ""}, actor=admin)
    found = [(p.code, p.message) for p in services.version_problems(draft)]
    assert found == [
        ("4.1", "分值 48 与下级分值之和 38 不一致。"),
        ("4.1.4", "标题不能为空。"),
        ("4.1.4", "扣分规则“单位负责人受到刑事处罚”每次扣 5 分，超过了本项分值 2 分。"),
        ("4.1.4", "扣分规则“单位负责人受到党政纪处分”每次扣 3 分，超过了本项分值 2 分。"),
    ]
