"""Answering a satisfaction survey on a 390 px phone (issue 17 point 7), in headless Chromium,
without an account: a one-time link opens the form; submitting it with a required question
left out shows a Chinese error and keeps every answer already given; completing it shows the
thank-you page; the same link a second time is refused. No page is wider than the screen and
`new_page` proves no CSP violation or script error."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from mofan.surveys.models import Answer, Response
from mofan.surveys.services import tokens_issue
from tests.surveys.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_respondent_answers_on_a_phone(live_server, new_page, screenshot):
    cache.clear()
    w = build_world()
    [token] = tokens_issue(survey_unit=w.su(w.unit_a), count=1, actor=w.actor("committee_admin"))
    page = new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/s/{token.key}/")
    expect(page.locator("h2")).to_have_text("群众满意度测评")
    fits(page)
    fieldsets = page.locator("fieldset")
    expect(fieldsets).to_have_count(5)
    # the first three questions answered, the fourth (required) left out, a suggestion typed
    for i in range(3):
        fieldsets.nth(i).get_by_label("比较满意").check()
    page.locator("textarea").fill("希望延长窗口服务时间")
    page.get_by_role("button", name="提交").click()
    expect(fieldsets.nth(3)).to_contain_text("此题为必答题。")
    expect(fieldsets.nth(0).get_by_label("比较满意")).to_be_checked()
    expect(page.locator("textarea")).to_have_value("希望延长窗口服务时间")
    fits(page)
    screenshot(page, "survey-390-error")
    assert not Response.objects.exists()

    fieldsets.nth(3).get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交").click()
    expect(page.locator("h2")).to_have_text("提交成功，感谢您的参与！")
    fits(page)
    screenshot(page, "survey-390-thanks")
    assert Response.objects.filter(unit=w.unit_a).count() == 1
    assert Answer.objects.filter(text="希望延长窗口服务时间").count() == 1

    page.goto(f"{live_server.url}/s/{token.key}/")
    expect(page.locator(".form-errors")).to_contain_text("此链接已使用过")
    for i in range(4):
        page.locator("fieldset").nth(i).get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".form-errors")).to_contain_text("此链接已使用过")
    assert Response.objects.count() == 1
