"""The scoring form's controls for a leaf: a deduction rule's field says how it deducts,
per incident or along its non-linear scale."""

from __future__ import annotations

from mofan.evaluations.inputs import input_fields


def test_each_deduction_rule_is_labelled_with_how_it_deducts():
    method = {
        "type": "deduction",
        "floor": 0,
        "rules": [
            {"key": "absent", "label": "无故缺席", "scale": [3, 5, 10]},
            {"key": "late", "label": "迟报", "per_incident": 2},
        ],
    }
    fields = input_fields(method, 10, {"incidents": {"late": 1}}, "n1")
    assert [f["label"] for f in fields] == [
        "无故缺席（1次扣 3 分、2次共扣 5 分、3次及以上共扣 10 分）",
        "迟报（每次扣 2 分）",
    ]
    assert [f["value"] for f in fields] == [0, 1]
