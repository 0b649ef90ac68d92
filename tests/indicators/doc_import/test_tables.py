"""Layouts met in the real-world corpus, each on a small document: non-linear scales, an item's
numbered rule lines, tables read by their columns (bars, tabs, spaces), cells that lost their
tabs, two columns of labels, run-on paragraphs and 积分制 items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mofan.indicators.doc_import import rules
from mofan.indicators.doc_import.draft import propose
from mofan.indicators.tree import walk
from mofan.indicators.validation import validate_tree

D = Decimal


def tree(text: str) -> list[tuple[str, str, Any, str]]:
    proposal = propose(text)
    return [(n.code, n.title, n.points, n.method_type) for n, _d in walk(proposal.document.roots)]


@pytest.mark.parametrize(
    ("text", "label", "scale", "per"),
    [
        ("无故缺席一次扣3分，两次扣5分，三次（含）以上不得分。", "无故缺席", [3, 5, None], None),
        (
            "迟到、早退一次各扣0.5分，以此类推，四次（含）以上不得分。",
            "迟到、早退",
            [0.5, 1, 1.5, None],
            None,
        ),
        ("第1次扣1分、第2次扣2分，第3次起每次扣3分。", "", [1, 3, 6], 3),
    ],
)
def test_non_linear_scales_are_read_as_one_rule(text, label, scale, per):
    found, spans = rules.scales(text)
    assert found == [
        {"label": label, "scale": [None if s is None else D(str(s)) for s in scale]}
        | ({"per_incident": D(per)} if per else {})
    ]
    assert spans and rules.deductions(text)[0] == [] and rules.floors(text)[0] == []


def test_a_single_step_stays_a_per_incident_rule_named_by_the_clause_before():
    assert rules.scales("每缺一次扣2分。")[0] == []
    assert rules.deductions("无故不参加理论学习，一次扣2分。")[0] == [
        {"label": "无故不参加理论学习", "per_incident": D(2)}
    ]


def test_an_items_numbered_rule_lines_are_its_criteria_and_its_scale_fits_its_points():
    text = """一、思想政治（20分）
（一）支部会议：10分
1.迟到、早退一次各扣0.5分，以此类推，四次（含）以上不得分。
2.无故缺席一次扣3分，两次扣5分，三次（含）以上不得分。
（二）学习笔记缺一篇扣2分。（10分）
"""
    proposal = propose(text)
    nodes = {n.code: n for n, _d in walk(proposal.document.roots)}
    assert sorted(nodes) == ["1", "1.1", "1.2"]
    meeting = nodes["1.1"]
    assert (meeting.title, meeting.points, meeting.method_type) == ("支部会议", D(10), "deduction")
    assert [r["scale"] for r in meeting.method["rules"]] == [[0.5, 1, 1.5, 10], [3, 5, 10]]
    assert validate_tree(proposal.document.roots) == []


def test_a_pipe_table_with_a_serial_column_naming_categories_and_items():
    text = """××局文明创建考核细则

| 序号 | 考评项目 | 评分标准 | 分值 |
|---|---|---|---|
| 一 | 组织领导 |  | 6 |
| 1 | 创建人员落实到位。 | 人员不到位的，扣1分。 | 4 |
| 2 | 年初订有计划。 | 无计划的，不得分。 | 2 |
| 二 | 环境卫生 |  | 5 |
| 1 | 门前整洁。 | 每发现一次，扣1分，扣完为止。 | 5 |
"""
    assert tree(text) == [
        ("1", "组织领导", D(6), "rollup"),
        ("1.1", "创建人员落实到位", D(4), "deduction"),
        ("1.2", "年初订有计划", D(2), "deduction"),
        ("2", "环境卫生", D(5), "rollup"),
        ("2.1", "门前整洁", D(5), "deduction"),
    ]
    assert [line.text for line in propose(text).unrecognised if line.text.strip()] == [
        "××局文明创建考核细则"
    ]


def test_tab_separated_rows_with_merged_cells_left_blank():
    rows = [
        "目标\t\t序号\t考核内容和要求\t分比\t得分情况\t\t备注",
        "\t\t\t\t\t自评\t考评\t",
        "一、思想建设30分\t理论学习\t1\t没有学习计划的扣2分。\t5\t\t\t查资料",
        "\t\t2\t定期组织党员学习。\t5\t\t\t查资料",
        "\t党课教育\t3\t每少1次党课扣1分。\t20\t\t\t",
    ]
    assert tree("\n".join(rows)) == [
        ("1", "思想建设", D(30), "rollup"),
        ("1.1", "理论学习", D(10), "rollup"),
        ("1.1.1", "没有学习计划的扣2分", D(5), "deduction"),
        ("1.1.2", "定期组织党员学习", D(5), "manual"),
        ("1.2", "党课教育", D(20), "rollup"),
        ("1.2.1", "每少1次党课扣1分", D(20), "deduction"),
    ]


def test_rows_set_out_with_spaces_and_a_row_that_lost_its_leading_cells():
    text = """序号  指标名称  考核内容  考核标准  标准分  实得分
1  班子好20分  支部班子健全。  不健全扣1.5分。  3
      年初做好计划。  计划不及时的，扣0.5分。  17
"""
    assert tree(text) == [
        ("1", "班子好", D(20), "rollup"),
        ("1.1", "支部班子健全", D(3), "deduction"),
        ("1.2", "年初做好计划", D(17), "deduction"),
    ]


def test_a_cell_listing_parts_with_their_points_pairs_them_with_the_rules_cell():
    text = (
        "目标 | 考核项目 | 考核内容 | 评分说明 | 自查分 |\n"
        "好 的 班 子 ︻ 4分 ︼ | 班子健全 (4分) | ①委员配齐。(2分) ②出缺及时补充。(2分) | "
        "①未配齐的扣1分。 ②未补充的扣1分。 | |\n"
    )
    assert tree(text) == [
        ("1", "好的班子", D(4), "rollup"),
        ("1.1", "班子健全", D(4), "rollup"),
        ("1.1.1", "委员配齐", D(2), "deduction"),
        ("1.1.2", "出缺及时补充", D(2), "deduction"),
    ]


def test_cells_without_tabs_vertical_labels_and_two_label_levels():
    text = """考核内容
分数
考评方法
落
实
责
任
（10分）
集体领导（6分）
1.制定实施方案；（3分）
未制定的不得分
2.专题研究2次；（3分）
少一次扣1.5分
个人责任（4分）
1.开展谈心谈话；（4分）
"""
    assert tree(text) == [
        ("1", "落实责任", D(10), "rollup"),
        ("1.1", "集体领导", D(6), "rollup"),
        ("1.1.1", "制定实施方案", D(3), "deduction"),
        ("1.1.2", "专题研究2次", D(3), "deduction"),
        ("1.2", "个人责任", D(4), "rollup"),
        ("1.2.1", "开展谈心谈话", D(4), "manual"),
    ]


def test_a_run_on_paragraph_is_split_at_its_outline_numbers():
    text = (
        "××局考核细则 现将考评指标分解如下：一、宣传格局考核内容：确立大宣传理念。"
        "1、落实领导责任（3分）；2、有专门工作人员（2分）；3、纳入年度计划（5分）。"
        "二、学习教育考核内容：（一）理想信念教育。1、制定学习计划（5分）；2、开展宣传教育（3分）。"
    )
    assert [(c, p) for c, _t, p, _m in tree(text)] == [
        ("1", D(10)),
        ("1.1", D(3)),
        ("1.2", D(2)),
        ("1.3", D(5)),
        ("2", D(8)),
        ("2.1", D(8)),
        ("2.1.1", D(5)),
        ("2.1.2", D(3)),
    ]


def test_points_earned_once_or_per_incident_in_a_points_scheme():
    text = """二、积分内容及办法
（一）讲规矩（10分）
(1)按时足额交纳党费积5分。
(2)遵守规章制度积5分。(违反的，该项不得分)
(3)参加志愿服务，每次积1分。
"""
    assert tree(text) == [
        ("1", "讲规矩", D(10), "rollup"),
        ("1.1", "按时足额交纳党费积5分", D(5), "manual"),
        ("1.2", "遵守规章制度积5分", D(5), "deduction"),
        ("1.3", "参加志愿服务，每次积1分", None, "bonus"),
    ]
