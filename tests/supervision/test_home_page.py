"""The home page carries the supervision warnings of the actor's own unit only, and the
committee's supervision figures."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from mofan.supervision import ledger
from mofan.supervision.models import Escalation, LedgerItem
from tests.home.panels import committee_panel
from tests.supervision.ledger_world import (
    local_today,
    make_card,
    make_item,
    make_org,
    world,
)
from tests.world import logged_in

pytestmark = pytest.mark.django_db
__all__ = ["world"]


def _warned(w, unit, task):
    item = make_item(
        w,
        unit,
        task=task,
        deadline=local_today() - datetime.timedelta(days=10),
        today=local_today() - datetime.timedelta(days=40),
    )
    ledger.ledger_escalate(today=local_today())
    item.refresh_from_db()
    assert item.escalation == Escalation.WARNED
    return item


def test_a_units_home_shows_its_own_warnings_and_yellow_card_only(world):
    _warned(world, world.a, "甲单位逾期督办任务")
    _warned(world, world.b, "乙单位逾期督办任务")
    make_card(world, make_org(world.a, "甲单位第一支部"), reasons="甲支部组织生活不正常")
    make_card(world, make_org(world.b, "乙单位第一支部"), reasons="乙支部组织生活不正常")

    page = logged_in(world.users["a_admin"]).get(reverse("home:home")).content.decode()
    assert "督办预警与黄牌警示" in page
    assert "甲单位逾期督办任务" in page and "甲单位第一支部" in page
    assert "乙单位逾期督办任务" not in page and "乙单位第一支部" not in page

    page = logged_in(world.users["b_admin"]).get(reverse("home:home")).content.decode()
    assert "乙单位逾期督办任务" in page and "甲单位逾期督办任务" not in page

    page = logged_in(world.users["c_admin"]).get(reverse("home:home")).content.decode()
    assert "督办预警与黄牌警示" not in page and "甲单位" not in page


def test_the_committee_home_counts_the_ledger_and_cards(world):
    _warned(world, world.a, "甲单位逾期督办任务")
    make_item(world, world.b, task="乙单位按期任务")
    make_card(world, make_org(world.a, "甲单位第一支部"))
    # Another committee's ledger must not be counted.
    make_item(
        world,
        world.c,
        task="丙单位任务",
        deadline=local_today() - datetime.timedelta(days=20),
        today=local_today() - datetime.timedelta(days=40),
    )
    assert LedgerItem.objects.count() == 3

    page = logged_in(world.users["committee_admin"]).get(reverse("home:home"))
    figures = committee_panel(page, "supervision")["counts"]
    assert figures == {"open": 2, "overdue": 1, "interview": 0, "yellow_cards": 1}
    assert reverse("supervision:ledger_board") in page.content.decode()
