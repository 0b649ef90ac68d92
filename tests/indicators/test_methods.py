"""Scoring methods (issue point 2): each method's parameter checks and pure scoring function,
the scorer's errors in Chinese, and hypothesis properties: for any valid parameters a leaf's
score stays within [0, points], whatever the scorer types in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofan.indicators.builtin import builtin_document
from mofan.indicators.methods import (
    DEFAULT_LEVELS,
    LeafScore,
    ScoringInputError,
    param_problems,
    score_leaf,
)
from mofan.indicators.tree import NodeData, walk

D = Decimal
SEED_BANDS: list[dict[str, Any]] = [  # seed 003: 优 full, 良 −1..−3, 一般 −3..−5, 不合格 ≤ half
    {"label": "优", "deduct": [0, 0]},
    {"label": "良", "deduct": [1, 3]},
    {"label": "一般", "deduct": [3, 5]},
    {"label": "不合格", "ratio": [0, 0.5]},
]
GRADE = {"type": "grade", "bands": SEED_BANDS}
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def error_of(method: dict[str, Any], points: Any, value: Any, rules: Any = ()) -> str:
    with pytest.raises(ScoringInputError) as info:
        score_leaf(method, None if points is None else D(str(points)), value, rules)
    return str(info.value)


def score_of(method: dict[str, Any], points: Any, value: Any, rules: Any = ()) -> Decimal | None:
    return score_leaf(method, None if points is None else D(str(points)), value, rules).score


@pytest.fixture(scope="module")
def yueqing_nodes() -> dict[str, NodeData]:
    return {n.code: n for n, _d in walk(builtin_document("yueqing-2020").roots)}


# --- grade ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "value", "expected", "rank"),
    [
        ("优", None, "8.00", 0),
        ("良", None, "7.00", 1),  # no value: the top of the band
        ("良", "5", "5.00", 1),
        ("良", "6.5", "6.50", 1),
        ("一般", "3", "3.00", 2),
        ("一般", "5", "5.00", 2),
        ("不合格", None, "4.00", 3),  # at most half of the points
        ("不合格", "0", "0.00", 3),
    ],
)
def test_grade_scores_within_the_chosen_band(band, value, expected, rank):
    result = score_leaf(GRADE, D(8), {"band": band, "value": value})
    assert result == LeafScore(score=D(expected), level=band, level_rank=rank)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"band": "良", "value": "7.5"}, "“良”等次的得分应在 5 到 7 之间。"),
        ({"band": "良", "value": "4.5"}, "“良”等次的得分应在 5 到 7 之间。"),
        ({"band": "不合格", "value": "4.5"}, "“不合格”等次的得分应在 0 到 4 之间。"),
        ({"band": "优", "value": "7"}, "“优”等次的得分应在 8 到 8 之间。"),
        ({"band": "良", "value": "好"}, "“好”不是有效的数字。"),
        ({"band": "良", "value": "NaN"}, "“NaN”不是有效的数字。"),
        ({"band": "特优"}, "请选择等次。"),
        ({}, "请选择等次。"),
    ],
)
def test_grade_refuses_values_outside_the_band_in_chinese(value, message):
    assert error_of(GRADE, 8, value) == message


def test_grade_band_on_a_small_item_never_goes_below_zero(yueqing_nodes):
    # 乐清 2.3.5 has 4 points: its 一般 band is −3..−4, i.e. 0..1
    node = yueqing_nodes["2.3.5"]
    assert param_problems(node.method, node.points) == []
    assert score_of(node.method, node.points, {"band": "一般", "value": "0"}) == D("0.00")
    assert "0 到 1" in error_of(node.method, node.points, {"band": "一般", "value": "2"})


@pytest.mark.parametrize(
    ("bands", "points", "message"),
    [
        (SEED_BANDS, 4, "等次“一般”最多扣 5 分，超过了本项分值 4 分。"),
        ([{"label": "良", "deduct": [3, 1]}], 8, "等次“良”的扣分范围下限大于上限。"),
        ([{"label": "良", "deduct": [-1, 0]}], 8, "等次“良”的扣分不能为负。"),
        ([{"label": "差", "ratio": [0.5, 1.5]}], 8, "等次“差”的比例范围应在 0 到 1 之间。"),
        ([{"label": "差"}], 8, "等次“差”缺少扣分范围或比例范围。"),
        ([], 8, "等次评分至少需要一个等次。"),
        (SEED_BANDS, None, "等次评分需要分值。"),
        ([{"label": "良", "deduct": "1-3"}], 8, "评分方法参数格式有误。"),
    ],
)
def test_grade_parameter_problems(bands, points, message):
    problems = param_problems(
        {"type": "grade", "bands": bands}, None if points is None else D(points)
    )
    assert message in problems


def test_seed_grade_bands_fit_eight_points():
    assert param_problems(GRADE, D(8)) == []


# --- deduction --------------------------------------------------------------------------------


def test_deduction_rules_of_yueqing_item_10_4(yueqing_nodes):
    node = yueqing_nodes["4.1.4"]  # 原第10项第4条, 12 points

    def score(**incidents: int) -> Decimal | None:
        return score_of(node.method, node.points, {"incidents": incidents})

    assert score() == D("12.00")
    assert score(efficiency_warning=1) == D("11.00")  # 效能告诫 −1 each
    assert score(other_handling=3) == D("10.50")  # other handling −0.5 each
    assert score(head_criminal=1) == D("7.00")  # unit head criminal penalty −5
    assert score(head_discipline=1) == D("9.00")  # party/government discipline −3
    assert score(staff_criminal=1) == D("10.00")  # staff criminal −2
    assert score(staff_discipline=2) == D("10.00")  # staff discipline −1 each
    assert score(efficiency_warning=2, other_handling=1, staff_discipline=1) == D("8.50")
    assert score(head_criminal=2, head_discipline=1) == D("0.00")  # floor at 0


def test_deduction_floor_and_cap_when_configured():
    rules = [{"key": "late", "label": "迟报", "per_incident": 1}]
    floored = {"type": "deduction", "floor": 2, "rules": rules}
    assert score_of(floored, 5, {"incidents": {"late": 9}}) == D("2.00")
    capped = {"type": "deduction", "cap": 1.5, "rules": rules}
    assert score_of(capped, 5, {"incidents": {"late": 9}}) == D("3.50")


@pytest.mark.parametrize(
    ("incidents", "message"),
    [
        ({"efficiency_warning": -1}, "“效能告诫”的次数应为非负整数。"),
        ({"efficiency_warning": 1.5}, "“效能告诫”的次数应为非负整数。"),
        ({"efficiency_warning": "两次"}, "“效能告诫”的次数应为非负整数。"),
        ({"efficiency_warning": True}, "“效能告诫”的次数应为非负整数。"),
        ({"efficiency_warning": "NaN"}, "“效能告诫”的次数应为非负整数。"),
        ({"bribery": 1}, "未知的扣分事项：bribery。"),
        (["efficiency_warning"], "扣分事项应逐项填写次数。"),
    ],
)
def test_deduction_input_errors_in_chinese(yueqing_nodes, incidents, message):
    node = yueqing_nodes["4.1.4"]
    assert error_of(node.method, node.points, {"incidents": incidents}) == message


def test_deduction_counts_may_be_typed_as_text(yueqing_nodes):
    node = yueqing_nodes["4.1.4"]
    assert score_of(node.method, node.points, {"incidents": {"head_criminal": "2"}}) == D("2.00")


@pytest.mark.parametrize(
    ("method", "message"),
    [
        (
            {"rules": [{"key": "a", "label": "重大事故", "per_incident": 6}]},
            "扣分规则“重大事故”每次扣 6 分，超过了本项分值 5 分。",
        ),
        (
            {"rules": [{"key": "a", "label": "甲", "per_incident": 0}]},
            "扣分规则“甲”每次扣分应大于 0。",
        ),
        ({"rules": []}, "扣分评分至少需要一条扣分规则。"),
        (
            {"floor": 6, "rules": [{"key": "a", "label": "甲", "per_incident": 1}]},
            "扣分下限 6 超过了本项分值 5 分。",
        ),
        (
            {"floor": -1, "rules": [{"key": "a", "label": "甲", "per_incident": 1}]},
            "扣分下限不能为负。",
        ),
        (
            {"cap": -1, "rules": [{"key": "a", "label": "甲", "per_incident": 1}]},
            "单项扣分上限不能为负。",
        ),
        (
            {
                "rules": [
                    {"key": "a", "label": "甲", "per_incident": 1},
                    {"key": "a", "label": "乙", "per_incident": 1},
                ]
            },
            "扣分规则标识“a”重复。",
        ),
    ],
)
def test_deduction_parameter_problems(method, message):
    assert message in param_problems({"type": "deduction", **method}, D(5))


def test_deduction_needs_points():
    method = {"type": "deduction", "rules": [{"key": "a", "label": "甲", "per_incident": 1}]}
    assert param_problems(method, None) == ["扣分评分需要分值。"]
    assert error_of(method, None, {}) == "该指标没有分值，无法计分。"


# --- quantitative -----------------------------------------------------------------------------

STUDY = {  # 乐清: 党支部全年集中学习不少于12次
    "key": "branch_collective_study",
    "label": "党支部集体学习",
    "measure": "count",
    "threshold": 12,
    "period": "year",
    "subject": "branch",
}
SHARE = {  # 岳阳: 政治理论培训课时不少于 70%
    "key": "political_theory_share",
    "label": "政治理论培训课时占比",
    "measure": "ratio",
    "threshold": 0.7,
}


def quantitative(**params: Any) -> dict[str, Any]:
    return {"type": "quantitative", "rule": "branch_collective_study", **params}


@pytest.mark.parametrize(
    ("params", "value", "expected"),
    [
        ({}, 12, "10.00"),
        ({}, 30, "10.00"),
        ({}, 11, "0.00"),  # credit none: all or nothing
        ({"credit": "linear"}, 6, "5.00"),
        ({"credit": "linear"}, 9, "7.50"),
        ({"credit": "linear"}, 0, "0.00"),
        (
            {"credit": "steps", "steps": [{"at": 6, "ratio": 0.5}, {"at": 10, "ratio": 0.8}]},
            5,
            "0.00",
        ),
        (
            {"credit": "steps", "steps": [{"at": 6, "ratio": 0.5}, {"at": 10, "ratio": 0.8}]},
            9,
            "5.00",
        ),
        (
            {"credit": "steps", "steps": [{"at": 6, "ratio": 0.5}, {"at": 10, "ratio": 0.8}]},
            11,
            "8.00",
        ),
        (
            {"credit": "steps", "steps": [{"at": 6, "ratio": 0.5}, {"at": 10, "ratio": 0.8}]},
            12,
            "10.00",
        ),
    ],
)
def test_quantitative_threshold_and_partial_credit(params, value, expected):
    assert score_of(quantitative(**params), 10, {"value": value}, [STUDY]) == D(expected)


def test_quantitative_ratio_input():
    method = {"type": "quantitative", "rule": "political_theory_share", "credit": "linear"}
    assert score_of(method, 4, {"value": "0.7"}, [SHARE]) == D("4.00")
    assert score_of(method, 4, {"value": "0.35"}, [SHARE]) == D("2.00")
    assert (
        error_of(method, 4, {"value": "70"}, [SHARE]) == "比例应在 0 到 1 之间（例如 70% 填 0.7）。"
    )


def test_quantitative_honours_the_rules_comparison():
    at_most = {**STUDY, "key": "complaints", "threshold": 2, "comparison": "<="}
    method = {"type": "quantitative", "rule": "complaints", "credit": "linear"}
    assert score_of(method, 10, {"value": 2}, [at_most]) == D("10.00")
    assert score_of(method, 10, {"value": 4}, [at_most]) == D("5.00")  # threshold / measured
    strictly = {**STUDY, "comparison": ">"}
    assert score_of(quantitative(), 10, {"value": 12}, [strictly]) == D("0.00")
    assert score_of(quantitative(), 10, {"value": 13}, [strictly]) == D("10.00")


@pytest.mark.parametrize(
    ("method", "value", "rules", "message"),
    [
        (quantitative(), {"value": -1}, [STUDY], "数值不能为负。"),
        (quantitative(), {}, [STUDY], "请填写数值。"),
        (quantitative(), {"value": "十二"}, [STUDY], "“十二”不是有效的数字。"),
        (quantitative(), {"value": 12}, [], "量化规则“branch_collective_study”不存在，无法计分。"),
    ],
)
def test_quantitative_input_errors_in_chinese(method, value, rules, message):
    assert error_of(method, 10, value, rules) == message


@pytest.mark.parametrize(
    ("method", "rules", "message"),
    [
        ({"type": "quantitative"}, [STUDY], "量化评分须指定一条量化规则。"),
        (quantitative(), [], "量化评分引用的规则“branch_collective_study”不在本节点的规则中。"),
        (quantitative(credit="half"), [STUDY], "部分得分方式应为 none、linear 或 steps。"),
        (quantitative(credit="steps"), [STUDY], "分档得分须列出各档。"),
        (
            quantitative(credit="steps", steps=[{"at": 6, "ratio": 2}]),
            [STUDY],
            "分档得分比例应在 0 到 1 之间。",
        ),
    ],
)
def test_quantitative_parameter_problems(method, rules, message):
    assert message in param_problems(method, D(10), rules)


# --- manual -----------------------------------------------------------------------------------


def test_manual_default_steps_of_half_a_point():
    method = {"type": "manual"}
    assert score_of(method, 10, {"value": "7.5"}) == D("7.50")
    assert score_of(method, 10, {"value": 0}) == D("0.00")
    assert score_of(method, 10, {"value": 10}) == D("10.00")
    assert error_of(method, 10, {"value": "7.3"}) == "得分应为 0.5 的整数倍。"
    assert error_of(method, 10, {"value": "10.5"}) == "得分应在 0 到 10 之间。"
    assert error_of(method, 10, {"value": "-0.5"}) == "得分应在 0 到 10 之间。"
    assert error_of(method, 10, {"value": None}) == "请填写数值。"
    assert error_of(method, 10, {"value": "Infinity"}) == "“Infinity”不是有效的数字。"


def test_manual_configured_step_and_maximum():
    method = {"type": "manual", "step": 1, "max": 6}
    assert score_of(method, 10, {"value": 6}) == D("6.00")
    assert error_of(method, 10, {"value": "6.5"}) == "得分应在 0 到 6 之间。"
    assert error_of(method, 10, {"value": "2.5"}) == "得分应为 1 的整数倍。"


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ({"step": 2}, "最高分 5 不是步长 2 的整数倍。"),
        ({"max": 6}, "最高分 6 超过了本项分值 5 分。"),
        ({"step": 0}, "评分步长应大于 0。"),
        ({"max": -1}, "最高分不能为负。"),
    ],
)
def test_manual_parameter_problems(method, message):
    assert message in param_problems({"type": "manual", **method}, D(5))


# --- qualitative, bonus, veto -----------------------------------------------------------------


def test_qualitative_levels_default_and_configured():
    default = score_leaf({"type": "qualitative"}, None, {"level": "基本达标"})
    assert default == LeafScore(score=None, level="基本达标", level_rank=1)
    assert DEFAULT_LEVELS == ("达标", "基本达标", "未达标")
    custom = {"type": "qualitative", "labels": ["好", "较好", "一般", "差"]}
    assert score_leaf(custom, None, {"level": "差"}).level_rank == 3
    assert (
        error_of({"type": "qualitative"}, None, {"level": "优"})
        == "请选择：达标、基本达标、未达标。"
    )
    assert error_of(custom, None, {}) == "请选择：好、较好、一般、差。"


def test_qualitative_parameter_problems():
    assert param_problems({"type": "qualitative"}, None) == []
    assert "定性评价的节点不应有分值。" in param_problems({"type": "qualitative"}, D(5))
    assert "定性等级至少两个且不能重复。" in param_problems(
        {"type": "qualitative", "labels": ["达标", "达标"]}, None
    )


def test_bonus_up_to_its_cap():
    method = {"type": "bonus", "cap": 3}
    assert score_leaf(method, None, {"value": "2.5"}) == LeafScore(bonus=D("2.50"))
    assert score_leaf(method, None, {}).bonus == D("0.00")
    assert error_of(method, None, {"value": 4}) == "加分应在 0 到 3 之间。"
    assert param_problems({"type": "bonus"}, None) == ["加分项须设定大于 0 的加分上限。"]


def test_veto_records_yes_no_with_a_reason_and_no_points():
    method = {"type": "veto"}
    vetoed = score_leaf(method, None, {"vetoed": True, "reason": "审计发现违规"})
    assert vetoed == LeafScore(score=None, veto=True)
    assert score_leaf(method, None, {"vetoed": False}).veto is False
    assert score_leaf(method, None, {"vetoed": "false"}).veto is False  # a form's text
    assert score_leaf(method, None, {"vetoed": "on", "reason": "巡察意见"}).veto is True
    assert error_of(method, None, {"vetoed": True, "reason": "  "}) == "一票否决须写明理由。"
    assert error_of(method, None, {"vetoed": "也许"}) == "请选择“是”或“否”。"
    no_reason = {"type": "veto", "reason_required": False}
    assert score_leaf(no_reason, None, {"vetoed": True}).veto is True
    assert param_problems(method, D(2)) == ["一票否决项不应有分值。"]


def test_a_parent_and_an_unknown_method_are_not_scorable():
    assert error_of({"type": "rollup"}, 10, {}) == "该节点不是可评分的指标。"
    assert error_of({"type": "manual"}, 10, "7") == "评分输入格式有误。"
    assert param_problems({"type": "magic"}, D(1)) == ["未知的评分方法“magic”。"]


# --- properties -------------------------------------------------------------------------------

points_st = st.integers(min_value=1, max_value=200).map(lambda n: D(n) / 2)  # 0.5 .. 100
ratio_st = st.integers(min_value=0, max_value=20).map(lambda n: D(n) / 20)  # 0, 0.05 .. 1
junk_st = st.one_of(  # anything a form or an API might send
    st.none(),
    st.booleans(),
    st.integers(min_value=-1000, max_value=1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["NaN", "-Infinity", "1e999", " 3 ", "0.5", "-0", ""]),
)


@st.composite
def grade_params(draw: st.DrawFn, points: Decimal) -> dict[str, Any]:
    halves = int(points * 2)
    bands = []
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        if draw(st.booleans()):
            low = draw(st.integers(min_value=0, max_value=halves))
            high = draw(st.integers(min_value=low, max_value=halves))
            bands.append({"label": f"等次{i}", "deduct": [low / 2, high / 2]})
        else:
            low_r = draw(ratio_st)
            high_r = draw(ratio_st.filter(lambda r, low_r=low_r: r >= low_r))
            bands.append({"label": f"等次{i}", "ratio": [float(low_r), float(high_r)]})
    return {"type": "grade", "bands": bands}


@st.composite
def deduction_params(draw: st.DrawFn, points: Decimal) -> dict[str, Any]:
    halves = int(points * 2)
    n = draw(st.integers(min_value=1, max_value=6))
    rules = [
        {"key": f"r{i}", "label": f"事项{i}", "per_incident": draw(st.integers(1, halves)) / 2}
        for i in range(n)
    ]
    method: dict[str, Any] = {"type": "deduction", "rules": rules}
    if draw(st.booleans()):
        method["floor"] = draw(st.integers(0, halves)) / 2
    if draw(st.booleans()):
        method["cap"] = draw(st.integers(0, 2 * halves)) / 2
    return method


@st.composite
def quantitative_params(draw: st.DrawFn, points: Decimal) -> tuple[dict[str, Any], list[Any]]:
    measure = draw(st.sampled_from(["count", "ratio"]))
    threshold = draw(ratio_st) if measure == "ratio" else draw(st.integers(0, 50))
    rule = {
        "key": "rule",
        "label": "规则",
        "measure": measure,
        "threshold": float(threshold) if measure == "ratio" else threshold,
        "comparison": draw(st.sampled_from([">=", ">", "<=", "<", "=="])),
    }
    method: dict[str, Any] = {
        "type": "quantitative",
        "rule": "rule",
        "credit": draw(st.sampled_from(["none", "linear", "steps"])),
    }
    if method["credit"] == "steps":
        method["steps"] = [
            {"at": draw(st.integers(0, 60)), "ratio": float(draw(ratio_st))}
            for _ in range(draw(st.integers(1, 4)))
        ]
    return method, [rule]


@st.composite
def manual_params(draw: st.DrawFn, points: Decimal) -> dict[str, Any]:
    step = draw(st.sampled_from([D("0.5"), D(1), D(2)]))
    maximum = draw(st.integers(0, int(points / step))) * step
    method: dict[str, Any] = {"type": "manual"}
    if step != D("0.5") or draw(st.booleans()):
        method["step"] = float(step)
    if maximum != points or draw(st.booleans()):
        method["max"] = float(maximum)
    return method


@st.composite
def valid_leaf(draw: st.DrawFn) -> tuple[dict[str, Any], Decimal, list[Any]]:
    points = draw(points_st)
    kind = draw(st.sampled_from(["grade", "deduction", "quantitative", "manual"]))
    rules: list[Any] = []
    if kind == "grade":
        method = draw(grade_params(points))
    elif kind == "deduction":
        method = draw(deduction_params(points))
    elif kind == "quantitative":
        method, rules = draw(quantitative_params(points))
    else:
        method = draw(manual_params(points))
    assert param_problems(method, points, rules) == [], method  # the generator makes valid ones
    return method, points, rules


def sensible_input(draw: st.DrawFn, method: dict[str, Any], rules: list[Any]) -> dict[str, Any]:
    kind = method["type"]
    if kind == "grade":
        band = draw(st.sampled_from(method["bands"]))["label"]
        value = draw(st.one_of(st.none(), st.decimals(min_value=-5, max_value=120, places=2)))
        return {"band": band, "value": value}
    if kind == "deduction":
        keys = [r["key"] for r in method["rules"]]
        return {"incidents": draw(st.dictionaries(st.sampled_from(keys), st.integers(0, 30)))}
    if kind == "quantitative":
        top = 1 if rules[0]["measure"] == "ratio" else 80
        return {"value": draw(st.decimals(min_value=0, max_value=top, places=2))}
    return {"value": draw(st.integers(0, 240)) / 2}


@PROPERTY
@given(leaf=valid_leaf(), data=st.data())
def test_property_valid_params_keep_the_score_within_points(leaf, data):
    method, points, rules = leaf
    value = sensible_input(data.draw, method, rules)
    try:
        result = score_leaf(method, points, value, rules)
    except ScoringInputError:
        # only grade and manual inputs may be out of range here; the others are always valid
        assert method["type"] in ("grade", "manual")
        return
    assert result.score is not None
    assert D(0) <= result.score <= points


@PROPERTY
@given(leaf=valid_leaf(), junk=junk_st, key=st.sampled_from(["value", "band", "incidents"]))
def test_property_any_input_is_refused_in_chinese_or_scored_within_points(leaf, junk, key):
    method, points, rules = leaf
    value: dict[str, Any] = {key: junk}
    if method["type"] == "grade":
        value = {"band": method["bands"][0]["label"], "value": junk}
    elif method["type"] == "deduction":
        value = {"incidents": {method["rules"][0]["key"]: junk}}
    try:
        result = score_leaf(method, points, value, rules)
    except ScoringInputError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))  # a Chinese message
        return
    assert result.score is not None
    assert D(0) <= result.score <= points


@PROPERTY
@given(
    points=points_st,
    data=st.data(),
)
def test_property_deduction_equals_points_minus_incidents_not_below_floor(points, data):
    method = data.draw(deduction_params(points))
    counts = {r["key"]: data.draw(st.integers(0, 10)) for r in method["rules"]}
    taken = D(0)
    for rule in method["rules"]:
        one = D(str(rule["per_incident"])) * counts[rule["key"]]
        taken += min(one, D(str(method["cap"]))) if "cap" in method else one
    floor = D(str(method.get("floor", 0)))
    expected = max(points - taken, floor)
    assert score_of(method, points, {"incidents": counts}) == expected.quantize(D("0.01"))


@PROPERTY
@given(points=points_st, data=st.data())
def test_property_manual_accepts_every_step_up_to_the_maximum(points, data):
    method = data.draw(manual_params(points))
    step = D(str(method.get("step", "0.5")))
    maximum = D(str(method.get("max", points)))
    value = data.draw(st.integers(0, int(maximum / step))) * step
    assert score_of(method, points, {"value": str(value)}) == value.quantize(D("0.01"))
