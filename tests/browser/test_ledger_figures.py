"""取数 on a 390 px phone (issue 15 point 7), in headless Chromium: the unit's 联络员 sees on the
self-evaluation that the branch's collective study (乐清 1.2.2, ≥ 12 a year) is computed from
the ledger and stands at 0 of 12; records a study meeting by tapping the attendees; and sees the
figure on the self-evaluation change to 1 of 12, with the record behind it in the drill-down.
No page is wider than the screen; `new_page` proves no CSP violation or script error."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from mofan.activities.models import ActivityRecord
from mofan.campaigns.models import Enrollment
from mofan.indicators.builtin import load_templates
from mofan.indicators.models import IndicatorVersion
from tests.factories import PASSWORD, MemberFactory, PartyOrgFactory
from tests.world import active_campaign, committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def fits(page: Any) -> None:
    page.wait_for_load_state("load")  # measured with its stylesheet applied
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 392).slice(0, 5)"
        ".map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (page.url, wide)


def test_a_recorded_meeting_changes_the_computed_figure(live_server, new_page, screenshot):
    base = live_server.url
    load_templates()
    committee, (unit_a, unit_b) = committee_with_units(name="乐清（取数）", code="ledger-phone")
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b}
    admin = persona("committee_admin", **where)
    liaison = persona("unit_admin", **where, full_name="李联络")
    branch = PartyOrgFactory(unit=unit_a, name="甲单位第一党支部")
    for name in ("王一", "王二", "王三"):
        MemberFactory(unit=unit_a, party_org=branch, name=name)
    version = IndicatorVersion.objects.get(system__committee=None, system__slug="yueqing-2020")
    today = timezone.localdate()
    campaign = active_campaign(
        committee=committee, version=version, admin=admin, name="模范机关创建", year=today.year
    )
    enrollment = Enrollment.objects.get(campaign=campaign, unit=unit_a)
    self_page = base + reverse("reviews:self", args=[enrollment.pk])

    page = new_page(viewport=PHONE)
    log_in(page, base, liaison.username, PASSWORD)
    page.goto(self_page + "#leaf-1.2.2")
    leaf = page.locator("#leaf-1\\.2\\.2")
    figure = leaf.locator(".ledger-figures")
    expect(figure).to_contain_text("党支部集体学习：每个党支部每年不少于 12 次")
    expect(figure).to_contain_text("1 个考核期次中 0 个达到")
    expect(figure).to_contain_text(f"甲单位第一党支部（{today.year}-01-01 起：0/12）")
    expect(figure).to_contain_text("查看依据的台账记录（0 条）")
    fits(page)
    screenshot(page, "ledger-390-before")

    # --- the liaison records a study meeting, tapping who came --------------------------------
    page.goto(base + reverse("activities:new"))
    page.get_by_label("党组织").select_option(label="甲单位第一党支部")
    page.get_by_label("活动类型").select_option(label="集体学习")
    page.locator("#start-record").click()
    page.get_by_label("日期").fill(today.isoformat())
    page.get_by_label("主题").fill("学习党的二十届三中全会精神")
    roster = page.locator("#roster")
    roster.get_by_text("王一").click()
    roster.get_by_text("王二").click()
    fits(page)
    screenshot(page, "ledger-390-record")
    page.locator("#save-record").click()
    expect(page.locator(".messages")).to_contain_text("学习党的二十届三中全会精神")
    record = ActivityRecord.objects.get()
    assert record.participations.filter(present=True).count() == 2

    # --- the figure on the self-evaluation followed ------------------------------------------
    page.goto(self_page + "#leaf-1.2.2")
    figure = page.locator("#leaf-1\\.2\\.2 .ledger-figures")
    expect(figure).to_contain_text(f"甲单位第一党支部（{today.year}-01-01 起：1/12）")
    expect(figure).to_contain_text("查看依据的台账记录（1 条）")
    fits(page)
    screenshot(page, "ledger-390-after")
    figure.get_by_role("link", name="查看依据的台账记录（1 条）").click()
    expect(page.locator("main")).to_contain_text("学习党的二十届三中全会精神")
    expect(page.locator("main")).to_contain_text(f"统计期间 {today.year}-01-01")
    fits(page)
    screenshot(page, "ledger-390-drill")
