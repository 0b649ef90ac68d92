"""The campaign edit page on a 390 px phone (issue 14 point 2): the committee admin moves the
考评验收 phase and the submission deadline follows; nothing is wider than the screen, no CSP
violation or script error (the `new_page` fixture)."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from mofan.campaigns.models import Campaign, Phase
from mofan.indicators.builtin import load_templates
from mofan.indicators.models import IndicatorVersion
from tests.factories import PASSWORD
from tests.world import active_campaign, committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_campaign_edit_on_a_phone(live_server, new_page):
    load_templates()
    committee, (unit_a, unit_b) = committee_with_units(name="忻州开发区（测试）", code="xz-phone")
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b}
    admin = persona("committee_admin", **where, full_name="王管理")
    version = IndicatorVersion.objects.get(system__committee=None, system__slug="xinzhou-2022")
    campaign = active_campaign(
        committee=committee, version=version, admin=admin, name="2030年模范机关创建行动", year=2030
    )
    accept = Phase.objects.get(campaign=campaign, key="accept")

    page = new_page(viewport=PHONE)
    log_in(page, live_server.url, admin.username, PASSWORD)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(page.locator("#cadence-label")).to_have_text("分阶段推进")
    page.locator("#edit-link").click()
    # The click starts a navigation: measure the edit page once it has loaded, not the page
    # being torn down (whose documentElement can be null mid-navigation).
    expect(page.get_by_label("考评验收 截止")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("考评验收 截止").fill("2030-11-20")
    page.get_by_label("文件标题").fill("关于开展模范机关创建行动的实施方案")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator(".messages")).to_contain_text("已保存修改")
    expect(page.locator("#submission-deadline")).to_have_text("2030-11-20 23:59")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    accept.refresh_from_db()
    assert accept.ends_on == datetime.date(2030, 11, 20)
    assert Campaign.objects.get(pk=campaign.pk).document_title.startswith("关于开展")
