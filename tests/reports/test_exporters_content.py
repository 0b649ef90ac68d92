"""Each exporter's content against the data it was given (issue 6 point 9): exact values, read
back from the xlsx (and CSV) files, for the committee's view. The data is described in
`table_fixtures`."""

from __future__ import annotations

import datetime

import pytest

from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.core.exports.registry import get
from mofan.evaluations.models import UnitResult
from mofan.indicators.models import IndicatorNode
from mofan.reports.exporters.evidence_index import EvidenceIndexExporter
from mofan.reports.exporters.problems import ProblemListExporter, SupervisionLedgerExporter
from mofan.reports.exporters.ranking import RankingExporter
from mofan.reports.exporters.score_sheet import ScoreSheetExporter
from tests.evaluations.campaign_fixtures import build_world
from tests.reports.table_fixtures import (
    TODAY,
    approved_world,
    csv_rows,
    evidence,
    finish_review,
    link,
    make_items,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db

RANKING_HEADER = [
    "名次",
    "单位",
    "政治建设",
    "清廉建设",
    "自评合计",
    "评审合计",
    "综合得分",
    "等次",
    "一票否决",
    "先进单位",
    "审定状态",
]


def test_the_identifiers_are_registered():
    assert get("ranking") is RankingExporter
    assert get("score_sheet") is ScoreSheetExporter
    assert get("problem_list") is ProblemListExporter
    assert get("supervision_ledger") is SupervisionLedgerExporter
    assert get("evidence_index") is EvidenceIndexExporter
    assert ScoreSheetExporter.per_unit
    assert ScoreSheetExporter.formats == ("xlsx", "csv", "docx", "pdf")
    assert RankingExporter.formats == ("xlsx", "csv")


def test_ranking_after_approval_has_every_units_result():
    world = approved_world()
    rows = xlsx_rows(
        RankingExporter(campaign=world.campaign, actor=world.actor("committee_leader"))
    )
    assert rows == [
        RANKING_HEADER,
        [1, "甲单位", 17, 10, 24, 27, 27, "优秀", None, "先进单位", "已审定"],
        [2, "乙单位", 16, 8, 21, 24, 24, "良好", None, None, "已审定"],
        [3, "丙单位", 10, 5, None, 15, 15, "不达标", "是", None, "已审定"],
    ]


def test_ranking_shows_the_frozen_result_a_rereview_replaced():
    world = approved_world()
    UnitResult.objects.filter(enrollment=world.ec).update(
        composite="18.50", grade="达标", type_scores={"1": "12.5", "2": "6.00"}
    )
    rows = csv_rows(RankingExporter(campaign=world.campaign, actor=world.actor("committee_admin")))
    assert rows[3] == ["3", "丙单位", "12.5", "6", "", "15", "18.5", "达标", "是", "", "已审定"]


def test_ranking_before_approval_is_the_approval_pages_computation():
    world = build_world()
    finish_review(world)
    export = RankingExporter(campaign=world.campaign, actor=world.actor("committee_admin"))
    rows = xlsx_rows(export)
    provisional = "未审定（测算）"
    assert rows[1:] == [
        [1, "甲单位", 17, 10, 24, 27, 27, "优秀", None, "先进单位", provisional],
        [2, "乙单位", 16, 8, 21, 24, 24, "良好", None, None, provisional],
        [3, "丙单位", 10, 5, None, 15, 15, "不达标", "是", None, provisional],
    ]


def test_ranking_with_one_unit_reopened_mixes_frozen_and_computed_rows():
    world = approved_world()
    Enrollment.objects.filter(pk=world.eb.pk).update(state=EnrollmentState.REVIEWED)
    UnitResult.objects.filter(enrollment=world.eb).delete()
    rows = xlsx_rows(RankingExporter(campaign=world.campaign, actor=world.actor("committee_admin")))
    assert [(r[0], r[1], r[-1]) for r in rows[1:]] == [
        (1, "甲单位", "已审定"),
        (2, "乙单位", "未审定（测算）"),
        (3, "丙单位", "已审定"),
    ]


def test_score_sheet_for_the_committee_names_each_reviewer():
    world = approved_world()
    export = ScoreSheetExporter(
        campaign=world.campaign, actor=world.actor("committee_admin"), unit=world.unit_a
    )
    rows = xlsx_rows(export)
    assert rows == [
        [
            "指标编码",
            "指标名称",
            "分值",
            "评分方法",
            "自评",
            "组长王",
            "评审员张",
            "最终得分",
            "评语",
        ],
        ["1", "政治建设", 20, "汇总", 16, 18, 16, 17, None],
        ["1.1", "理论学习", 10, "打分", 8, 9, 8, 8.5, "组长王：组长意见"],
        ["1.2", "组织生活", 10, "打分", 8, 9, 8, 8.5, None],
        ["2", "清廉建设", 10, "汇总", 8, 10, 8, 10, None],
        ["2.1", "廉政教育", 10, "打分", 8, 10, 8, 10, "组长王：台账规范；组长裁定：以组长意见为准"],
        ["2.2", "严重违纪", None, "否决", None, "无", "无", "无", None],
        [None, "合计", 30, None, 24, 28, 24, 27, None],
        [None, "综合得分", None, None, None, None, None, 27, "等次：优秀"],
    ]
    assert export.title() == "甲单位考评得分表"
    assert export.filename("xlsx") == "2024年度模范机关创建-甲单位-考评得分表.xlsx"


def test_score_sheet_of_a_vetoed_unit_without_self_scores():
    world = approved_world()
    export = ScoreSheetExporter(
        campaign=world.campaign, actor=world.actor("committee_admin"), unit=world.unit_c
    )
    rows = csv_rows(export)
    # group 2: its leader 评审员李 has not scored C; nobody else sits in it
    assert rows[0] == [
        "指标编码",
        "指标名称",
        "分值",
        "评分方法",
        "自评",
        "评审员李",
        "最终得分",
        "评语",
    ]
    assert rows[2] == ["1.1", "理论学习", "10", "打分", "", "", "5", ""]
    assert rows[-2] == ["", "合计", "30", "", "", "", "15", ""]
    assert rows[-1] == ["", "综合得分", "", "", "", "", "15", "等次：不达标；一票否决"]


def test_score_sheet_of_a_qualitative_system_has_no_points_column_and_no_total_row():
    world = approved_world()
    IndicatorNode.objects.filter(version_id=world.campaign.indicator_version_id).update(points=None)
    export = ScoreSheetExporter(
        campaign=world.campaign, actor=world.actor("committee_admin"), unit=world.unit_a
    )
    rows = xlsx_rows(export)
    assert rows[0] == [
        "指标编码",
        "指标名称",
        "评分方法",
        "自评",
        "组长王",
        "评审员张",
        "最终得分",
        "评语",
    ]
    assert all(len(row) == 8 for row in rows)
    assert "合计" not in [row[1] for row in rows]
    assert rows[-1][1] == "综合得分"


def test_score_sheet_for_the_unit_itself_has_no_reviewer_columns():
    world = approved_world(publish=True)
    export = ScoreSheetExporter(
        campaign=world.campaign, actor=world.actor("owner"), unit=world.unit_a
    )
    rows = xlsx_rows(export)
    assert rows[0] == ["指标编码", "指标名称", "分值", "评分方法", "自评", "最终得分", "评语"]
    assert rows[2] == ["1.1", "理论学习", 10, "打分", 8, 8.5, "组长意见"]
    assert rows[5] == ["2.1", "廉政教育", 10, "打分", 8, 10, "台账规范；组长裁定：以组长意见为准"]
    flat = repr(rows)
    assert "组长王" not in flat and "评审员张" not in flat


def test_problem_list_for_the_committee():
    world = approved_world()
    make_items(world)
    export = ProblemListExporter(
        campaign=world.campaign, actor=world.actor("committee_admin"), today=TODAY
    )
    rows = xlsx_rows(export)
    day = datetime.datetime
    assert rows == [
        [
            "单位",
            "所属活动",
            "来源",
            "对应指标",
            "问题描述",
            "严重程度",
            "整改责任人",
            "整改时限",
            "状态",
            "是否逾期",
            "提出日期",
            "销号日期",
        ],
        [
            "甲单位",
            "2024年度模范机关创建",
            "评审发现",
            "2.1 廉政教育",
            "台账不全",
            "较重",
            "甲书记",
            day(2026, 2, 1),
            "已销号",
            "否",
            day(2026, 1, 5),
            day(2026, 1, 20),
        ],
        [
            "甲单位",
            "2024年度模范机关创建",
            "评审发现",
            None,
            "学习记录缺失",
            "一般",
            "甲联络员",
            day(2026, 3, 1),
            "整改中",
            "是",
            day(2026, 1, 6),
            None,
        ],
        [
            "甲单位",
            "—",
            "工委检查（上级点）",
            None,
            "工委检查发现的问题",
            "一般",
            None,
            day(2026, 5, 1),
            "待报整改措施",
            "否",
            day(2026, 1, 8),
            None,
        ],
        [
            "乙单位",
            "2024年度模范机关创建",
            "随机抽查",
            None,
            "乙单位的问题",
            "一般",
            None,
            day(2026, 4, 1),
            "待报整改措施",
            "否",
            day(2026, 1, 7),
            None,
        ],
    ]
    assert export.count() == 4


def test_supervision_ledger_for_the_committee():
    world = approved_world()
    make_items(world)
    export = SupervisionLedgerExporter(
        campaign=world.campaign, actor=world.actor("committee_leader"), today=TODAY
    )
    rows = csv_rows(export)
    assert rows == [
        [
            "单位",
            "所属活动",
            "督办事项",
            "分管领导",
            "完成时限",
            "进展报告频次",
            "状态",
            "督办升级",
            "是否逾期",
            "最近报告日期",
            "办结日期",
        ],
        [
            "甲单位",
            "2024年度模范机关创建",
            "完善党建台账",
            "王副局长",
            "2026-02-15",
            "每周",
            "已办结",
            "正常",
            "否",
            "2026-02-10",
            "2026-02-12",
        ],
        [
            "甲单位",
            "2024年度模范机关创建",
            "整改学习制度",
            "分管副局长",
            "2026-02-28",
            "每月",
            "督办中",
            "已预警",
            "是",
            "",
            "",
        ],
        [
            "甲单位",
            "—",
            "工委直接督办事项",
            "分管副局长",
            "2026-06-01",
            "每月",
            "督办中",
            "正常",
            "否",
            "",
            "",
        ],
        [
            "乙单位",
            "2024年度模范机关创建",
            "乙单位的督办事项",
            "分管副局长",
            "2026-04-01",
            "每月",
            "督办中",
            "正常",
            "否",
            "",
            "",
        ],
    ]


def test_evidence_index_lists_which_file_backs_which_indicator():
    world = approved_world()
    owner = world.user("owner")
    plan = evidence(
        world.unit_a, "学习计划.pdf", owner, size=2048, uploaded=datetime.date(2026, 1, 3)
    )
    sheet = evidence(
        world.unit_a, "台账.xlsx", owner, size=512, kind="xlsx", uploaded=datetime.date(2026, 1, 4)
    )
    link(plan, world.ea, world.node("1.1"))
    link(plan, world.ea, world.node("1.2"))
    link(sheet, world.ea, world.node("1.1"))
    b_file = evidence(world.unit_b, "乙的材料.pdf", world.user("outsider"), size=10)
    link(b_file, world.eb, world.node("2.1"))
    export = EvidenceIndexExporter(campaign=world.campaign, actor=world.actor("committee_admin"))
    rows = xlsx_rows(export)
    assert rows[0] == [
        "单位",
        "指标编码",
        "指标名称",
        "文件名",
        "类型",
        "大小（字节）",
        "上传时间",
        "上传人",
        "SHA-256",
    ]
    at = datetime.datetime
    assert rows[1:] == [
        [
            "甲单位",
            "1.1",
            "理论学习",
            "学习计划.pdf",
            "PDF",
            2048,
            at(2026, 1, 3, 10),
            "甲联络员",
            plan.sha256,
        ],
        [
            "甲单位",
            "1.1",
            "理论学习",
            "台账.xlsx",
            "Excel",
            512,
            at(2026, 1, 4, 10),
            "甲联络员",
            sheet.sha256,
        ],
        [
            "甲单位",
            "1.2",
            "组织生活",
            "学习计划.pdf",
            "PDF",
            2048,
            at(2026, 1, 3, 10),
            "甲联络员",
            plan.sha256,
        ],
        [
            "乙单位",
            "2.1",
            "廉政教育",
            "乙的材料.pdf",
            "PDF",
            10,
            at(2026, 3, 2, 10),
            "乙联络员",
            b_file.sha256,
        ],
    ]
    assert len(plan.sha256) == 64
    assert export.count() == 4
