"""Non-linear deduction scales ("无故缺席一次扣3分，两次扣5分，三次（含）以上不得分"): a rule's
`scale` is the total taken after 1, 2, … n incidents; past n, `per_incident` more each, or
nothing more. Checked by hand on the seed-like cases and by hypothesis for any valid scale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofan.indicators.methods import param_problems, rule_deduction, rule_text, score_leaf
from mofan.indicators.tree import NodeData
from mofan.indicators.validation import validate_tree

D = Decimal
ABSENCE = {"key": "absent", "label": "无故缺席", "scale": [3, 5, 10]}
LATE = {"key": "late", "label": "迟到、早退", "scale": [0.5, 1, 1.5, 10]}
STEPPED = {"key": "miss", "label": "漏报", "scale": [1, 3], "per_incident": 3}
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def score(rules: list[dict[str, Any]], counts: dict[str, int], points: int = 10) -> Decimal:
    method = {"type": "deduction", "floor": 0, "rules": rules}
    result = score_leaf(method, D(points), {"incidents": counts}, ())
    assert result.score is not None
    return result.score


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "10.00"), (1, "7.00"), (2, "5.00"), (3, "0.00"), (9, "0.00")]
)
def test_a_scale_takes_its_total_for_the_count_and_saturates(count, expected):
    assert score([ABSENCE], {"absent": count}) == D(expected)


def test_a_scale_with_a_rate_after_it_and_two_rules_together():
    assert [rule_deduction(STEPPED, n) for n in range(5)] == [D(0), D(1), D(3), D(6), D(9)]
    assert score([LATE, ABSENCE], {"late": 2, "absent": 1}) == D("6.00")  # 10 − 1 − 3


def test_a_scale_in_words_for_the_scorer():
    assert rule_text(ABSENCE) == "1次扣 3 分、2次共扣 5 分、3次及以上共扣 10 分"
    assert rule_text(STEPPED) == "1次扣 1 分、2次共扣 3 分、此后每次再扣 3 分"
    assert rule_text({"key": "a", "label": "甲", "per_incident": 2}) == "每次扣 2 分"


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ([], "扣分规则“甲”的累计扣分表不能为空。"),
        ([3, 2], "扣分规则“甲”的累计扣分应大于 0 且逐次不减。"),
        ([0, 2], "扣分规则“甲”的累计扣分应大于 0 且逐次不减。"),
        ([3, 12], "扣分规则“甲”累计扣 12 分，超过了本项分值 10 分。"),
    ],
)
def test_scale_parameter_problems(scale, message):
    method = {"type": "deduction", "rules": [{"key": "a", "label": "甲", "scale": scale}]}
    assert message in param_problems(method, D(10))


def test_the_file_format_accepts_a_scale_and_refuses_a_rule_with_neither():
    good = NodeData(
        code="1", title="甲", points=D(10), method={"type": "deduction", "rules": [ABSENCE]}
    )
    assert validate_tree([good]) == []
    bare = NodeData(
        code="1",
        title="甲",
        points=D(10),
        method={"type": "deduction", "rules": [{"key": "a", "label": "甲"}]},
    )
    assert validate_tree([bare])


@st.composite
def scales(draw: st.DrawFn, points: int) -> dict[str, Any]:
    steps = sorted(draw(st.lists(st.integers(1, points * 2), min_size=1, max_size=5)))
    rule: dict[str, Any] = {"key": "a", "label": "甲", "scale": [s / 2 for s in steps]}
    if draw(st.booleans()):
        rule["per_incident"] = draw(st.integers(1, points)) / 2
    return rule


@PROPERTY
@given(points=st.integers(1, 20), data=st.data())
def test_property_more_incidents_never_score_higher_and_stay_within_points(points, data):
    rule = data.draw(scales(points))
    assert param_problems({"type": "deduction", "rules": [rule]}, D(points)) == []
    previous = D(points)
    for count in range(0, len(rule["scale"]) + 3):
        now = score([rule], {"a": count}, points)
        assert D(0) <= now <= previous
        previous = now
