"""减负统计 (issue 15 point 4): the figures per unit and per campaign, who sees which rows (the
committee's staff every unit, a unit's admin and leader their own, nobody else anything), the
export, and query counts that do not grow with the number of units.

The world is the standard small campaign (tests/evaluations/campaign_fixtures.py: units 甲, 乙,
丙; four leaves). Unit 甲 has one file from before the campaign (reused) backing two indicators
and one new file; the ledger computed two of its leaves. Unit 乙 has one new file; 丙 nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations.models import LedgerFigures
from mofan.reports import burden
from mofan.reports.exporters.burden import BurdenExporter
from tests.evaluations.campaign_fixtures import World, build_world
from tests.factories import UnitFactory
from tests.reports.table_fixtures import evidence, link
from tests.world import logged_in


def _figures(enrollment: Enrollment, computed: int) -> None:
    LedgerFigures.objects.create(
        enrollment=enrollment,
        campaign=enrollment.campaign,
        figures={},
        computed_leaves=computed,
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2024, 12, 31),
        computed_at=timezone.now(),
    )


def _files(world: World) -> None:
    began = timezone.localtime(world.campaign.created_at).date()
    owner, outsider = world.user("owner"), world.user("outsider")
    old = evidence(
        world.unit_a, "去年实施方案.pdf", owner, uploaded=began - datetime.timedelta(days=30)
    )
    new = evidence(world.unit_a, "党课记录.pdf", owner, uploaded=began + datetime.timedelta(days=1))
    link(old, world.ea, world.node("1.1"))
    link(old, world.ea, world.node("1.2"))
    link(new, world.ea, world.node("2.1"))
    b_file = evidence(
        world.unit_b, "乙单位材料.pdf", outsider, uploaded=began + datetime.timedelta(days=2)
    )
    link(b_file, world.eb, world.node("1.1"))
    _figures(world.ea, 2)


@pytest.fixture
def world(db) -> World:
    w = build_world()
    _files(w)
    return w


def test_figures_per_unit(world: World) -> None:
    enrollments = list(
        Enrollment.objects.filter(campaign=world.campaign).select_related("campaign")
    )
    by = burden.enrollment_burden(enrollments)
    a, b, c = by[world.ea.pk], by[world.eb.pk], by[world.ec.pk]
    assert (a.asked, a.computed, a.typed) == (4, 2, 2)
    assert (a.files_new, a.files_reused, a.links, a.extra_links) == (1, 1, 3, 1)
    assert a.computed_percent == 50
    assert (b.asked, b.computed, b.typed, b.files_new, b.files_reused, b.extra_links) == (
        4,
        0,
        4,
        1,
        0,
        0,
    )
    assert (c.asked, c.computed, c.files, c.links) == (4, 0, 0, 0)
    assert c.reused_percent is None


def test_a_withdrawn_unit_is_not_counted(world: World) -> None:
    """A unit that withdrew (已退出) before submitting took no part: it is in no sum or row."""
    Enrollment.objects.filter(pk=world.ec.pk).update(state=EnrollmentState.WITHDRAWN)
    admin = world.actor("committee_admin")
    scoped = burden.burden_enrollments(admin).filter(campaign=world.campaign)
    assert world.ec.pk not in set(scoped.values_list("pk", flat=True))
    summed = burden.campaign_burden([world.campaign], scoped)[world.campaign.pk]
    assert (summed.units, summed.asked) == (2, 8)
    rows = list(BurdenExporter(campaign=world.campaign, actor=admin).rows())
    assert [row[0] for row in rows] == ["甲单位", "乙单位", "合计（2 个单位）"]


def test_campaign_sum_equals_the_units(world: World) -> None:
    everyone = Enrollment.objects.filter(campaign=world.campaign)
    summed = burden.campaign_burden([world.campaign], everyone)[world.campaign.pk]
    units = burden.enrollment_burden(list(everyone.select_related("campaign")))
    assert summed.units == 3
    assert summed.asked == sum(u.asked for u in units.values()) == 12
    assert summed.computed == 2
    assert (summed.files_new, summed.files_reused, summed.links, summed.extra_links) == (2, 1, 4, 1)
    assert summed.per_unit_typed == Decimal("3.3")


def _page(world: World, name: str, url: str):
    return logged_in(world.user(name)).get(url)


@pytest.mark.parametrize("name", ["committee_admin", "committee_leader"])
def test_committee_staff_see_every_unit(world: World, name: str) -> None:
    index = _page(world, name, reverse("reports:burden"))
    assert index.status_code == 200
    html = index.content.decode()
    assert world.campaign.name in html and world.other_campaign.name not in html
    page = _page(world, name, reverse("reports:burden_campaign", args=[world.campaign.pk]))
    html = page.content.decode()
    for unit in ("甲单位", "乙单位", "丙单位"):
        assert unit in html
    assert 'id="burden-asked">12<' in html


@pytest.mark.parametrize("name", ["owner", "colleague"])
def test_a_unit_sees_only_its_own_rows(world: World, name: str) -> None:
    index = _page(world, name, reverse("reports:burden")).content.decode()
    assert 'id="table-own"' in index and 'id="table-campaigns"' not in index
    assert "甲单位" in index and "乙单位" not in index
    page = _page(world, name, reverse("reports:burden_campaign", args=[world.campaign.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "甲单位" in html and "乙单位" not in html and "丙单位" not in html
    assert 'id="burden-asked">4<' in html and 'id="burden-reused">1<' in html


def test_the_outsider_sees_its_own_unit_not_the_owners(world: World) -> None:
    html = _page(
        world, "outsider", reverse("reports:burden_campaign", args=[world.campaign.pk])
    ).content.decode()
    assert "乙单位" in html and "甲单位" not in html
    assert 'id="burden-reused">0<' in html


def test_another_committee_cannot_open_the_campaign(world: World) -> None:
    url = reverse("reports:burden_campaign", args=[world.campaign.pk])
    assert _page(world, "other_admin", url).status_code == 404
    index = _page(world, "other_admin", reverse("reports:burden")).content.decode()
    assert world.campaign.name not in index and "甲单位" not in index


@pytest.mark.parametrize("name", ["assigned", "auditor"])
def test_reviewers_and_auditors_have_no_burden_pages(world: World, name: str) -> None:
    assert _page(world, name, reverse("reports:burden")).status_code == 403
    url = reverse("reports:burden_campaign", args=[world.campaign.pk])
    assert _page(world, name, url).status_code == 403


def test_the_menu_offers_it_to_staff_and_units_only(world: World) -> None:
    link_html = f'href="{reverse("reports:burden")}"'
    home = reverse("home:home")
    assert link_html in _page(world, "committee_admin", home).content.decode()
    assert link_html in _page(world, "owner", home).content.decode()
    assert link_html not in _page(world, "assigned", home).content.decode()


def test_export_rows_are_scoped(world: World) -> None:
    staff = list(
        BurdenExporter(campaign=world.campaign, actor=world.actor("committee_admin")).rows()
    )
    assert [row[0] for row in staff] == ["甲单位", "乙单位", "丙单位", "合计（3 个单位）"]
    assert staff[0][1:] == [4, 2, 2, 50, 1, 1, 1]
    assert staff[-1][1:4] == [12, 2, 10]
    own = list(BurdenExporter(campaign=world.campaign, actor=world.actor("owner")).rows())
    assert [row[0] for row in own] == ["甲单位", "合计（1 个单位）"]
    with pytest.raises(PermissionDenied):
        BurdenExporter(campaign=world.campaign, actor=world.actor("assigned")).check()
    with pytest.raises(PermissionDenied):
        BurdenExporter(campaign=world.campaign, actor=world.actor("other_admin")).check()


def test_the_owner_downloads_the_export_from_the_page(world: World) -> None:
    client = logged_in(world.user("owner"))
    page = client.get(reverse("reports:burden_campaign", args=[world.campaign.pk]))
    assert 'name="exporter" value="burden"' in page.content.decode()
    response = client.post(
        reverse("reports:exports", args=[world.campaign.pk]),
        {"exporter": "burden", "format": "csv"},
    )
    assert response.status_code == 302
    job = client.get(response["Location"])
    assert job.status_code == 200 and "减负统计" in job.content.decode()


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_units(world: World) -> None:
    client = logged_in(world.user("committee_admin"))
    campaign_url = reverse("reports:burden_campaign", args=[world.campaign.pk])
    index_url = reverse("reports:burden")
    before = (_count(client, campaign_url), _count(client, index_url))
    owner = world.user("owner")
    for i in range(6):
        unit = UnitFactory(committee=world.committee, name=f"新增{i}单位")
        enrollment = Enrollment.objects.create(campaign=world.campaign, unit=unit)
        item = evidence(unit, f"材料{i}.pdf", owner)
        link(item, enrollment, world.node("1.1"))
        _figures(enrollment, 1)
    assert (_count(client, campaign_url), _count(client, index_url)) == before
