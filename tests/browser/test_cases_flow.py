"""A brand case from its unit to 优秀案例 (issue 17 point 7), in headless Chromium.

Unit A's 联络员, on a 390 px phone, writes a case for the committee's open call (a summary over
300 characters is refused with everything typed kept), saves it and submits it. The committee's
clerk, at a desk, ends the collection, draws the experts from the committee's reviewers; the
experts score through the services; the clerk closes the scoring, sees the ranking and
publishes; the case is then on the 优秀案例 page and the unit's page. `new_page` proves no CSP
violation or script error."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from mofan.accounts.access import actor_for
from mofan.cases import panel
from mofan.cases.models import Case, CaseCall
from tests.cases.world import build_world, new_call, split, step, submitted
from tests.factories import PASSWORD
from tests.world import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


def fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_unit_submits_a_case_and_the_committee_selects_it(live_server, new_page, screenshot):
    base = live_server.url
    w = build_world()
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin), "open", admin)
    submitted(call, w.unit_b, w.users["outsider"], "乙单位案例")
    detail = base + reverse("cases:call_detail", args=[call.pk])

    # --- unit A's liaison writes and submits its case, on a phone ----------------------------
    phone = new_page(viewport=PHONE)
    log_in(phone, base, w.users["unit_admin"].username, PASSWORD)
    phone.goto(detail)
    fits(phone)
    phone.get_by_role("button", name="新建案例").click()
    phone.get_by_label("案例标题").fill("“红色引擎”驱动业务融合")
    phone.get_by_label("品牌名称").fill("红色引擎")
    phone.get_by_label("案例摘要（不超过300字）").evaluate(
        "(el) => { el.removeAttribute('maxlength'); el.value = '摘'.repeat(301); }"
    )
    phone.get_by_label("案例正文").fill("一、基本做法\n健全机制。\n二、主要成效\n成效显著。")
    phone.get_by_role("button", name="保存").click()
    expect(phone.get_by_text("不超过 300 字符")).to_be_visible()
    expect(phone.get_by_label("案例正文")).to_have_value(
        "一、基本做法\n健全机制。\n二、主要成效\n成效显著。"
    )
    phone.get_by_label("案例摘要（不超过300字）").fill("以党建引领业务，形成可复制的经验。")
    screenshot(phone, "cases-write-phone")
    phone.get_by_role("button", name="保存").click()
    expect(phone.locator("h2")).to_contain_text("红色引擎")
    expect(phone.locator("h2 .badge").first).to_have_text("未报送")
    fits(phone)
    phone.get_by_role("button", name="报送").click()
    expect(phone.locator("h2 .badge").first).to_have_text("已报送")
    case = Case.objects.get(unit=w.unit_a)
    assert case.state == "submitted"

    # --- the clerk ends the collection and draws the experts ----------------------------------
    desk = new_page(viewport=DESK)
    log_in(desk, base, admin.username, PASSWORD)
    desk.goto(detail)
    desk.get_by_role("button", name="结束征集，开始评审").click()
    expect(desk.locator("h2 .badge")).to_have_text("评审中")
    desk.get_by_label("抽取专家人数").fill(str(len(w.pool)))
    desk.get_by_label("随机种子").fill("browser")
    desk.get_by_role("button", name="抽取评审专家").click()
    expect(desk.get_by_text("随机种子：browser")).to_be_visible()

    # --- the experts score (through the services) ----------------------------------------------
    call = CaseCall.objects.get(pk=call.pk)
    other = Case.objects.get(unit=w.unit_b)
    for seat in call.panel.seats.select_related("expert"):
        for target, total in ((case, 90), (other, 70)):
            if not panel.recused(seat, target):
                panel.case_score(
                    case=target, points=split(total), comment="", actor=actor_for(seat.expert)
                )

    # --- the clerk closes the scoring and publishes ----------------------------------------------
    desk.goto(detail)
    desk.get_by_role("button", name="结束专家评分").click()
    expect(desk.get_by_text("拟入选：“红色引擎”驱动业务融合")).to_be_visible()
    screenshot(desk, "cases-ranking-desk")
    desk.get_by_role("button", name="公布优秀案例").click()
    expect(desk.locator("h2 .badge")).to_have_text("已评选")
    expect(desk.get_by_role("button", name="下载优秀案例汇编（DOCX）")).to_be_visible()

    # --- the unit sees its case among the 优秀案例 -----------------------------------------------
    phone.goto(base + reverse("cases:excellent"))
    expect(phone.get_by_role("link", name="“红色引擎”驱动业务融合")).to_be_visible()
    expect(phone.get_by_text("乙单位案例")).to_have_count(0)
    fits(phone)
    phone.goto(base + reverse("organizations:unit_detail", args=[w.unit_a.pk]))
    expect(phone.locator("#brand-cases")).to_contain_text("红色引擎")
