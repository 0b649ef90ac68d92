"""One nomination through 公示 to naming (issue 16 point 7), in headless Chromium.

Unit A's 联络员 nominates its first 党支部 for the committee's 示范党支部 selection on a 390 px
phone: the form shows what the records say (the 建档立卡 card) before it is sent. The committee's
clerk, at a desk, closes nominations, scores the candidate, records the 纪检监察 reply with its
document and publishes the 公示 list. Unit B's 联络员 sees the list and lodges an objection, which
the clerk finds not upheld. Naming before the 公示 days have passed is refused; after them the
clerk names with a document number; the list, the programme and the unit's page then say 已命名.
`new_page` proves no CSP violation or script error."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from mofan.honours.models import HonourProgramme, Nomination, NominationState, Objection
from tests.factories import PASSWORD
from tests.honours.world import build_world, open_programme, programme
from tests.world import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


def fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_nomination_goes_through_publicity_to_naming(live_server, new_page, screenshot):
    base = live_server.url
    w = build_world()
    p = open_programme(
        programme(w, name="“七一”示范党支部", kind="party_org", quota_value=1),
        w.users["committee_admin"],
    )
    detail = base + reverse("honours:programme_detail", args=[p.pk])

    # --- unit A's liaison nominates its branch, on a phone -------------------------------------
    phone = new_page(viewport=PHONE)
    log_in(phone, base, w.users["unit_admin"].username, PASSWORD)
    phone.goto(detail)
    fits(phone)
    phone.get_by_role("button", name="推荐", exact=True).click()
    phone.get_by_label("党组织").select_option(label=w.org_a.name)
    phone.get_by_role("button", name="查看记录数据").click()
    expect(phone.get_by_text("符合参评条件。")).to_be_visible()
    fits(phone)
    phone.get_by_label("推荐理由（主要事迹）").fill("坚持“三会一课”，组织生活规范。")
    screenshot(phone, "honours-nominate-phone")
    phone.get_by_role("button", name="提交推荐").click()
    expect(phone.locator("h2")).to_contain_text(w.org_a.name)
    expect(phone.locator("h2 .badge")).to_have_text("已推荐")
    fits(phone)
    nomination = Nomination.objects.get(programme=p)
    assert nomination.unit == w.unit_a and nomination.party_org == w.org_a
    assert nomination.record, "the nomination keeps what the records said"

    # --- the clerk reviews, records the 纪检监察 reply and publishes the list ------------------
    desk = new_page(viewport=DESK)
    log_in(desk, base, w.users["committee_admin"].username, PASSWORD)
    desk.goto(detail)
    desk.get_by_role("button", name="结束推荐，开始评审").click()
    expect(desk.locator("h2 .badge")).to_have_text("评审中")
    desk.get_by_role("link", name=nomination.candidate_name).click()
    desk.get_by_label("评审得分").fill("92")
    desk.get_by_role("button", name="保存评分").click()
    expect(desk.get_by_text("评审得分：92")).to_be_visible()
    desk.get_by_label("征求意见部门").select_option(label="纪检监察")
    desk.get_by_label("来源文件（文号）").fill("纪工委函〔2026〕3号")
    desk.get_by_role("button", name="记录意见").click()
    expect(desk.get_by_text("纪工委函〔2026〕3号")).to_be_visible()
    desk.goto(detail)
    expect(desk.get_by_text("拟入选：" + nomination.candidate_name)).to_be_visible()
    desk.get_by_role("button", name="发布公示").click()
    expect(desk.locator("h2 .badge")).to_have_text("公示中")

    # --- unit B's liaison sees the 公示 list and objects ---------------------------------------
    other = new_page(viewport=PHONE)
    log_in(other, base, w.users["outsider"].username, PASSWORD)
    other.goto(base + reverse("honours:publicity", args=[p.pk]))
    row = other.locator("tr", has_text=nomination.candidate_name)
    expect(row).to_contain_text("公示中")
    row.get_by_label("异议内容").fill("该支部上半年组织生活记录不全。")
    row.get_by_role("button", name="提出异议").click()
    expect(other.get_by_text("该支部上半年组织生活记录不全。")).to_be_visible()
    fits(other)
    assert Objection.objects.filter(nomination=nomination, upheld=None).count() == 1

    # --- the clerk resolves the objection and names --------------------------------------------
    desk.goto(base + reverse("honours:nomination_detail", args=[nomination.pk]))
    desk.get_by_label("处理结果").select_option(label="异议不成立")
    desk.get_by_label("处理意见").fill("经核查，记录齐全。")
    desk.get_by_role("button", name="处理").click()
    expect(desk.get_by_text("异议不成立：经核查，记录齐全。")).to_be_visible()
    desk.goto(detail)
    desk.get_by_label("命名文号").fill("工委发〔2026〕12号")
    desk.get_by_role("button", name="命名", exact=True).click()
    expect(desk.get_by_text("公示期未满，不能命名。")).to_be_visible()
    expect(desk.locator("h2 .badge")).to_have_text("公示中")
    # the 公示 days pass
    p.refresh_from_db()
    days = p.publicity_end - p.publicity_start
    HonourProgramme.objects.filter(pk=p.pk).update(
        publicity_start=timezone.localdate() - days, publicity_end=timezone.localdate()
    )
    desk.goto(detail)
    desk.get_by_label("命名文号").fill("工委发〔2026〕12号")
    desk.get_by_role("button", name="命名", exact=True).click()
    expect(desk.locator("h2 .badge")).to_have_text("已命名")
    expect(desk.locator("tr", has_text=nomination.candidate_name)).to_contain_text("已命名")
    screenshot(desk, "honours-named-desk")
    nomination.refresh_from_db()
    assert nomination.state == NominationState.NAMED

    # --- the list and the unit's page say so, for the unit too ---------------------------------
    phone.goto(base + reverse("honours:publicity", args=[p.pk]))
    expect(phone.locator("h2")).to_contain_text("命名名单")
    expect(phone.get_by_text("工委发〔2026〕12号")).to_be_visible()
    expect(phone.locator("tr", has_text=nomination.candidate_name)).to_contain_text("已命名")
    fits(phone)
    phone.goto(base + reverse("organizations:unit_detail", args=[w.unit_a.pk]))
    history = phone.locator("#honour-history")
    expect(history).to_contain_text(p.name)
    expect(history).to_contain_text("工委发〔2026〕12号")
    expect(history.locator("tr", has_text=p.name)).to_contain_text("已命名")
    fits(phone)
