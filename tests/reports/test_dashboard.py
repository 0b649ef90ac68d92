"""The committee's campaign dashboard (issue 6, part 1): exact aggregates from known data, the
JSON the charts are drawn from, who may open it, and the unit table's sorting and paging.

The data is `dashboard_fixtures.build_dash` (read its docstring for the numbers)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from mofan.evaluations.figures.summary import campaign_top, computed_tally
from mofan.evaluations.models import ResultSummary
from mofan.reports import dashboard as dash
from mofan.reports import dashboard_table as table
from tests.reports.dashboard_fixtures import Dash, build_dash
from tests.world import logged_in

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def d() -> Dash:
    return build_dash()


def _page(d: Dash) -> str:
    return reverse("reports:dashboard", args=[d.campaign.pk])


def _data(d: Dash) -> str:
    return reverse("reports:dashboard_data", args=[d.campaign.pk])


def _figures(d: Dash, who: str = "committee_admin") -> dash.Figures:
    campaign = dash.dashboard_campaigns(d.actor(who)).get(pk=d.campaign.pk)
    return dash.campaign_figures(campaign, d.actor(who), today=d.today)


# --- aggregates -------------------------------------------------------------------------------


def test_progress_counts_every_state_in_workflow_order(d):
    figures = _figures(d)
    assert [(c.key, c.count) for c in figures.progress] == [
        ("not_started", 1),
        ("in_progress", 1),
        ("submitted", 1),
        ("returned", 0),
        ("reviewed", 0),
        ("approved", 2),
    ]
    assert (figures.enrolled, figures.submitted, figures.approved) == (5, 3, 2)


def test_days_to_each_deadline_from_today(d):
    figures = _figures(d)
    assert [(x.name, x.days) for x in figures.deadlines] == [
        ("自评", 10),
        ("验收", -5),
        ("总结", None),
        ("自评提交截止", 3),
    ]
    assert [x.passed for x in figures.deadlines] == [False, True, False, False]


def test_score_histogram_grades_and_means_over_this_campaigns_results(d):
    figures = _figures(d)
    assert figures.top == D(30)
    assert [b.label for b in figures.histogram][:3] == ["0–3", "3–6", "6–9"]
    counts = {b.label: b.count for b in figures.histogram if b.count}
    # A 25.50 and B 18.00; the other committee's 29.00 is not here.
    assert counts == {"24–27": 1, "18–21": 1}
    assert [(g.label, g.count) for g in figures.grades] == [
        ("优秀", 0),
        ("良好", 1),
        ("达标", 1),
        ("不达标", 0),
    ]
    assert [(t.code, t.mean, t.units) for t in figures.type_means] == [
        ("1", D("14.75"), 2),
        ("2", D("7.00"), 2),
    ]
    assert figures.mean_composite == D("21.75")
    assert figures.results == 2


def test_problem_items_by_state_and_overdue_of_this_campaign_only(d):
    figures = _figures(d)
    assert [(c.key, c.count) for c in figures.items] == [
        ("open", 2),
        ("measures_submitted", 0),
        ("in_progress", 1),
        ("reported_done", 1),
        ("closed", 1),
    ]
    # A's overdue open item and C's overdue reported one; A's closed item is not overdue, the
    # yellow-card item has no campaign, X belongs to the other committee.
    assert (figures.items_total, figures.items_open, figures.items_overdue) == (5, 4, 2)


def test_the_overdue_count_moves_with_today(d):
    later = dash.campaign_figures(
        dash.dashboard_campaigns(d.actor("committee_admin")).get(pk=d.campaign.pk),
        d.actor("committee_admin"),
        today=d.today + datetime.timedelta(days=11),
    )
    # B's item (due in 10 days) and A's in-progress one (20 days) — only B's is overdue by then.
    assert later.items_overdue == 3
    assert [x.days for x in later.deadlines] == [-1, -16, None, -8]


# --- the JSON endpoint ------------------------------------------------------------------------


def test_the_data_endpoint_gives_every_charts_dataset(d):
    response = logged_in(d.user("committee_leader")).get(_data(d))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["progress"] == {
        "empty": False,
        "labels": ["未开始", "填报中", "已提交", "已退回", "已评审", "已审定"],
        "keys": ["not_started", "in_progress", "submitted", "returned", "reviewed", "approved"],
        "values": [1, 1, 1, 0, 0, 2],
    }
    assert data["deadlines"]["labels"] == ["自评", "验收", "自评提交截止"]
    assert data["deadlines"]["values"] == [10, -5, 3]
    assert data["histogram"]["values"] == [0, 0, 0, 0, 0, 0, 1, 0, 1, 0]
    assert data["histogram"]["top"] == 30.0
    assert data["grades"] == {
        "empty": False,
        "labels": ["优秀", "良好", "达标", "不达标"],
        "values": [0, 1, 1, 0],
    }
    assert data["type_means"] == {
        "empty": False,
        "labels": ["1 政治建设", "2 清廉建设"],
        "values": [14.75, 7.0],
        "max": [20.0, 10.0],
    }
    assert data["items"]["values"] == [2, 0, 1, 1, 1]
    assert data["items"]["overdue"] == 2


def test_an_empty_campaign_says_so_in_data_and_page(d):
    from mofan.campaigns.models import Campaign

    empty = Campaign.objects.create(
        committee=d.world.committee,
        name="2025年度（筹备）",
        year=2025,
        indicator_version=d.world.version,
    )
    client = logged_in(d.user("committee_admin"))
    data = client.get(reverse("reports:dashboard_data", args=[empty.pk])).json()
    assert all(data[key]["empty"] for key in data)
    page = client.get(reverse("reports:dashboard", args=[empty.pk])).content.decode()
    assert "暂无数据：本活动尚无参评单位" in page
    assert "暂无数据：未设定阶段截止日期" in page
    assert "暂无数据：尚无单位提交自评" in page
    assert "暂无数据：本活动尚无列入问题清单的问题" in page
    assert 'data-chart="progress"' not in page


def test_scores_not_yet_approved_have_their_own_empty_message(d):
    from mofan.evaluations.models import UnitResult

    UnitResult.objects.filter(enrollment__campaign=d.campaign).delete()
    page = logged_in(d.user("committee_admin")).get(_page(d)).content.decode()
    assert "暂无数据：尚无审定结果" in page
    assert 'data-chart="progress"' in page  # the units are there, only the scores are not


def test_the_page_shows_the_numbers_without_javascript(d):
    page = logged_in(d.user("committee_admin")).get(_page(d)).content.decode()
    assert f'data-chart-src="{_data(d)}"' in page
    assert '<tr data-key="approved"><td>已审定</td><td>2</td></tr>' in page
    assert (
        '<tr data-code="1"><td>1 政治建设</td><td>20.00</td><td>14.75</td><td>2</td></tr>' in page
    )
    assert "<td>24–27</td><td>1</td>" in page
    assert '<tr data-key="overdue"><td>其中逾期未销号</td><td>2</td></tr>' in page
    assert "已过 5 天" in page
    assert "js/charts.js" in page and "vendor/echarts/echarts.min.js" in page
    assert "<script>" not in page and " style=" not in page


# --- who may open it --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["committee_admin", "committee_leader"])
def test_the_committees_staff_open_the_dashboard(d, who):
    client = logged_in(d.user(who))
    page = client.get(_page(d))
    assert page.status_code == 200
    assert "甲单位" in page.content.decode() and "25.50" in page.content.decode()
    assert client.get(_data(d)).status_code == 200


@pytest.mark.parametrize(
    "who", ["owner", "colleague", "outsider", "assigned", "leader", "other_admin", "auditor"]
)
def test_everybody_else_gets_404_and_no_figures(d, who):
    client = logged_in(d.user(who))
    for url in (_page(d), _data(d)):
        response = client.get(url)
        assert response.status_code == 404, (who, url)
        body = response.content.decode()
        assert "25.50" not in body and "甲单位学习记录" not in body and "14.75" not in body


def test_another_committees_admin_sees_only_its_own_campaign(d):
    client = logged_in(d.user("other_admin"))
    own = client.get(reverse("reports:dashboard_data", args=[d.world.other_campaign.pk]))
    assert own.status_code == 200
    data = own.json()
    assert data["progress"]["values"] == [0, 0, 0, 0, 0, 1]
    assert data["items"]["values"] == [1, 0, 0, 0, 0]
    assert data["histogram"]["values"][9] == 1  # its 29.00, in 27–30
    assert client.get(_page(d)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(d):
    client = logged_in(None)
    for url in (_page(d), _data(d)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_dashboard_answers_get_only(d):
    client = logged_in(d.user("committee_admin"))
    assert client.post(_page(d)).status_code == 405
    assert client.post(_data(d)).status_code == 405


def test_the_campaign_page_links_to_its_dashboard(d):
    page = logged_in(d.user("committee_leader")).get(
        reverse("campaigns:detail", args=[d.campaign.pk])
    )
    assert _page(d) in page.content.decode()


# --- the unit table ---------------------------------------------------------------------------


def _names(d: Dash, sort: str, who: str = "committee_admin") -> list[str]:
    campaign = d.campaign
    rows = table.unit_rows(campaign, d.actor(who), sort=sort, today=d.today)
    return [row.unit.short_name for row in rows]


def test_the_table_sorts_by_every_column_with_empty_values_last(d):
    assert _names(d, "unit") == ["甲", "乙", "丙", "丁", "戊"]
    assert _names(d, "-unit") == ["戊", "丁", "丙", "乙", "甲"]
    assert _names(d, "state") == ["丁", "戊", "丙", "甲", "乙"]
    assert _names(d, "-state") == ["甲", "乙", "丙", "戊", "丁"]
    assert _names(d, "composite") == ["乙", "甲", "丙", "丁", "戊"]
    assert _names(d, "-composite") == ["甲", "乙", "丙", "丁", "戊"]
    assert _names(d, "self") == ["乙", "甲", "丙", "丁", "戊"]
    assert _names(d, "-review") == ["甲", "乙", "丙", "丁", "戊"]
    assert _names(d, "grade") == ["甲", "乙", "丙", "丁", "戊"]  # 良好 before 达标
    assert _names(d, "-grade") == ["乙", "甲", "丙", "丁", "戊"]
    assert _names(d, "rank") == ["甲", "乙", "丙", "丁", "戊"]
    assert _names(d, "-rank") == ["乙", "甲", "丙", "丁", "戊"]
    # Open items: A 2 (overdue + in progress; closed and campaign-less ones not counted), B 1,
    # C 1; overdue: A 1, C 1.
    assert _names(d, "-open") == ["甲", "乙", "丙", "丁", "戊"]
    assert _names(d, "open") == ["丁", "戊", "乙", "丙", "甲"]
    assert _names(d, "-overdue") == ["甲", "丙", "乙", "丁", "戊"]
    assert _names(d, "nonsense") == _names(d, "unit")


def test_the_table_counts_each_units_open_and_overdue_items(d):
    rows = {
        r.unit.short_name: (r.open_items, r.overdue_items)
        for r in table.unit_rows(d.campaign, d.actor("committee_admin"), today=d.today)
    }
    assert rows == {"甲": (2, 1), "乙": (1, 0), "丙": (1, 1), "丁": (0, 0), "戊": (0, 0)}


def test_the_table_is_empty_for_anyone_but_the_committees_staff(d):
    for who in ("owner", "other_admin", "assigned"):
        assert _names(d, "unit", who) == []


def test_sort_links_toggle_and_rows_show_results(d):
    client = logged_in(d.user("committee_admin"))
    page = client.get(_page(d) + "?sort=-composite").content.decode()
    assert 'aria-sort="descending"' in page
    assert 'href="?sort=composite"' in page  # a second click sorts ascending
    assert 'href="?sort=rank"' in page
    body = page[page.index('id="unit-table"') :]
    assert body.index("甲单位") < body.index("乙单位") < body.index("丁单位")
    assert reverse("reports:unit_view", args=[d.world.ea.pk]) in body


def test_units_without_a_result_show_dashes(d):
    page = logged_in(d.user("committee_admin")).get(_page(d)).content.decode()
    row = page[page.index('<tr data-unit="丙单位">') :]
    row = row[: row.index("</tr>")]
    assert row.count("<td>—</td>") == 5
    assert '<span class="badge badge-overdue">1</span>' in row  # its overdue item


def test_htmx_gets_only_the_table(d):
    client = logged_in(d.user("committee_admin"))
    response = client.get(_page(d) + "?sort=composite", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="unit-table"')
    assert "dashboard-stats" not in body
    assert body.index("乙单位") < body.index("甲单位")


def test_going_back_in_history_gets_the_whole_page(d):
    client = logged_in(d.user("committee_admin"))
    response = client.get(
        _page(d) + "?sort=composite",
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert 'id="dashboard-stats"' in response.content.decode()


def test_sorting_keeps_across_pages(d):
    from mofan.campaigns.models import Enrollment, EnrollmentState
    from tests.factories import UnitFactory

    units = [
        UnitFactory(committee=d.world.committee, name=f"批量单位{i:02d}", short_name=f"批{i:02d}")
        for i in range(55)
    ]
    Enrollment.objects.bulk_create(
        Enrollment(campaign=d.campaign, unit=u, state=EnrollmentState.IN_PROGRESS) for u in units
    )
    client = logged_in(d.user("committee_admin"))
    first = client.get(_page(d) + "?sort=-state").content.decode()
    assert "第 1 / 2 页，共 60 个单位" in first
    assert 'href="?sort=-state&amp;page=2"' in first
    second = client.get(_page(d) + "?sort=-state&page=2").content.decode()
    table = second[second.index('id="unit-table"') :]
    # 2 approved, 1 submitted, 56 in progress (E and the batch, in unit order), 1 not started:
    # the last ten rows are batch 46–54 and then D.
    rows = [line for line in table.splitlines() if "data-unit=" in line]
    assert len(rows) == 10
    assert "批量单位46" in rows[0] and "丁单位" in rows[-1]
    assert 'href="?sort=-state"' in second or 'href="?sort=-state&amp;page=1"' in second


def test_every_dashboard_url_is_covered_by_these_persona_tests():
    from django.urls import URLPattern

    from mofan.reports import urls_dashboard

    names = {p.name for p in urls_dashboard.urlpatterns if isinstance(p, URLPattern)}
    # dashboard, dashboard_data: above; unit_view, unit_data: tests/reports/test_unit_view.py.
    assert names == {"dashboard", "dashboard_data", "unit_view", "unit_data"}


def test_the_stored_summary_gives_the_figures_computed_from_the_results(d):
    # The dashboard reads the summary approval stores with the results; it equals the figures
    # computed from every result, and without one (before approval) nothing is computed.
    stored = _figures(d)
    computed = computed_tally(d.campaign, top=campaign_top(d.campaign))
    assert stored.results == computed.results == 2
    assert stored.mean_composite == Decimal("21.75")
    assert [b.count for b in stored.histogram] == computed.bins
    ResultSummary.objects.filter(campaign=d.campaign).delete()
    assert _figures(d).results == 0 and _figures(d).mean_composite is None
