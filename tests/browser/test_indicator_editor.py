"""Issue 3's browser test: the committee admin adapts the 乐清 template in the editor."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from mofan.indicators.models import IndicatorVersion
from tests.factories import PASSWORD, CommitteeFactory
from tests.world import log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clone_edit_totals_fix_publish_and_diff(live_server, new_page):
    call_command("load_templates")
    committee = CommitteeFactory(name="乐清测试工委", code="yq-test")
    admin = persona("committee_admin", committee=committee)
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the publish confirmation
    log_in(page, live_server.url, admin.username, PASSWORD)

    page.goto(f"{live_server.url}/indicators/")
    row = page.locator("tr", has_text="yueqing-2020")
    row.get_by_role("button", name="复制为本工委草稿").click()
    expect(page.locator("#version-status")).to_have_text("草稿")
    expect(page.locator("#type-total-1")).to_have_text("100")
    expect(page.locator("#grand-total")).to_have_text("500")
    expect(page.locator("#problem-count")).to_have_text("0")

    # 1.1.1 from 8 to 6: the item's and the type's totals and a warning update without a reload.
    page.evaluate("window.__marker = 'same page'")
    points = page.get_by_label("分值 1.1.1", exact=True)
    points.fill("6")
    points.press("Tab")
    expect(page.locator("#sum-1\\.1")).to_have_text("36")
    expect(page.locator("#type-total-1")).to_have_text("98")
    expect(page.locator("#grand-total")).to_have_text("498")
    expect(page.locator("#problem-count")).to_have_text("1")
    expect(page.locator("#node-1\\.1 .problem")).to_contain_text("分值 38 与下级分值之和 36 不一致")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped; no reload

    # Fix it by giving the two points to 1.1.3.
    other = page.get_by_label("分值 1.1.3", exact=True)
    other.fill("8")
    other.press("Tab")
    expect(page.locator("#problem-count")).to_have_text("0")
    expect(page.locator("#type-total-1")).to_have_text("100")
    expect(page.locator("#node-1\\.1 .problem")).to_have_count(0)

    page.locator("#publish").click()
    expect(page.locator("#version-status")).to_have_text("已发布")
    expect(page.get_by_label("分值 1.1.1", exact=True)).to_have_count(0)  # read-only now

    page.locator("#diff-link").click()
    expect(page).to_have_url(re.compile(r"/diff/$"))
    changed = page.locator("#diff-table tbody tr")
    expect(changed).to_have_count(2)
    first = page.locator('#diff-table tr[data-code="1.1.1"]')
    expect(first.locator(".diff-old")).to_have_text("8")
    expect(first.locator(".diff-new")).to_have_text("6")
    third = page.locator('#diff-table tr[data-code="1.1.3"]')
    expect(third.locator(".diff-old")).to_have_text("6")
    expect(third.locator(".diff-new")).to_have_text("8")
    clone = IndicatorVersion.objects.get(system__committee=committee)
    assert clone.is_published
