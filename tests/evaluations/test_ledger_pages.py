"""The ledger figures (取数) on the pages (issue 15 point 3): the self-evaluation shows each
computed figure, its period and the records behind it, prefills the unscored leaf, and refuses a
departure from the figure without a reason; the drill-down shows the unit's records and no one
else's; the page's queries do not grow with the records."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mofan.evaluations.ledger_figures import OVERRIDE
from mofan.evaluations.models import SelfScore
from mofan.indicators.models import IndicatorNode
from tests.evaluations.test_ledger_figures import ON, World
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    world = World()
    for day in (ON, ON + datetime.timedelta(days=7)):
        world.volunteer("王一", day)
    world.volunteer("王二")
    world.volunteer("乙一")  # unit B's: never on A's pages
    return world


def node(w: World) -> IndicatorNode:
    return IndicatorNode.objects.get(version=w.version, code="4.3")


def owner_client(w: World):
    return logged_in(w.owner.user)


def test_the_self_evaluation_shows_the_figure_and_prefills_the_leaf(w: World) -> None:
    html = owner_client(w).get(reverse("reviews:self", args=[w.enrollment.pk])).content.decode()
    assert "台账取数" in html
    assert "党员社区志愿服务：每名党员每年不少于 2 次" in html
    assert "3 人中 1 人达到" in html
    assert "王二（2026-01-01 起：1/2）" in html and "王三（2026-01-01 起：0/2）" in html
    assert "已按取数预填，核对后保存" in html
    # One of three members met the rule: the lowest of the three levels is suggested.
    assert '<option value="未达标" selected' in html
    assert "查看依据的台账记录（3 条）" in html


def test_a_departure_needs_a_reason_and_is_shown_as_an_override(w: World) -> None:
    client = owner_client(w)
    url = reverse("reviews:self_save", args=[w.enrollment.pk, node(w).pk])
    refused = client.post(url, {"level": "达标", "narrative": "我们认为已达到"})
    html = refused.content.decode()
    assert "与台账取数的结果（评价“未达标”）不同，请填写调整理由。" in html
    assert "我们认为已达到" in html  # nothing typed is lost
    assert not SelfScore.objects.filter(enrollment=w.enrollment, node=node(w)).exists()

    client.post(url, {"level": "达标", OVERRIDE: "王三 10 月调入，已补记录", "narrative": ""})
    saved = SelfScore.objects.get(enrollment=w.enrollment, node=node(w))
    assert saved.input == {"level": "达标", OVERRIDE: "王三 10 月调入，已补记录"}
    html = client.get(reverse("reviews:self", args=[w.enrollment.pk])).content.decode()
    assert "手动调整" in html and "王三 10 月调入，已补记录" in html

    # Agreeing with the figure needs no reason, and drops the former one.
    client.post(url, {"level": "未达标", "version": saved.version, "narrative": ""})
    saved.refresh_from_db()
    assert saved.input == {"level": "未达标"}


def test_the_drill_down_shows_the_units_records_only(w: World) -> None:
    url = reverse("reviews:ledger_figure", args=[w.enrollment.pk, node(w).pk])
    html = owner_client(w).get(url).content.decode()
    assert html.count("社区志愿服务 王一") == 2 and "社区志愿服务 王二" in html
    assert "社区志愿服务 乙一" not in html
    assert "统计期间 2026-01-01 至 2026-12-31" in html
    outsider = logged_in(w.outsider.user)
    assert outsider.get(url).status_code == 404
    member = persona("member", committee=w.committee, unit_a=w.unit_a, unit_b=w.unit_b)
    assert logged_in(member).get(url).status_code == 404


def test_refreshing_by_hand_is_audited(w: World) -> None:
    from mofan.audit.models import AuditEntry

    response = owner_client(w).post(reverse("reviews:ledger_refresh", args=[w.enrollment.pk]))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="ledger_figures.refresh").count() == 1


def test_the_self_page_costs_the_same_queries_with_more_records(w: World) -> None:
    client = owner_client(w)
    url = reverse("reviews:self", args=[w.enrollment.pk])
    client.get(url)

    def measured() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = measured()
    for n in range(6):
        w.volunteer("王三", ON + datetime.timedelta(days=10 + n))
    assert measured() == few


def test_the_committee_sees_the_figure_and_the_override_in_the_trace(w: World) -> None:
    url = reverse("reviews:self_save", args=[w.enrollment.pk, node(w).pk])
    owner_client(w).post(url, {"level": "达标", OVERRIDE: "记录漏登，已补", "narrative": ""})
    html = logged_in(w.admin).get(reverse("reviews:trace", args=[w.enrollment.pk])).content.decode()
    assert "手动调整：记录漏登，已补" in html
    assert "台账取数</a>：3 人中 1 人达到" in html
