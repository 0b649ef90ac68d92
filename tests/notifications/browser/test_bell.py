"""The bell and the notices page in Chromium: the count shows, marking read with htmx updates
the row and the bell without reloading the page, and no CSP violation (new_page checks)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mofan.notifications.models import Notice
from tests.world import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marking_notices_read_in_the_browser(live_server, new_page, unit_admin):
    for title in ("第一条通知", "第二条通知", "第三条通知"):
        Notice.objects.create(recipient=unit_admin, kind="t", title=title, url="/")
    page = new_page()
    log_in(page, live_server.url, unit_admin.username)
    bell = page.locator("#notice-bell")
    expect(bell.locator(".notice-count")).to_have_text("3")

    bell.click()
    expect(page).to_have_url(f"{live_server.url}/notices/")
    expect(page.locator(".notice-unread")).to_have_count(3)
    page.evaluate("window.stayedOnPage = true")

    row = page.locator(".notice", has_text="第二条通知")
    row.get_by_role("button", name="标为已读").click()
    expect(page.locator(".notice-unread")).to_have_count(2)
    expect(page.locator(".notice", has_text="第二条通知")).not_to_have_class(re.compile("unread"))
    expect(page.locator("#notice-bell .notice-count")).to_have_text("2")
    assert page.evaluate("window.stayedOnPage") is True  # no reload

    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".notice-unread")).to_have_count(0)
    expect(page.locator("#notice-bell .notice-count")).to_have_count(0)
    assert page.evaluate("window.stayedOnPage") is True
    assert not Notice.objects.filter(read_at__isnull=True).exists()

    page.get_by_role("link", name="第一条通知").click()
    expect(page).to_have_url(f"{live_server.url}/")
