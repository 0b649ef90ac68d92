"""Ranking only what was decided (issue 14, point 1): a unit is scored, graded, ranked and
eligible for 先进 only once it has a consolidated review score. Before that its self score never
stands in as its composite, even when the campaign weights the self score, and the approval page
and the ranking export list it apart with its state."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.roles import Role
from mofan.campaigns import administration
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.exports.base import Heading, Paragraph, Table
from mofan.evaluations import approval
from mofan.evaluations.approval_rounds import approval_close, approval_prepare, approval_sign
from mofan.evaluations.figures import unit as figures_unit
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.models import SelfScore, UnitResult, UnitTotals
from mofan.reports import dashboard as dash
from mofan.reports.documents.naming_notice import NamingNotice
from mofan.reports.documents.results_bulletin import ResultsBulletin
from mofan.reports.exporters.ranking import RankingExporter
from tests.evaluations import reference
from tests.evaluations.aggregates_data import synthetic_campaign
from tests.factories import make_user
from tests.reports.table_fixtures import xlsx_rows
from tests.world import PASSWORD, logged_in

pytestmark = pytest.mark.django_db

S = EnrollmentState
DECIDED = (S.REVIEWED, S.APPROVED)
UNDECIDED_LABELS = {str(state.label) for state in S if state not in DECIDED}


def _campaign() -> Campaign:
    """Units in every state; the self score weighs as much as the review score, and every
    submitted unit gave itself full marks — the case where an unreviewed unit used to come
    first and get ★先进. Two units withdrew (已退出) before they submitted, one of them with
    its self scores entered, through the administration service."""
    campaign = synthetic_campaign(20, seed=21, code="rr")
    campaign.composite_weights = {"self": "1", "review": "1"}
    campaign.save(update_fields=["composite_weights"])
    for score in SelfScore.objects.filter(enrollment__campaign=campaign).select_related("node"):
        score.score = score.node.points
        score.save(update_fields=["score"])
    admin = actor_for(make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee))
    for state in (S.NOT_STARTED, S.IN_PROGRESS):
        leaving = Enrollment.objects.filter(campaign=campaign, state=state).order_by("pk").last()
        administration.enrollment_withdraw(enrollment=leaving, reason="机构撤并", actor=admin)
    campaign_recompute(campaign=campaign)
    return campaign


def _withdrawn(campaign: Campaign) -> set[str]:
    return set(
        Enrollment.objects.filter(campaign=campaign, state=S.WITHDRAWN).values_list(
            "unit__name", flat=True
        )
    )


def test_only_reviewed_units_have_a_composite_a_grade_a_rank_or_an_honour():
    campaign = _campaign()
    totals = list(UnitTotals.objects.filter(campaign=campaign).select_related("enrollment"))
    undecided = [t for t in totals if t.enrollment.state not in DECIDED]
    decided = [t for t in totals if t.enrollment.state in DECIDED]
    assert undecided and decided
    assert any(t.self_total for t in undecided)  # they did score themselves
    for t in undecided:
        assert (t.composite, t.grade, t.rank, t.advanced) == (None, "", None, False)
    assert all(t.composite is not None and t.rank is not None for t in decided)
    assert sorted(t.rank for t in decided)[0] == 1
    withdrawn = [t for t in totals if t.enrollment.state == S.WITHDRAWN]
    assert len(withdrawn) == 2 and any(t.self_total for t in withdrawn)  # kept, never scored
    # The quota's base is the 18 units taking part, not the 20 enrolled.
    assert figures_unit._candidates(campaign)[1] == 18
    # The test oracle (the roll-up per unit, the results code over the field) agrees.
    rows, _top = reference.campaign_rows(campaign)
    by_pk = {t.enrollment_id: t for t in totals}
    for row in rows:
        assert row.result is not None
        stored = by_pk[row.enrollment.pk]
        assert (row.result.score, row.result.grade, row.result.rank, row.result.advanced) == (
            stored.composite,
            stored.grade,
            stored.rank,
            stored.advanced,
        )


def test_the_approval_page_lists_undecided_units_apart_with_their_state():
    campaign = _campaign()
    client = logged_in(make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee))
    html = client.get(f"/reviews/campaigns/{campaign.pk}/approval/").content.decode()
    ranked_part, pending_part = html.split('id="pending"', 1)
    ranked = re.findall(r'<tr data-unit="([^"]+)">', ranked_part)
    pending = re.findall(r'<tr data-pending="([^"]+)"[^>]*>(.*?)</tr>', pending_part, re.S)
    states = dict(
        UnitTotals.objects.filter(campaign=campaign).values_list(
            "enrollment__unit__name", "enrollment__state"
        )
    )
    assert ranked and all(states[name] in DECIDED for name in ranked)
    assert {name for name, _row in pending} == {n for n, s in states.items() if s not in DECIDED}
    for name, row in pending:
        assert str(S(states[name]).label) in row
        assert "★" not in row
    assert "不计分、不排名" in html
    # the withdrawn units among them, with their state and reason, listed last
    names = [name for name, _row in pending]
    assert set(names[-2:]) == _withdrawn(campaign)
    assert all("已退出" in row and "机构撤并" in row for _n, row in pending[-2:])
    assert "另有 2 个单位已退出" in html and "纳入 18 个单位" in html


def test_the_ranking_export_ranks_the_reviewed_and_lists_the_rest_last_with_their_state():
    campaign = _campaign()
    admin = actor_for(make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee))
    table = xlsx_rows(RankingExporter(campaign=campaign, actor=admin))
    # by header: a column empty in every row (here 一票否决, 先进单位) is left out of the file
    rows = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    states = [row["审定状态"] for row in rows]
    ranked = [row for row in rows if row["审定状态"] == "未审定（测算）"]
    rest = [row for row in rows if row["审定状态"] in UNDECIDED_LABELS]
    assert len(ranked) + len(rest) == len(rows) == 20
    assert states == sorted(states, key=lambda s: s in UNDECIDED_LABELS)  # the rest come last
    assert [row["名次"] for row in ranked] == sorted(row["名次"] for row in ranked)
    assert ranked[0]["名次"] == 1
    for row in rest:
        assert row["名次"] is None  # no rank
        assert (row["综合得分"], row["等次"]) == (None, None)
        assert (row.get("一票否决"), row.get("先进单位")) == (None, None)
    assert any(row["自评合计"] for row in rest)  # their self totals still show
    # the withdrawn units come last of all, with their state and no rank
    assert {row["单位"] for row in rows[-2:]} == _withdrawn(campaign)
    assert all(row["审定状态"] == "已退出" and row["名次"] is None for row in rows[-2:])


def test_after_a_round_and_the_close_every_output_holds_only_the_decided_units():
    """The reviewed units approved in a round (admin prepares, leader signs), the rest closed as
    未完成: the dashboard, the results bulletin and the ranking export show the approved units
    only, ranked among themselves; the others are named nowhere as graded."""
    campaign = _campaign()
    Enrollment.objects.filter(campaign=campaign, state=S.APPROVED).update(state=S.REVIEWED)
    # 优秀 from 60 %, so that the approved units include 先进 for the naming notice
    campaign.grade_bands = [
        {"label": "优秀", "min_ratio": 0.6},
        {"label": "不达标", "min_ratio": 0},
    ]
    campaign.save(update_fields=["grade_bands"])
    campaign_recompute(campaign=campaign)
    admin = actor_for(make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee))
    leader = actor_for(make_user(Role.COMMITTEE_LEADER, committee=campaign.committee))
    approval_sign(
        batch=approval_prepare(campaign=campaign, actor=admin), actor=leader, password=PASSWORD
    )
    approval_close(campaign=campaign, reason="其余单位未完成评审", actor=admin)
    approval.campaign_publish(campaign=campaign, actor=admin, ranking=True)
    campaign.refresh_from_db()
    approved = set(
        Enrollment.objects.filter(campaign=campaign, state=S.APPROVED).values_list(
            "unit__name", flat=True
        )
    )
    others = set(
        Enrollment.objects.filter(campaign=campaign, state=S.INCOMPLETE).values_list(
            "unit__name", flat=True
        )
    )
    assert approved and others and not approved & others
    # neither the close nor the publication waited for the withdrawn units, nor changed them
    withdrawn = _withdrawn(campaign)
    assert len(withdrawn) == 2 and not withdrawn & (approved | others)
    assert not UnitResult.objects.filter(enrollment__state=S.WITHDRAWN).exists()
    # the dashboard
    figures = dash.campaign_figures(campaign, admin, today=timezone.localdate())
    assert figures.results == len(approved)
    # a withdrawn unit did not take part: its own state, not a participant
    assert figures.enrolled == 18 and figures.withdrawn == 2
    assert {c.key: c.count for c in figures.progress}[S.WITHDRAWN] == 2
    # the results bulletin: its ranking table and its grade lists
    doc = ResultsBulletin(campaign=campaign, actor=admin, today=timezone.localdate()).build()
    text = "".join(b.text for b in doc.blocks if isinstance(b, Paragraph | Heading))
    assert f"共有18个单位参加，{len(approved)}个单位完成考评" in text
    (table,) = [b for b in doc.blocks if isinstance(b, Table)]
    assert {row[1] for row in table.rows} == approved
    assert sorted(row[0] for row in table.rows) == list(range(1, len(approved) + 1))
    assert not any(name in text for name in others)
    # the ranking export: approved first, ranked 1…n, the rest 未完成 without rank
    rows = xlsx_rows(RankingExporter(campaign=campaign, actor=admin))[1:]
    ranked = [row for row in rows if row[-1] == "已审定"]
    assert {row[1] for row in ranked} == approved
    assert sorted(row[0] for row in ranked) == list(range(1, len(approved) + 1))
    assert {row[1] for row in rows if row[-1] == "未完成"} == others
    assert all(row[0] is None for row in rows if row[-1] == "未完成")
    assert [row[1] for row in rows if row[-1] == "已退出"] == [row[1] for row in rows[-2:]]
    assert {row[1] for row in rows[-2:]} == withdrawn
    assert all(row[0] is None and not row[-2] for row in rows[-2:])  # no rank, no 先进
    # the naming notice: exactly the approved results marked 先进, none of the others
    advanced = set(
        UnitResult.objects.filter(enrollment__campaign=campaign, advanced=True).values_list(
            "enrollment__unit__name", flat=True
        )
    )
    assert advanced and advanced <= approved
    notice = NamingNotice(campaign=campaign, actor=admin, today=timezone.localdate()).build()
    (named,) = [b for b in notice.blocks if isinstance(b, Table)]
    assert {row[1] for row in named.rows} == advanced
    notice_text = "".join(b.text for b in notice.blocks if isinstance(b, Paragraph | Heading))
    assert not any(name in notice_text for name in others | withdrawn)
