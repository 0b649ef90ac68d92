"""我的活动 on a 390 px phone (issue 15 point 2, part), in headless Chromium: the unit's 联络员
links 王一's roster row to 王一's 党员 account from the roster; 王一 opens 我的活动 from the menu,
records a volunteer service (a date in the future is refused and what was typed stays), and sees
it listed; the liaison sees it in the ledger. No page is wider than the screen, the buttons a
thumb taps are large, no photo is asked for, and `new_page` proves no CSP violation or script
error."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.activities.models import ActivityRecord
from tests.factories import PASSWORD, MemberFactory, PartyOrgFactory, make_user
from tests.world import committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
MIN_TARGET = 44  # px: the height of a comfortable touch target


def fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def tall_enough(locator: Any) -> None:
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TARGET, box


def test_a_member_records_a_volunteer_service_on_a_phone(live_server, new_page, screenshot):
    base = live_server.url
    committee, (unit_a, unit_b) = committee_with_units(name="测试工委（手机）", code="mine-phone")
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b}
    liaison = persona("unit_admin", **where, full_name="李联络")
    branch = PartyOrgFactory(unit=unit_a, name="甲单位第一党支部")
    wang = MemberFactory(unit=unit_a, party_org=branch, name="王一")
    MemberFactory(unit=unit_a, party_org=branch, name="王二")
    account = make_user(Role.MEMBER, unit=unit_a, username="wangyi", full_name="王一")

    # --- the liaison links 王一's row to 王一's account, from the roster -----------------------
    page = new_page(viewport=PHONE)
    log_in(page, base, liaison.username, PASSWORD)
    page.goto(base + reverse("organizations:member_list", args=[unit_a.pk]))
    fits(page)
    page.locator("tr", has_text="王一").get_by_role("link", name="关联").click()
    expect(page.locator("#linked-account")).to_have_text("尚未关联账号。")
    fits(page)
    page.get_by_label("党员账号").select_option(label="王一（wangyi）")
    page.locator("#link-account").click()
    expect(page.locator(".messages")).to_contain_text("已关联账号：wangyi")
    expect(page.locator("#linked-account")).to_contain_text("wangyi")
    fits(page)
    screenshot(page, "mine-390-link")
    assert User.objects.get(pk=account.pk).member_id == wang.pk

    # --- 王一 records a volunteer service -----------------------------------------------------
    phone = new_page(viewport=PHONE)
    log_in(phone, base, "wangyi", PASSWORD)
    phone.locator(".nav-toggle").click()
    phone.locator("#main-nav").get_by_role("link", name="我的活动").click()
    expect(phone.locator("#mine-list")).to_contain_text("还没有记录")
    fits(phone)
    tall_enough(phone.locator("#new-own-record"))
    phone.locator("#new-own-record").click()
    kinds = phone.locator("#mine-kinds")
    for name in ("志愿服务", "联系点调研", "谈心谈话", "培训", "调研文章"):
        expect(kinds).to_contain_text(name)
    expect(kinds).not_to_contain_text("支委会")
    fits(phone)
    volunteer = kinds.locator('[data-kind="volunteer"]')
    tall_enough(volunteer)
    screenshot(phone, "mine-390-kinds")
    volunteer.click()
    expect(phone.locator("h2")).to_have_text("记录：志愿服务")
    expect(phone.locator("main")).to_contain_text("王一")
    assert phone.locator('input[type="file"]').count() == 0  # no photo is ever asked for
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    phone.get_by_label("日期").fill(tomorrow.isoformat())
    phone.get_by_label("主题").fill("社区文明创建志愿服务")
    phone.get_by_label("学时").fill("2.5")
    phone.get_by_label("主要内容（可不填）").fill("清理楼道小广告，劝导文明停车。")
    fits(phone)
    screenshot(phone, "mine-390-form")
    tall_enough(phone.locator("#save-own-record"))
    phone.locator("#save-own-record").click()
    expect(phone.locator(".form-errors")).to_contain_text("日期不能晚于今天")
    expect(phone.get_by_label("主题")).to_have_value("社区文明创建志愿服务")
    fits(phone)
    phone.get_by_label("日期").fill(timezone.localdate().isoformat())
    phone.locator("#save-own-record").click()
    expect(phone.locator(".messages")).to_contain_text("已记录：社区文明创建志愿服务")
    listed = phone.locator("#mine-list li").first
    expect(listed).to_contain_text("社区文明创建志愿服务")
    expect(listed).to_contain_text("志愿服务 · 2.5 学时 · 本人记录")
    tall_enough(listed.locator("a"))
    fits(phone)
    screenshot(phone, "mine-390-listed")

    record = ActivityRecord.objects.get()
    assert (record.party_org, record.created_by_id) == (branch, account.pk)
    assert list(record.participations.values_list("member_id", flat=True)) == [wang.pk]

    # --- the liaison sees it in the unit's ledger ---------------------------------------------
    page.goto(base + reverse("activities:ledger"))
    expect(page.locator("#ledger-table")).to_contain_text("社区文明创建志愿服务")
