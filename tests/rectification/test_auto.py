"""Automatic problem lists (issue 5 point 2): made by the approval, from a unit's problem
findings (any approved unit, issue 14) and a failing unit's leaves below their pass mark
(issue 14 point 7); a vetoed unit
gets items but no re-review; re-approval adds nothing twice; the campaign form sets the rules."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from mofan.audit.models import AuditEntry
from mofan.campaigns.models import Campaign
from mofan.evaluations import approval
from mofan.evaluations.models import ConsolidatedScore, Finding, UnitResult
from mofan.indicators.models import IndicatorVersion
from mofan.notifications.models import Notice
from mofan.rectification.leaves import LeafMark, leaf_ratio, lowest_leaves
from mofan.rectification.models import ProblemItem, ReReview, ReReviewState
from tests.evaluations.campaign_fixtures import world
from tests.rectification.rereview_fixtures import TODAY, approve, finish_review

__all__ = ["world"]

pytestmark = pytest.mark.django_db


def items_of(enrollment):
    return list(
        ProblemItem.objects.filter(unit_id=enrollment.unit_id).select_related("node").order_by("pk")
    )


def test_a_failing_unit_gets_its_findings_and_lowest_leaves_and_a_passing_unit_its_findings(
    world,
):
    finish_review(world)
    approve(world)
    result_a = UnitResult.objects.get(enrollment=world.ea)
    assert (result_a.composite, result_a.grade) == (Decimal("17.00"), "不达标")
    assert UnitResult.objects.get(enrollment=world.eb).grade == "优秀"

    items = items_of(world.ea)
    problem_findings = list(
        Finding.objects.filter(assignment=world.assignment_a, is_problem=True).order_by("pk")
    )
    assert [(i.origin_type, i.origin_id, i.node.code if i.node else None) for i in items] == [
        ("evaluations.finding", problem_findings[0].pk, "2.1"),
        ("evaluations.finding", problem_findings[1].pk, None),
        ("evaluations.unitresult", result_a.pk, "1.1"),
        ("evaluations.unitresult", result_a.pk, "1.2"),
    ]
    assert {i.source for i in items} == {"result"}
    assert {i.deadline for i in items} == {TODAY + datetime.timedelta(days=60)}
    assert {i.campaign_id for i in items} == {world.campaign.pk}
    assert all(i.created_by is None for i in items)
    assert "台账不全" in items[0].description and "学习记录缺失" in items[1].description
    assert "1.1" in items[2].description and "2" in items[2].description
    # the list is made at approval, before publication: neither the items nor the notices
    # tell the unit its grade (the results are told when published)
    assert not world.campaign.results_published
    told = Notice.objects.filter(recipient=world.user("owner"), kind="problem.new")
    for text in [i.description for i in items] + [f"{n.title}{n.body}" for n in told]:
        assert "不达标" not in text and "等次" not in text
    # the passing unit: the problem a reviewer listed, and nothing else (issue 14)
    (b_item,) = items_of(world.eb)
    assert b_item.origin_type == "evaluations.finding" and "乙的小问题" in b_item.description
    # the unit was told, and the system's writes are audited
    liaison = world.user("owner")
    assert Notice.objects.filter(recipient=liaison, kind="problem.new").count() == 4
    assert (
        AuditEntry.objects.filter(action="problem.create", actor_name="system").count()
        == ProblemItem.objects.count()
    )
    # the waiting re-review: the items' nodes, the original result kept as `before`
    rereview = ReReview.objects.get(enrollment=world.ea)
    assert rereview.state == ReReviewState.WAITING
    codes = {world.node(c).pk: c for c in ("1.1", "1.2", "2.1")}
    assert sorted(codes[n] for n in rereview.node_ids) == ["1.1", "1.2", "2.1"]
    assert rereview.before["composite"] == "17.00"
    assert rereview.before["review_total"] == "17.00"
    assert rereview.before["grade"] == "不达标"
    assert rereview.before["type_scores"] == result_a.type_scores
    assert rereview.before["nodes"] == {
        str(world.node("1.1").pk): "2.00",
        str(world.node("1.2").pk): "5.00",
        str(world.node("2.1").pk): "10.00",
    }
    assert not ReReview.objects.filter(enrollment=world.eb).exists()
    entry = AuditEntry.objects.get(action="approval.campaign")
    assert entry.data["extra"]["problems"] == ProblemItem.objects.count()


def test_every_leaf_below_the_pass_mark_is_listed_whatever_rectify_lowest_says(world):
    finish_review(world)
    Campaign.objects.filter(pk=world.campaign.pk).update(rectify_lowest=1, rectify_days=30)
    approve(world)
    listed = [i for i in items_of(world.ea) if i.origin_type == "evaluations.unitresult"]
    # 1.1 = 2/10 and 1.2 = 5/10 are below the 达标 line (0.6); 2.1 = 10/10 is not
    assert [i.node.code for i in listed] == ["1.1", "1.2"]
    assert {i.deadline for i in listed} == {TODAY + datetime.timedelta(days=30)}
    assert "未达到合格线" in listed[0].description


def test_the_pass_mark_follows_the_campaigns_pass_line(world):
    finish_review(world)
    bands = [
        {"label": "优秀", "min_ratio": 0.9},
        {"label": "良好", "min_ratio": 0.8},
        {"label": "达标", "min_ratio": 0.4},
        {"label": "不达标", "min_ratio": 0},
    ]
    Campaign.objects.filter(pk=world.campaign.pk).update(
        grade_bands=bands, rectify_grades=["不达标", "达标"]
    )
    approve(world)
    listed = [i for i in items_of(world.ea) if i.origin_type == "evaluations.unitresult"]
    assert [i.node.code for i in listed] == ["1.1"]  # 1.2 = 0.5 is above a 0.4 line


def test_a_vetoed_failing_unit_gets_items_but_no_rereview(world):
    finish_review(world)
    approve(world)
    result_c = UnitResult.objects.get(enrollment=world.ec)
    assert result_c.veto and result_c.grade == "不达标"
    # ties (5, 5, 5) go in tree order
    assert [i.node.code for i in items_of(world.ec)] == ["1.1", "1.2", "2.1"]
    assert not ReReview.objects.filter(enrollment=world.ec).exists()


def test_rectify_grades_chooses_the_failing_grades(world):
    finish_review(world)
    Campaign.objects.filter(pk=world.campaign.pk).update(rectify_grades=["优秀"])
    approve(world)
    # A now passes: only its reviewers' problems; C passes and has none. B "fails" with every
    # leaf at 0.9, none below its pass mark: its lowest leaves (rectify_lowest) stand in.
    assert [i.origin_type for i in items_of(world.ea)] == ["evaluations.finding"] * 2
    assert items_of(world.ec) == []
    items = items_of(world.eb)
    assert [(i.origin_type, i.node.code) for i in items] == [
        ("evaluations.finding", "1.1"),
        ("evaluations.unitresult", "1.1"),
        ("evaluations.unitresult", "1.2"),
        ("evaluations.unitresult", "2.1"),
    ]


def test_reopening_and_reapproving_adds_nothing_twice(world):
    finish_review(world)
    approve(world)
    before = sorted(ProblemItem.objects.values_list("origin_type", "origin_id", "node_id"))
    admin = world.actor("committee_admin")
    approval.result_reopen(enrollment=world.ea, reason="核对分数", actor=admin)
    approval.result_reopen(enrollment=world.ec, reason="核对分数", actor=admin)
    approve(world)
    assert sorted(ProblemItem.objects.values_list("origin_type", "origin_id", "node_id")) == before
    assert ReReview.objects.filter(enrollment=world.ea).count() == 1
    # a changed score makes a new lowest leaf: only that one is added
    approval.result_reopen(enrollment=world.ea, reason="2.1 分数有误", actor=admin)
    ConsolidatedScore.objects.filter(enrollment=world.ea, node=world.node("2.1")).update(
        score=Decimal(1)
    )
    approve(world)
    added = set(ProblemItem.objects.values_list("origin_type", "origin_id", "node_id")) - set(
        before
    )
    result_a = UnitResult.objects.get(enrollment=world.ea)
    assert added == {("evaluations.unitresult", result_a.pk, world.node("2.1").pk)}
    assert ReReview.objects.filter(enrollment=world.ea).count() == 1


# --- the pure part ------------------------------------------------------------------------------


def test_leaf_ratio_per_method():
    manual = {"type": "manual"}
    assert leaf_ratio(manual, Decimal(10), Decimal(4), None) == Decimal("0.4")
    assert leaf_ratio(manual, Decimal(10), None, None) is None
    assert leaf_ratio(manual, None, Decimal(4), None) is None
    qualitative = {"type": "qualitative"}
    assert leaf_ratio(qualitative, None, None, "达标") == 1
    assert leaf_ratio(qualitative, None, None, "基本达标") == Decimal("0.5")
    assert leaf_ratio(qualitative, None, None, "未达标") == 0
    assert leaf_ratio(qualitative, None, None, "") is None
    assert leaf_ratio({"type": "veto"}, None, None, None) is None
    assert leaf_ratio({"type": "bonus", "cap": 2}, None, Decimal(1), None) is None


def test_lowest_leaves_skips_full_marks_and_breaks_ties_in_tree_order():
    marks = [
        LeafMark(10, 0, Decimal("0.5")),
        LeafMark(11, 1, Decimal(1)),
        LeafMark(12, 2, None),
        LeafMark(13, 3, Decimal("0.5")),
        LeafMark(14, 4, Decimal("0.1")),
    ]
    assert [m.node_id for m in lowest_leaves(marks, 5)] == [14, 10, 13]
    assert [m.node_id for m in lowest_leaves(marks, 2)] == [14, 10]
    assert lowest_leaves(marks, 0) == []


ratios = st.one_of(st.none(), st.decimals(min_value=0, max_value=1, places=2, allow_nan=False))


@given(st.lists(ratios, max_size=30), st.integers(min_value=0, max_value=10), st.randoms())
def test_lowest_leaves_properties(values, count, rnd):
    marks = [LeafMark(node_id=100 + i, position=i, ratio=r) for i, r in enumerate(values)]
    chosen = lowest_leaves(marks, count)
    below = [m for m in marks if m.ratio is not None and m.ratio < 1]
    # as many as asked for, when there are enough below full marks
    assert len(chosen) == min(count, len(below))
    assert all(m.ratio is not None and m.ratio < 1 for m in chosen)
    # lowest first, and nothing left out is lower than something chosen
    keys = [(m.ratio, m.position) for m in chosen]
    assert keys == sorted(keys)
    if chosen:
        worst = max(keys)
        assert all((m.ratio, m.position) > worst for m in below if m not in chosen)
    # the order of the input does not matter
    shuffled = list(marks)
    rnd.shuffle(shuffled)
    assert lowest_leaves(shuffled, count) == chosen


# --- the campaign form ----------------------------------------------------------------------


def test_campaign_form_sets_the_rectification_rules(login, committee, unit_a, committee_admin):
    call_command("load_templates")
    version = IndicatorVersion.objects.get(system__slug="bureau-2022", system__committee=None)
    client = login(committee_admin)
    form = {
        "name": "2027年度",
        "year": 2027,
        "version": version.pk,
        "all_units": "on",
        "honours_quota": "0.2",
        "weight_self": "0",
        "weight_review": "1",
    }
    page = client.get("/campaigns/new/").content.decode()
    assert "自动整改的等次" in page and "整改期限（天）" in page
    bad = client.post("/campaigns/new/", {**form, "rectify_days": "0"})
    assert bad.status_code == 200 and not Campaign.objects.exists()
    response = client.post(
        "/campaigns/new/",
        {**form, "rectify_below": "达标", "rectify_lowest": "3", "rectify_days": "30"},
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="2027年度")
    assert campaign.rectify_grades == ["达标", "不达标"]
    assert (campaign.rectify_lowest, campaign.rectify_days) == (3, 30)
    entry = AuditEntry.objects.get(action="campaign.create")
    assert entry.data["after"]["rectify_grades"] == ["达标", "不达标"]
    # left out: the defaults; "none": no automatic lists
    client.post("/campaigns/new/", {**form, "name": "默认"})
    default = Campaign.objects.get(name="默认")
    assert (default.rectify_grades, default.rectify_lowest, default.rectify_days) == (
        ["不达标"],
        5,
        60,
    )
    client.post("/campaigns/new/", {**form, "name": "不整改", "rectify_below": "none"})
    assert Campaign.objects.get(name="不整改").rectify_grades == []


@pytest.mark.parametrize(
    ("typed", "listed"),
    [
        ("台账不全", "评审发现：台账不全"),
        ("实地考评发现：台账不全", "评审发现：台账不全"),
        ("评审发现：台账不全", "评审发现：台账不全"),
        ("发现问题：台账不全", "评审发现：台账不全"),
        ("  检查发现: 台账不全", "评审发现：台账不全"),
        ("发现台账不全", "评审发现：发现台账不全"),
    ],
)
def test_a_finding_is_labelled_once(typed, listed):
    from mofan.rectification.auto import finding_description

    assert finding_description(typed) == listed


def test_a_leaf_title_keeps_no_closing_punctuation_before_the_colon():
    from types import SimpleNamespace

    from mofan.rectification.leaves import leaf_text

    node = SimpleNamespace(code="1.1", title="坚决做到“两个维护”；", points=Decimal(10))
    text = leaf_text(node, SimpleNamespace(score=Decimal(4), level=None))
    assert text == "1.1 坚决做到“两个维护”：得分 4 分（满分 10 分）。"
    level = leaf_text(node, SimpleNamespace(score=None, level="差"))
    assert level == "1.1 坚决做到“两个维护”：评价为“差”。"
