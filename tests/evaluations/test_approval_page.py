"""The approval table (综合审定, the ranking page) one page at a time (issue 7): 50 units a page
from the stored figures, every column sortable, a search by unit name, campaign-wide counts,
and the same order from the stored path and from the full computation it replaces."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db.models import Count
from django.test import Client, RequestFactory

from mofan.accounts.access import actor_for
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.sorting import column_sort
from mofan.evaluations import approval
from mofan.evaluations import selectors_approval as ranking
from mofan.evaluations.figures import setwise as recompute
from mofan.evaluations.models import UnitTotals, VetoInput
from tests.evaluations import reference
from tests.evaluations.aggregates_data import synthetic_campaign
from tests.factories import make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr data-unit="([^"]+)">')
PENDING = re.compile(r'<tr data-pending="([^"]+)"[^>]*>')


def _campaign(units: int, *, all_reviewed: bool = False, code: str = "pg") -> Campaign:
    campaign = synthetic_campaign(units, seed=5, code=code, all_reviewed=all_reviewed)
    recompute.campaign_recompute(campaign=campaign)
    return campaign


def _admin_client(campaign: Campaign) -> Client:
    return logged_in(make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee))


def _url(campaign: Campaign) -> str:
    return f"/reviews/campaigns/{campaign.pk}/approval/"


def _order(campaign: Campaign, key: str, search: str = "") -> list[str]:
    """Every unit's name, page after page, as the selector gives them for `?sort=key`."""
    request = RequestFactory().get("/", {"sort": key})
    sorting = column_sort(request, ranking.SORTS, default=ranking.DEFAULT_SORT)
    summary = ranking.approval_summary(campaign)
    names: list[str] = []
    page: Any = ranking.approval_rows(campaign, summary=summary, sorting=sorting, search=search)
    while True:
        names += [row.enrollment.unit.name for row in page]
        if not page.has_next():
            return names
        page = ranking.approval_rows(
            campaign,
            summary=summary,
            sorting=sorting,
            search=search,
            page=page.next_page_number(),
        )


def test_the_first_page_shows_fifty_units_by_rank_and_the_pager() -> None:
    campaign = _campaign(120, all_reviewed=True)
    r = _admin_client(campaign).get(_url(campaign))
    assert r.status_code == 200
    html = r.content.decode()
    shown = ROW.findall(html)
    assert len(shown) == 50
    by_rank = list(
        UnitTotals.objects.filter(campaign=campaign)
        .order_by("rank", "enrollment_id")
        .values_list("enrollment__unit__name", flat=True)[:50]
    )
    assert shown == by_rank
    assert "共 120 个单位" in html
    assert "第 1 / 3 页" in html
    assert "纳入 120 个单位" in html and "已评审 120" in html
    assert 'id="prepare"' in html  # every unit reviewed: all can go to the leader at once
    last = ROW.findall(_admin_client(campaign).get(_url(campaign) + "?page=3").content.decode())
    assert len(last) == 20
    assert not set(last) & set(shown)


def test_the_reviewed_units_can_be_prepared_while_others_are_still_in_review() -> None:
    campaign = _campaign(60)  # units cycle through the states: not all reviewed
    html = _admin_client(campaign).get(_url(campaign)).content.decode()
    summary = ranking.approval_summary(campaign)
    counts = dict(
        Enrollment.objects.filter(campaign=campaign)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    assert {s.state: s.count for s in summary.states} == counts
    assert summary.reviewed == counts.get("reviewed", 0) + counts.get("approved", 0)
    assert summary.ready == counts["reviewed"] > 0
    assert f"准备审定已评审的 {summary.ready} 个单位" in html and 'id="prepare"' in html


@pytest.mark.parametrize("key", sorted(ranking.SORTS) + [f"-{k}" for k in sorted(ranking.SORTS)])
def test_every_sort_gives_the_order_of_the_full_computation(key: str) -> None:
    """The page (database order over the stored figures) and the reference computation (every
    unit rolled up and ranked by `reference.campaign_rows`, sorted in Python) list the units
    identically."""
    campaign = _campaign(70)
    stored = _order(campaign, key)
    decided = ranking.approval_summary(campaign).reviewed
    assert 0 < len(stored) == decided < 70  # only reviewed and approved units are ranked
    request = RequestFactory().get("/", {"sort": key})
    sorting = column_sort(request, ranking.SORTS, default=ranking.DEFAULT_SORT)
    expected = [
        r.enrollment.unit.name
        for r in reference.sorted_rows(campaign, sorting)
        if r.enrollment.state in ranking.REVIEWED
    ]
    assert expected == stored


def test_the_rank_and_composite_sorts_follow_the_scores() -> None:
    campaign = _campaign(70)
    rows, _top = reference.campaign_rows(campaign)
    by_name = {r.enrollment.unit.name: r.result.score for r in rows if r.result}
    scores = [by_name[name] for name in _order(campaign, "rank")]
    valued = [s for s in scores if s is not None]
    assert valued == sorted(valued, reverse=True)
    assert scores == valued + [None] * (len(scores) - len(valued))  # unranked units last
    ascending = [by_name[name] for name in _order(campaign, "composite")]
    assert [s for s in ascending if s is not None] == sorted(valued)
    assert ascending[len(valued) :] == [None] * (len(scores) - len(valued))


def test_the_search_finds_units_by_part_of_their_name_on_any_page() -> None:
    campaign = _campaign(120, all_reviewed=True)
    client = _admin_client(campaign)
    html = client.get(_url(campaign), {"q": "0011"}).content.decode()
    found = ROW.findall(html)
    assert sorted(found) == ["单位00011"] + [f"单位{i:05d}" for i in range(110, 120)]
    assert "共 11 个单位已完成评审" in html and "名称含“0011”" in html
    none = client.get(_url(campaign), {"q": "不存在的单位"}).content.decode()
    assert ROW.findall(none) == []
    assert "没有名称含此文字的已评审单位。" in none


def test_an_htmx_request_gets_the_rows_alone() -> None:
    campaign = _campaign(60)
    r = _admin_client(campaign).get(_url(campaign), {"q": "单位"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html and 'id="approval-table"' in html
    summary = ranking.approval_summary(campaign)
    assert len(ROW.findall(html)) == summary.reviewed
    assert len(PENDING.findall(html)) == min(50, summary.enrolled - summary.reviewed)


def test_vetoes_and_honours_are_counted_for_the_whole_campaign() -> None:
    campaign = _campaign(80, all_reviewed=True, code="pgv")
    admin = make_user(Role.COMMITTEE_ADMIN, committee=campaign.committee)
    # Veto a unit that is not on the first page (lowest rank).
    last = UnitTotals.objects.filter(campaign=campaign).order_by("-rank").first()
    assert last is not None
    approval.veto_input_record(
        enrollment=last.enrollment,
        source="纪检监察",
        vetoed=True,
        opinion="违纪",
        actor=actor_for(admin),
    )
    summary = ranking.approval_summary(campaign)
    assert summary.vetoed == UnitTotals.objects.filter(campaign=campaign, veto=True).count() >= 1
    assert summary.advanced == UnitTotals.objects.filter(campaign=campaign, advanced=True).count()
    client = logged_in(admin)
    html = client.get(_url(campaign), {"sort": "-rank"}).content.decode()
    assert f"否决 {summary.vetoed}" in html
    assert VetoInput.objects.filter(enrollment=last.enrollment).exists()
    first_row = html.split('<tr data-unit="', 1)[1]
    assert first_row.startswith(last.enrollment.unit.name)
    assert "纪检监察" in first_row.split("</tr>", 1)[0]


def test_each_row_carries_its_own_veto_form() -> None:
    campaign = _campaign(3, code="pgf")
    Enrollment.objects.filter(campaign=campaign).update(state=EnrollmentState.REVIEWED)
    html = _admin_client(campaign).get(_url(campaign)).content.decode()
    ids = [e.pk for e in Enrollment.objects.filter(campaign=campaign)]
    for pk in ids:
        assert f'id="id_veto{pk}-source"' in html
        assert f'name="enrollment" value="{pk}"' in html
    assert html.count('name="source"') == 3


def test_a_committee_leader_sees_the_table_without_the_actions() -> None:
    campaign = _campaign(10, all_reviewed=True, code="pgl")
    leader = make_user(Role.COMMITTEE_LEADER, committee=campaign.committee)
    client = logged_in(leader)
    html = client.get(_url(campaign)).content.decode()
    assert len(ROW.findall(html)) == 10
    assert 'name="action"' not in html
