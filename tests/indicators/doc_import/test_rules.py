"""What the importer reads from an item's words, and the text it reads documents from."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mofan.indicators.doc_import import rules
from mofan.indicators.doc_import.draft import propose
from mofan.indicators.doc_import.extract import ExtractError, decode_text, pdf_text
from mofan.indicators.doc_import.lines import cn_number, marker, points_in
from mofan.indicators.fileformat import parse_yaml
from mofan.indicators.tree import walk


@pytest.mark.parametrize(
    ("text", "style", "number"),
    [
        ("一、政治建设", "cn", 1),
        ("（十二）作风", "pcn", 12),
        ("(3)学习", "pnum", 3),
        ("12．党课", "num", 12),
        ("4、纪律", "num", 4),
        ("③活动", "circ", 3),
        ("2.3.4 子项", "dot3", 4),
        ("第二十一条 附则", "article", 21),
        ("第三部分 保障", "chapter", 3),
        ("● 项目", "bullet●", 0),
    ],
)
def test_outline_markers(text, style, number):
    found = marker(text)
    assert found is not None and (found.style, found.number) == (style, number)


def test_not_markers():
    assert marker("2022年是关键之年") is None
    assert marker("1.5分") is None
    assert cn_number("二十") == 20 and cn_number("十") == 10


def test_points_in_every_position():
    assert points_in("强化政治机关意识；（8分）") == (Decimal(8), "强化政治机关意识；")
    assert points_in("组织领导（满分20分）。考核内容")[0] == Decimal(20)
    assert points_in("党建责任 分值：10")[0] == Decimal(10)
    assert points_in("政治功能强（以下每项5分，共20分）") == (Decimal(20), "政治功能强")


def test_deductions_floors_caps():
    found, spans = rules.deductions("被效能告诫的每例扣 1分，其他形式处理一次扣0.5分，扣完为止")
    assert [(r["label"], r["per_incident"]) for r in found] == [
        ("被效能告诫", Decimal(1)),
        ("其他形式处理", Decimal("0.5")),
    ]
    assert len(spans) == 2
    assert rules.floors("未召开的不得分")[0] == ["未召开"]
    assert rules.deduct_cap("每项扣2分，最多扣10分") == Decimal(10)


def test_bonus_with_cap_and_vetoes():
    assert rules.bonus("每次加2分，累计不超过10分")[:2] == (Decimal(2), Decimal(10))
    assert rules.bonus("获评先进的，加3分")[:2] == (Decimal(3), None)
    assert rules.veto("发生严重违纪问题的，实行一票否决")
    assert rules.veto("出现下列情形之一的，撤销其文明单位称号")
    assert not rules.veto("按时完成任务")


def test_grade_bands_from_a_note_and_from_tiers():
    bands, _s = rules.grade_bands("优按满分，良扣1-3分、一般扣3-5分，不合格按一半以下分值计分")
    assert [b["label"] for b in bands] == ["优", "良", "一般", "不合格"]
    assert bands[3] == {"label": "不合格", "ratio": [Decimal(0), Decimal("0.5")]}
    tiers, _s = rules.grade_bands("好的得15分，较好的得12分，一般的得8分，差的得0分", Decimal(15))
    assert [(b["label"], b["deduct"]) for b in tiers][1] == ("较好", [Decimal(3), Decimal(3)])


def test_thresholds_become_candidate_rules():
    found, _s = rules.thresholds("党支部全年集中学习不少于12次，每月开展主题党日至少1次")
    assert [(r["threshold"], r["period"], r["subject"]) for r in found] == [
        (Decimal(12), "year", "branch"),
        (Decimal(12), "year", "branch"),  # 每月至少1次 is 12 a year
    ]
    ratio, _s = rules.thresholds("党员培训覆盖率达到90%")
    assert ratio[0]["measure"] == "ratio" and ratio[0]["threshold"] == Decimal("0.9")


def test_declared_total_that_differs_is_listed_and_kept():
    text = "一、组织建设（30分）\n1.换届（10分）\n2.发展党员（10分）\n"
    proposal = propose(text)
    (mismatch,) = proposal.mismatches
    assert (mismatch.code, mismatch.declared, mismatch.total) == ("1", 30, 20)
    assert "分值核对：1 “组织建设” 声明 30 分，下级合计 20 分。" in proposal.yaml()


def test_same_text_same_draft_and_unrecognised_lines_as_comments():
    text = "某某细则\n一、学习（10分）\n1.集中学习（10分）\n附：联系人张三\n"
    first, second = propose(text).yaml(), propose(text).yaml()
    assert first == second
    assert "# 4: 附：联系人张三" in first
    assert parse_yaml(first).roots[0].children[0].points == 10


def test_text_encodings():
    assert decode_text("一、学习".encode("gb18030")) == "一、学习"
    assert decode_text("\ufeff一、学习".encode()) == "一、学习"
    with pytest.raises(ExtractError):
        pdf_text(b"%PDF-1.4 broken")


def test_a_pdf_text_layer_is_read(tmp_path):
    weasyprint = pytest.importorskip("weasyprint")
    html = (
        "<html><body style='font-family: \"Noto Sans CJK SC\"'>"
        "<p>一、政治建设（20分）</p><p>1.落实第一议题制度。（10分）</p>"
        "<p>2.严格执行请示报告制度。（10分）</p></body></html>"
    )
    data = weasyprint.HTML(string=html).write_pdf()
    doc = propose(pdf_text(data)).document
    assert [(n.code, n.points) for n, _d in walk(doc.roots)] == [
        ("1", 20),
        ("1.1", 10),
        ("1.2", 10),
    ]


def test_a_list_of_vetoes_and_of_bonuses_under_their_heading():
    text = (
        "一、考核内容（10分）\n1.学习（10分）\n"
        "二、有下列情形之一的，撤销文明单位称号\n1.发生重大安全事故\n2.领导班子成员严重违纪\n"
        "三、加分项目\n1.获得省级表彰（3分）\n"
    )
    doc = propose(text).document
    nodes = {n.code: n for n, _d in walk(doc.roots)}
    assert [nodes[c].method_type for c in ("2.1", "2.2")] == ["veto", "veto"]
    assert nodes["3.1"].method == {"type": "bonus", "cap": 3} and nodes["3.1"].points is None
    assert nodes["1"].method_type == "manual"  # the content section's items are the top
