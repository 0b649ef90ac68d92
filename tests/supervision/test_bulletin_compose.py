"""The pure composition of bulletin drafts: exact text from given facts (no database)."""

from __future__ import annotations

from datetime import date

from mofan.supervision.bulletins import cn_date, cn_number, compose_bulletin, compose_monthly
from mofan.supervision.selectors_bulletins import (
    FindingFact,
    InterviewFact,
    ItemFact,
    MonthlyFacts,
    OverdueFact,
    UnitStatus,
    VisitFact,
)

TODAY = date(2026, 3, 10)
FINDINGS = [
    FindingFact(1, "甲单位", "理论学习\n  记录不全", "1.1 理论学习"),
    FindingFact(2, "甲单位", "主题党日流于形式"),
    FindingFact(3, "乙单位", "廉政教育覆盖不全", "2.1 廉政教育"),
]
STATUSES = [
    UnitStatus(unit_id=10, unit="甲单位", total=4, closed=1, overdue=2),
    UnitStatus(unit_id=11, unit="乙单位", total=3, closed=3, overdue=0),
]
OVERDUE = [
    OverdueFact(5, "problem", "甲单位", "三会一课记录不全", date(2026, 3, 1)),
    OverdueFact(6, "ledger", "乙单位", "完成支部换届", date(2026, 3, 9)),
]
IND = "\u3000\u3000"


def lines(body: str) -> list[str]:
    return body.split("\n")


def test_numbers_and_dates_in_chinese():
    assert [cn_number(n) for n in (1, 5, 10, 11, 20, 35, 99)] == [
        "一",
        "五",
        "十",
        "十一",
        "二十",
        "三十五",
        "九十九",
    ]
    assert cn_date(date(2026, 3, 1)) == "2026年3月1日"


def test_a_full_draft_from_findings_status_and_overdue_items():
    draft = compose_bulletin(
        committee="焦作市直机关工委",
        today=TODAY,
        campaign="2026年度模范机关创建",
        findings=FINDINGS,
        statuses=STATUSES,
        overdue=OVERDUE,
    )
    assert draft.title == "关于2026年度模范机关创建有关问题及整改落实情况的通报"
    body = lines(draft.body)
    assert body[0] == "各单位："
    assert body[1] == (
        IND + "为推动模范机关创建各项任务落到实处，现将2026年度模范机关创建有关问题及整改落实情况"
        "通报如下。"
    )
    expected = [
        IND + "一、基本情况",
        IND + "截至2026年3月10日，评审组在实地考评中发现主要问题3条，涉及2个单位；"
        "问题清单共7项，已销号4项，尚未销号3项，其中逾期2项；"
        "逾期未完成事项2项（问题清单1项、督办事项1项）。",
        IND + "二、发现的主要问题",
        IND + "（一）甲单位",
        IND + "1.理论学习 记录不全（1.1 理论学习）",
        IND + "2.主题党日流于形式",
        IND + "（二）乙单位",
        IND + "1.廉政教育覆盖不全（2.1 廉政教育）",
        IND + "三、整改落实情况",
        IND + "1.甲单位：问题4项，已销号1项，尚未销号3项，其中逾期2项，销号率25%。",
        IND + "2.乙单位：问题3项，已销号3项，尚未销号0项，销号率100%。",
        IND + "四、逾期未完成事项",
        IND + "（一）问题清单",
        IND + "1.甲单位：三会一课记录不全（整改时限2026年3月1日，已逾期9天）",
        IND + "（二）督办事项",
        IND + "1.乙单位：完成支部换届（完成时限2026年3月9日，已逾期1天）",
        IND + "五、下一步工作要求",
    ]
    assert body[2 : 2 + len(expected)] == expected
    assert body[-4:] == ["", "焦作市直机关工委", "2026年3月10日", ""]
    assert "不再另行报送纸质材料" in draft.body  # the requirements do not add paperwork


def test_sections_left_out_are_not_numbered():
    draft = compose_bulletin(committee="工委", today=TODAY, findings=FINDINGS[2:])
    assert draft.title == "关于模范机关创建工作有关问题及整改落实情况的通报"
    headings = [line.strip() for line in lines(draft.body) if line.strip()[1:2] == "、"]
    assert headings == ["一、基本情况", "二、发现的主要问题", "三、下一步工作要求"]
    assert "截至2026年3月10日，评审组在实地考评中发现主要问题1条，涉及1个单位。" in draft.body
    assert "、整改落实情况" not in draft.body and "逾期" not in draft.body.split("三、")[0]


def test_included_but_empty_sections_say_so():
    draft = compose_bulletin(
        committee="工委", today=TODAY, statuses=[], overdue=[], title="自定标题"
    )
    assert draft.title == "自定标题"
    body = draft.body
    assert (
        "截至2026年3月10日，问题清单共0项，已销号0项，尚未销号0项，其中逾期0项；"
        "逾期未完成事项0项（问题清单0项、督办事项0项）。"
    ) in body
    assert IND + "二、整改落实情况\n" + IND + "暂无问题清单项。" in body
    assert IND + "三、逾期未完成事项\n" + IND + "无逾期未完成事项。" in body
    assert "（一）" in body.split("四、下一步工作要求")[1]  # only the requirements' own list


def test_overdue_of_only_ledger_items_is_numbered_from_one():
    draft = compose_bulletin(committee="工委", today=TODAY, overdue=OVERDUE[1:])
    assert IND + "（一）督办事项\n" + IND + "1.乙单位：完成支部换届" in draft.body
    assert "（一）问题清单" not in draft.body


def test_rates_round_half_up():
    draft = compose_bulletin(
        committee="工委",
        today=TODAY,
        statuses=[UnitStatus(1, "丙单位", total=8, closed=1, overdue=0)],  # 12.5%
    )
    assert "丙单位：问题8项，已销号1项，尚未销号7项，销号率13%。" in draft.body


def test_the_monthly_bulletin_text():
    facts = MonthlyFacts(
        visits=[
            VisitFact(1, "甲单位", "announced", date(2026, 3, 3), "值班表未更新"),
            VisitFact(2, "甲单位", "unannounced", date(2026, 3, 12), "上班时间\n脱岗1人"),
            VisitFact(3, "乙单位", "unannounced", date(2026, 3, 31), "未发现问题"),
        ],
        interviews=[
            InterviewFact(4, "乙单位", "乙单位党组书记", date(2026, 3, 20), "督办事项推进缓慢")
        ],
        created=[
            ItemFact(7, "甲单位", "值班制度执行不严", date(2026, 3, 3)),
            ItemFact(8, "甲单位", "工作纪律松弛", date(2026, 3, 12)),
        ],
        closed=[ItemFact(9, "乙单位", "学习记录不全", date(2026, 3, 25))],
        ledger_done=[ItemFact(11, "乙单位", "完成党支部换届", date(2026, 3, 28))],
        overdue=[OverdueFact(12, "problem", "丙单位", "整改方案未报", date(2026, 3, 15))],
    )
    draft = compose_monthly(
        committee="焦作市直机关工委",
        year=2026,
        month=3,
        as_of=date(2026, 3, 31),
        facts=facts,
        dated=date(2026, 4, 2),
    )
    assert draft.title == "关于2026年3月督查情况的通报"
    body = lines(draft.body)
    assert body[1] == (
        IND + "按照“周督查、月通报”工作要求，现将2026年3月（2026年3月1日至2026年3月31日）"
        "机关纪律作风和模范机关创建督查情况通报如下。"
    )
    expected = [
        IND + "一、基本情况",
        IND + "本月共开展明察暗访3次（明察1次、暗访2次），涉及2个单位；开展约谈1次；"
        "新列入问题清单2项，销号1项；督办事项办结1项。"
        "截至2026年3月31日，逾期未完成问题清单1项、逾期未办结督办事项0项。",
        IND + "二、发现的主要问题",
        IND + "（一）明察暗访发现的问题",
        IND + "1.甲单位（2026年3月3日，明察）：值班表未更新",
        IND + "2.甲单位（2026年3月12日，暗访）：上班时间 脱岗1人",
        IND + "3.乙单位（2026年3月31日，暗访）：未发现问题",
        IND + "（二）新列入问题清单的问题",
        IND + "1.甲单位：值班制度执行不严（2026年3月3日列入）",
        IND + "2.甲单位：工作纪律松弛（2026年3月12日列入）",
        IND + "（三）约谈情况",
        IND + "1.乙单位：2026年3月20日约谈乙单位党组书记，指出问题：督办事项推进缓慢",
        IND + "三、整改落实情况",
        IND + "本月问题清单销号1项：",
        IND + "1.乙单位：学习记录不全（2026年3月25日销号）",
        IND + "本月督办事项办结1项：",
        IND + "1.乙单位：完成党支部换届（2026年3月28日办结）",
        IND + "四、逾期未完成事项",
        IND + "（一）问题清单",
        IND + "1.丙单位：整改方案未报（整改时限2026年3月15日，已逾期16天）",
        IND + "五、下一步工作要求",
    ]
    assert body[2 : 2 + len(expected)] == expected
    assert body[-3:-1] == ["焦作市直机关工委", "2026年4月2日"]


def test_a_quiet_month():
    draft = compose_monthly(
        committee="工委",
        year=2026,
        month=2,
        as_of=date(2026, 2, 28),
        facts=MonthlyFacts(),
        dated=date(2026, 3, 1),
        campaign="2026年度模范机关创建",
    )
    body = draft.body
    assert "（2026年2月1日至2026年2月28日）2026年度模范机关创建督查情况" in body
    assert "本月共开展明察暗访0次（明察0次、暗访0次），涉及0个单位；开展约谈0次；" in body
    assert IND + "本月未发现需要通报的问题。" in body
    assert IND + "本月问题清单销号0项。\n" + IND + "本月督办事项办结0项。" in body
    assert IND + "无逾期未完成事项。" in body
