"""What the four official documents say, checked against the data they are built from (issue 6
point 4): the results bulletin lists the units by grade, the naming notice exactly the advanced
units, the rectification notice exactly that unit's items, the summary the counts created."""

# ruff: noqa: F811
from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.exports import registry
from mofan.core.exports.base import Heading, Paragraph, Table
from mofan.evaluations.models import UnitResult, VetoInput, Visit
from mofan.rectification.models import ProblemItem, ProblemState
from mofan.reports.documents.naming_notice import NamingNotice
from mofan.reports.documents.rectification_notice import RectificationNotice
from mofan.reports.documents.results_bulletin import ResultsBulletin
from mofan.reports.documents.work_summary import WorkSummary
from tests.factories import UnitFactory
from tests.reports.doc_fixtures import (
    B_ITEM,
    DOC_DAY,
    NUMBER,
    docs,  # noqa: F401 (a fixture)
    docx_tables,
    open_docx,
    rendered,
)

pytestmark = pytest.mark.django_db


def _texts(doc) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Paragraph | Heading)]


def _tables(doc) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


def test_the_four_documents_are_registered():
    assert registry.get("results_bulletin") is ResultsBulletin
    assert registry.get("naming_notice") is NamingNotice
    assert registry.get("rectification_notice") is RectificationNotice
    assert registry.get("work_summary") is WorkSummary
    assert RectificationNotice.per_unit
    assert not any(c.per_unit for c in (ResultsBulletin, NamingNotice, WorkSummary))
    assert "pdf" in ResultsBulletin.formats and "docx" in ResultsBulletin.formats
    assert WorkSummary.formats == ("docx",)


def test_results_bulletin_lists_the_units_by_grade(docs):
    admin = docs.actor("committee_admin")
    doc = ResultsBulletin(campaign=docs.campaign, actor=admin, today=DOC_DAY).build()
    assert doc.issuer == f"{docs.world.committee.name}文件"
    assert doc.number.startswith("焦直文〔2026〕") and doc.number.endswith("号")
    assert doc.addressee == "各参评单位"
    assert doc.date == DOC_DAY
    texts = _texts(doc)
    assert NUMBER in texts[0]  # the campaign's own document is cited
    assert "本次考评共有4个单位参加，4个单位完成考评" in texts[2]
    assert "“优秀”等次2个" in texts[2] and "“不达标”等次2个" in texts[2]
    excellent = texts.index("“优秀”等次（2个）")
    assert texts[excellent + 1] == "乙单位、丁单位。"
    failing = texts.index("“不达标”等次（2个）")
    assert texts[failing + 1] == "甲单位、丙单位。"
    veto = texts[texts.index("一票否决情况") + 1]
    assert "丙单位" in veto and "不得评为“优秀”等次和先进单位" in veto
    assert "违纪" not in "".join(texts)  # the opinion behind the veto is never printed
    advanced = texts[texts.index("先进单位") + 1]
    assert "乙单位、丁单位共2个单位" in advanced and "50%" in advanced
    assert any("在60天内完成整改" in t and "甲单位、丙单位" in t for t in texts)
    # No scores or ranks while the ranking is not published.
    assert _tables(doc) == []
    assert "27" not in "".join(texts) and "名次" not in "".join(texts)


def test_results_bulletin_shows_the_ranking_once_it_is_published(docs):
    Campaign.objects.filter(pk=docs.campaign.pk).update(ranking_published=True)
    doc = ResultsBulletin(
        campaign=docs.campaign, actor=docs.actor("committee_admin"), today=DOC_DAY
    ).build()
    (table,) = _tables(doc)
    assert [c.header for c in table.columns] == ["名次", "单位", "综合得分", "等次"]
    expected = [
        (r.rank, r.enrollment.unit.name, r.composite, r.grade)
        for r in UnitResult.objects.filter(enrollment__campaign=docs.campaign)
        .select_related("enrollment__unit")
        .order_by("rank")
    ]
    assert [tuple(row) for row in table.rows] == expected
    assert [row[1] for row in table.rows][:2] == ["丁单位", "乙单位"]


def test_naming_notice_names_exactly_the_advanced_units(docs):
    admin = docs.actor("committee_admin")
    export = NamingNotice(campaign=docs.campaign, actor=admin, today=DOC_DAY)
    doc = export.build()
    advanced = list(
        UnitResult.objects.filter(enrollment__campaign=docs.campaign, advanced=True)
        .order_by("enrollment__unit__sort_order")
        .values_list("enrollment__unit__name", flat=True)
    )
    assert advanced == ["乙单位", "丁单位"]
    (table,) = _tables(doc)
    assert [row[1] for row in table.rows] == advanced
    assert [row[0] for row in table.rows] == [1, 2]
    assert table.caption == "2024年度创建模范机关先进单位名单（共2个）"
    decision = _texts(doc)[0]
    assert "决定命名乙单位等2个单位为“2024年度创建模范机关先进单位”" in decision
    assert NUMBER in decision
    # the campaign's cadence, as every page labels it (issue 14 point 2)
    assert f"按照{docs.campaign.cadence_label}的安排" in decision
    Campaign.objects.filter(pk=docs.campaign.pk).update(cadence="continuous")
    docs.campaign.refresh_from_db()
    again = NamingNotice(campaign=docs.campaign, actor=admin, today=DOC_DAY).build()
    assert "按照常态化开展的安排" in _texts(again)[0]
    bulletin = ResultsBulletin(campaign=docs.campaign, actor=admin, today=DOC_DAY).build()
    assert "按照常态化开展的安排" in _texts(bulletin)[0]
    assert doc.title == "关于命名2024年度创建模范机关先进单位的通知"
    # The same list in the Word file.
    document = open_docx(rendered(export, "docx"))
    (word_table,) = docx_tables(document)
    assert word_table[0] == ["序号", "单位名称"]
    assert [row[1] for row in word_table[1:]] == advanced


def test_no_document_says_departments_were_consulted_unless_their_opinions_were_recorded(docs):
    """Issue 14, point 9: 纪检监察、巡察、审计 are named as consulted only when veto inputs were
    recorded for the campaign, and only those recorded."""
    admin = docs.actor("committee_admin")

    def openings() -> str:
        bulletin = ResultsBulletin(campaign=docs.campaign, actor=admin, today=DOC_DAY).build()
        notice = NamingNotice(campaign=docs.campaign, actor=admin, today=DOC_DAY).build()
        return _texts(bulletin)[0] + _texts(notice)[0]

    inputs = VetoInput.objects.filter(enrollment__campaign=docs.campaign)
    assert set(inputs.values_list("source", flat=True)) == {"discipline"}
    assert "征求纪检监察部门意见" in openings()
    assert "巡察" not in openings() and "审计" not in openings()
    inputs.delete()
    text = openings()
    assert "征求" not in text and "纪检" not in text
    assert "经单位自评、评审组实地考评和我委综合审定，" in text


def test_naming_notice_without_advanced_units_is_refused(docs):
    UnitResult.objects.filter(enrollment__campaign=docs.campaign).update(advanced=False)
    export = NamingNotice(campaign=docs.campaign, actor=docs.actor("committee_admin"))
    with pytest.raises(ValidationError):
        export.check()


def test_rectification_notice_lists_exactly_that_units_items(docs):
    unit = docs.unit("A")
    export = RectificationNotice(
        campaign=docs.campaign, actor=docs.actor("owner"), unit=unit, today=DOC_DAY
    )
    doc = export.build()
    assert doc.addressee == "甲单位"
    items = ProblemItem.objects.filter(unit=unit).order_by("deadline", "pk")
    unclosed = [i for i in items if i.state != ProblemState.CLOSED]
    closed = [i for i in items if i.state == ProblemState.CLOSED]
    assert (len(unclosed), len(closed)) == (3, 1)
    open_table, closed_table = _tables(doc)
    assert [row[1] for row in open_table.rows] == [i.description for i in unclosed]
    assert [row[4] for row in open_table.rows] == [i.deadline for i in unclosed]
    assert [row[5] for row in open_table.rows] == [i.get_state_display() for i in unclosed]
    assert [row[1] for row in closed_table.rows] == [i.description for i in closed]
    text = "".join(_texts(doc))
    assert "你单位考评等次为“不达标”" in text
    assert "共有4项问题列入问题清单，其中需要整改3项、已整改销号1项" in text
    assert "最近一项问题的整改时限为2026年5月1日" in text
    assert "已有3项问题超过整改时限" in text
    everything = text + repr([t.rows for t in _tables(doc)])
    assert B_ITEM not in everything
    # In Word: the rows are the unit's items, nothing else.
    document = open_docx(rendered(export, "docx"))
    word_open, word_closed = docx_tables(document)
    assert [row[1] for row in word_open[1:]] == [i.description for i in unclosed]
    assert word_open[1][4] == "2026年5月1日"
    assert [row[1] for row in word_closed[1:]] == [i.description for i in closed]
    assert B_ITEM not in "".join(p.text for p in document.paragraphs)


def test_rectification_notice_only_for_a_unit_with_open_items(docs):
    """No 整改通知书 to a unit with nothing to rectify: none on its list (丁), or all closed."""
    admin = docs.actor("committee_admin")
    nothing = RectificationNotice(campaign=docs.campaign, actor=admin, unit=docs.unit("D"))
    with pytest.raises(ValidationError, match="没有需要整改的问题"):
        nothing.check()
    with pytest.raises(ValidationError, match="没有需要整改的问题"):
        nothing.build()
    unit = docs.unit("A")
    ProblemItem.objects.filter(unit=unit).update(state=ProblemState.CLOSED)
    with pytest.raises(ValidationError, match="没有需要整改的问题"):
        RectificationNotice(campaign=docs.campaign, actor=admin, unit=unit).check()


def test_rectification_notice_has_no_zero_lines(docs):
    unit = docs.unit("A")
    ProblemItem.objects.filter(unit=unit, state=ProblemState.CLOSED).delete()
    doc = RectificationNotice(
        campaign=docs.campaign, actor=docs.actor("committee_admin"), unit=unit, today=DOC_DAY
    ).build()
    text = "".join(_texts(doc))
    assert "共有3项问题列入问题清单，均需整改" in text
    assert "0项" not in text and "已整改销号的问题" not in text


def test_rectification_notice_names_no_grade_before_publication(docs):
    Campaign.objects.filter(pk=docs.campaign.pk).update(results_published=False)
    doc = RectificationNotice(
        campaign=docs.campaign, actor=docs.actor("committee_admin"), unit=docs.unit("A")
    ).build()
    assert "等次" not in "".join(_texts(doc))


def test_work_summary_figures_equal_the_counts_created(docs):
    export = WorkSummary(
        campaign=docs.campaign, actor=docs.actor("committee_leader"), today=DOC_DAY
    )
    facts = export.facts()
    campaign = docs.campaign
    items = ProblemItem.objects.filter(campaign=campaign)
    assert facts.enrolled == Enrollment.objects.filter(campaign=campaign).count() == 4
    assert facts.submitted == 4 and facts.not_started == 0
    assert (facts.groups, facts.reviewers, facts.assigned, facts.visits) == (2, 3, 4, 2)
    assert (facts.findings, facts.problem_findings) == (4, 3)
    assert facts.approved == 4
    assert facts.grades == {"优秀": 2, "不达标": 2}
    assert (facts.vetoed, facts.advanced, facts.failing) == (1, 2, 2)
    assert facts.items == items.count() == 9  # B's reviewer-listed problem too (issue 14)
    assert facts.closed == items.filter(state=ProblemState.CLOSED).count() == 1
    assert facts.items_by_state[ProblemState.IN_PROGRESS] == 1
    assert facts.items_by_state[ProblemState.OPEN] == 7
    assert facts.overdue == 7  # the open items from the approval were due 2026-05-01
    assert facts.units_with_items == 3
    assert facts.rereviews == 1  # A waits for its re-review; vetoed C gets none
    assert (facts.draws, facts.drawn_units, facts.spot_visits) == (1, 2, 1)
    assert (facts.bulletins, facts.monthly_bulletins) == (1, 1)  # the draft is not counted
    assert (facts.ledger, facts.ledger_done, facts.interviews) == (2, 1, 1)
    assert (facts.leaves, facts.self_scores) == (3, 6)

    doc = export.build()
    assert doc.issuer == "" and doc.number == ""
    assert doc.title == "2024年度模范机关创建工作总结"
    text = "\n".join(_texts(doc))
    for sentence in (
        "我委组织4个单位开展2024年度模范机关创建",
        "4个单位完成自评并提交，占参评单位的100%",
        "自评指标填报完成率为50%",
        "抽调3名评审人员组成2个评审组，对4个单位进行实地考评，开展实地考评2次",
        "评审组记录发现的问题和亮点4条，其中列为问题3条",
        "“优秀”等次2个",
        "“不达标”等次2个",
        "1个单位实行一票否决",
        "2个单位评为先进单位",
        "3个单位共列入问题清单9项。其中，已整改销号1项，整改中1项，待报整改措施7项",
        "整改销号率11.1%",
        "截至2026年5月20日，逾期未完成7项",
        "1个单位进入复核",
        "开展“双随机”抽查1次，抽取单位2个次，完成检查1次",
        "发布通报1期（其中月度通报1期）",
        "挂账督办事项2项、已办结1项",
        "约谈1次",
    ):
        assert sentence in text, sentence
    assert not any(isinstance(b, Table) for b in doc.blocks)  # plain paragraphs to edit
    assert "请结合实际补充" not in text  # no placeholder in a document that may be sent


def test_work_summary_has_no_zero_lines(docs):
    """A grade no unit got (良好, 达标 of the default bands) and visits never recorded are left
    out, not counted as 0."""
    campaign = docs.campaign
    Visit.objects.filter(assignment__group__campaign=campaign).delete()
    export = WorkSummary(campaign=campaign, actor=docs.actor("committee_leader"), today=DOC_DAY)
    text = "\n".join(_texts(export.build()))
    assert "0次" not in text and "0个" not in text, text
    assert "“优秀”等次2个" in text and "“良好”" not in text
    assert "对4个单位进行实地考评。" in text


def test_documents_read_a_fixed_number_of_queries(docs):
    """Building a document costs the same queries for 4 units as for 14."""
    admin = docs.actor("committee_admin")

    def count() -> list[int]:
        numbers = []
        for cls in (ResultsBulletin, NamingNotice, WorkSummary):
            export = cls(campaign=docs.campaign, actor=admin, today=DOC_DAY)
            with CaptureQueriesContext(connection) as queries:
                export.build()
            numbers.append(len(queries))
        return numbers

    before = count()
    for n in range(10):
        unit = UnitFactory(committee=docs.world.committee, name=f"新单位{n}")
        enrollment = Enrollment.objects.create(
            campaign=docs.campaign, unit=unit, state=EnrollmentState.APPROVED
        )
        UnitResult.objects.create(
            enrollment=enrollment,
            campaign_id=enrollment.campaign_id,
            grade="达标",
            composite=20,
            rank=5 + n,
            frozen=True,
        )
    assert count() == before


def test_document_dates_default_to_today(docs):
    export = ResultsBulletin(campaign=docs.campaign, actor=docs.actor("committee_admin"))
    assert isinstance(export.today, datetime.date)
    assert export.build().date == export.today
