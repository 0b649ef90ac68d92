"""A unit's own view (issue 6, part 2): its scores per type against the campaign mean, its
earlier years, its weakest indicators and its open problem items — only its own data, and
scores and aggregates only once the results are published.

The data is `dashboard_fixtures.build_dash` (read its docstring for the numbers)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from mofan.reports import dashboard as dash
from tests.reports.dashboard_fixtures import Dash, build_dash, publish
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def d() -> Dash:
    return build_dash()


def _page(enrollment) -> str:
    return reverse("reports:unit_view", args=[enrollment.pk])


def _data(enrollment) -> str:
    return reverse("reports:unit_data", args=[enrollment.pk])


def _figures(d: Dash, who: str, enrollment=None) -> dash.UnitFigures:
    actor = d.actor(who)
    found = (
        dash.unit_view_enrollments(actor)
        .select_related("unit", "campaign__indicator_version__system")
        .get(pk=(enrollment or d.world.ea).pk)
    )
    return dash.unit_figures(found, actor, today=d.today)


# --- figures ----------------------------------------------------------------------------------


def test_after_publication_the_unit_sees_its_scores_against_the_mean(d):
    publish(d)
    figures = _figures(d, "owner")
    assert figures.has_result and figures.result.composite == D("25.50")
    assert [(t.code, t.score, t.mean, t.points) for t in figures.types] == [
        ("1", D("17.50"), D("14.75"), D("20.00")),
        ("2", D("8.00"), D("7.00"), D("10.00")),
    ]
    # Rank 1 of 2 results: the front quarter, not the rank itself (ranking not published).
    assert not figures.show_rank and figures.rank_band == "前 25%"


def test_the_weakest_indicators_are_the_lowest_score_ratios(d):
    publish(d)
    figures = _figures(d, "colleague")
    assert [(leaf.code, leaf.percent) for leaf in figures.weakest] == [
        ("2.1", D("80.00")),
        ("1.2", D("85.00")),
        ("1.1", D("90.00")),
    ]


def test_earlier_years_for_the_unit_are_published_ones_only(d):
    publish(d)
    assert [(y.year, y.composite, y.current) for y in _figures(d, "owner").years] == [
        (2023, D("22.00"), False),
        (2024, D("25.50"), True),
    ]
    # The committee sees its unpublished 2022 campaign too.
    assert [y.year for y in _figures(d, "committee_leader").years] == [2022, 2023, 2024]


def test_open_items_are_the_units_own_with_overdue_marked(d):
    figures = _figures(d, "owner")
    assert [i.description for i in figures.items] == [
        "甲单位学习记录不全（逾期）",
        "甲单位黄牌警示问题",
        "甲单位台账整改中",
    ]
    assert [i.is_overdue for i in figures.items] == [True, False, False]
    assert (figures.items_open, figures.items_overdue) == (3, 1)


def test_before_publication_a_unit_gets_no_scores_at_all(d):
    figures = _figures(d, "owner")
    assert not figures.show_scores and figures.result is None
    assert figures.types == [] and figures.weakest == []
    assert [y.year for y in figures.years] == [2023]  # earlier published year only
    data = dash.unit_json(figures)
    assert data["radar"] == {
        "empty": True,
        "indicators": [],
        "unit": [],
        "mean": [],
        "unit_label": "本单位",
        "mean_label": "全体参评单位平均",
    }
    assert data["weakest"]["empty"] and data["weakest"]["values"] == []


def test_the_committee_sees_scores_before_publication(d):
    figures = _figures(d, "committee_admin")
    assert figures.show_scores and figures.show_rank
    assert figures.result.composite == D("25.50")


# --- the page and its data --------------------------------------------------------------------


def test_the_data_endpoint_after_publication(d):
    publish(d, ranking=True)
    data = logged_in(d.user("owner")).get(_data(d.world.ea)).json()
    assert data["radar"]["indicators"] == [
        {"name": "1 政治建设", "max": 20.0},
        {"name": "2 清廉建设", "max": 10.0},
    ]
    assert data["radar"]["unit"] == [17.5, 8.0]
    assert data["radar"]["mean"] == [14.75, 7.0]
    assert data["years"] == {
        "empty": False,
        "labels": ["2023", "2024"],
        "values": [22.0, 25.5],
        "grades": ["达标", "良好"],
    }
    assert data["weakest"]["labels"][0] == "2.1 廉政教育" and data["weakest"]["values"][0] == 80.0


def test_the_page_after_publication_shows_scores_rank_and_items(d):
    publish(d, ranking=True)
    page = logged_in(d.user("colleague")).get(_page(d.world.ea)).content.decode()
    assert '<span class="figure" id="unit-composite">25.50</span>' in page
    assert '<span class="figure" id="unit-rank">1</span>' in page
    assert (
        '<tr data-code="1"><td>1 政治建设</td><td>20.00</td><td>17.50</td><td>14.75</td></tr>'
        in page
    )
    assert (
        '<tr data-code="2.1"><td>2.1 廉政教育</td><td>8.00</td><td>10.00</td><td>80.00%</td></tr>'
        in page
    )
    assert "2023年度模范机关创建" in page and "2022年度模范机关创建" not in page
    assert "甲单位学习记录不全（逾期）" in page and "逾期</span>" in page
    assert f'data-chart-src="{_data(d.world.ea)}"' in page
    assert "<script>" not in page and " style=" not in page


def test_the_page_before_publication_holds_back_scores(d):
    page = logged_in(d.user("owner")).get(_page(d.world.ea)).content.decode()
    assert "考评结果尚未公布" in page
    for secret in ("25.50", "17.50", "14.75", "良好", "廉政教育", "前 25%"):
        assert secret not in page, secret
    # What it may see: its earlier published year and its open items.
    assert "22.00" in page and "甲单位学习记录不全（逾期）" in page
    data = logged_in(d.user("owner")).get(_data(d.world.ea)).content.decode()
    for secret in ("25.5", "17.5", "14.75", "8.0", "廉政教育"):
        assert secret not in data, secret


def test_the_unit_never_sees_another_units_items_or_scores(d):
    publish(d)
    page = logged_in(d.user("owner")).get(_page(d.world.ea)).content.decode()
    for other in ("乙单位会议记录缺失", "丙单位已报完成", "外单位逾期问题", "18.00"):
        assert other not in page, other


def test_the_committee_sees_a_unit_before_publication_with_its_rank(d):
    page = logged_in(d.user("committee_leader")).get(_page(d.world.eb)).content.decode()
    assert '<span class="figure" id="unit-composite">18.00</span>' in page
    assert '<span class="figure" id="unit-rank">2</span>' in page
    assert "乙单位会议记录缺失" in page and "甲单位学习记录" not in page
    assert reverse("reports:dashboard", args=[d.campaign.pk]) in page


def test_an_unapproved_unit_has_an_empty_state(d):
    page = logged_in(d.user("committee_admin")).get(_page(d.world.ec)).content.decode()
    assert "暂无数据：本单位结果尚未审定" in page
    assert "暂无数据：尚无已公布的历年结果" in page
    data = logged_in(d.user("committee_admin")).get(_data(d.world.ec)).json()
    assert data["radar"]["empty"] and data["years"]["empty"] and data["weakest"]["empty"]


# --- who may open it --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "colleague", "committee_admin", "committee_leader"])
def test_the_units_people_and_the_committee_open_the_view(d, who):
    client = logged_in(d.user(who))
    assert client.get(_page(d.world.ea)).status_code == 200
    assert client.get(_data(d.world.ea)).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "assigned", "leader", "other_admin", "auditor"])
def test_others_get_404_on_unit_as_view(d, who):
    publish(d, ranking=True)
    client = logged_in(d.user(who))
    for url in (_page(d.world.ea), _data(d.world.ea)):
        response = client.get(url)
        assert response.status_code == 404, (who, url)
        body = response.content.decode()
        assert "25.50" not in body and "甲单位学习记录" not in body


def test_unit_a_admin_on_unit_bs_view_gets_404(d):
    publish(d, ranking=True)
    client = logged_in(d.user("owner"))
    for url in (_page(d.world.eb), _data(d.world.eb)):
        response = client.get(url)
        assert response.status_code == 404
        assert "18.00" not in response.content.decode()
        assert "乙单位会议记录缺失" not in response.content.decode()
    # ... while B's own admin opens it.
    assert logged_in(d.user("outsider")).get(_page(d.world.eb)).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(d):
    client = logged_in(None)
    for url in (_page(d.world.ea), _data(d.world.ea)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_units_campaign_page_links_to_its_view(d):
    page = logged_in(d.user("owner")).get(reverse("campaigns:enrollment", args=[d.world.ea.pk]))
    assert _page(d.world.ea) in page.content.decode()


def test_a_party_member_of_the_unit_sees_neither_view(d):

    publish(d, ranking=True)
    member = persona("member", unit_a=d.world.unit_a)
    client = logged_in(member)
    for url in (
        _page(d.world.ea),
        _data(d.world.ea),
        reverse("reports:dashboard", args=[d.campaign.pk]),
        reverse("reports:dashboard_data", args=[d.campaign.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "25.50" not in response.content.decode()
