"""An expert scores on a 390 px phone (issue 16 point 2), in headless Chromium: drawn onto a
blind panel, the expert opens 专家评审 from the menu, sees one card per candidate (the
nominating unit's name hidden), scores one, changes the score, and the committee's page shows
the progress. No page is wider than the screen; `new_page` proves no CSP violation or script
error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mofan.honours.models import PanelScore
from tests.browser.test_ledger_figures import PHONE, fits
from tests.factories import PASSWORD
from tests.honours.panel_world import build_panel_world, draw_all, to_review
from tests.world import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_expert_scores_blind_on_a_phone(live_server, new_page, screenshot):
    base = live_server.url
    pw = build_panel_world(reviewers=0)
    expert_panel = draw_all(pw)
    to_review(pw)
    expert = pw.w.users["reviewer"]
    page = new_page(viewport=PHONE)
    log_in(page, base, expert.username, PASSWORD)
    page.goto(f"{base}/honours/panels/")
    fits(page)
    page.get_by_role("link", name=pw.programme.title).click()
    cards = page.locator("main article")
    expect(cards).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("乙单位")
    card = page.locator(f"#c{pw.nom_b.pk}")
    card.get_by_label("评分（0–100）").fill("86.5")
    card.get_by_label("评语").fill("事迹扎实")
    card.get_by_role("button", name="保存评分").click()
    expect(page.locator(f"#c{pw.nom_b.pk}").get_by_role("button")).to_have_text("修改评分")
    fits(page)
    screenshot(page, "honours-panel-scoring-phone")
    card = page.locator(f"#c{pw.nom_b.pk}")
    card.get_by_label("评分（0–100）").fill("88")
    card.get_by_role("button", name="修改评分").click()
    expect(page.locator(f"#c{pw.nom_b.pk}").get_by_label("评分（0–100）")).to_have_value("88.00")
    assert [str(s.score) for s in PanelScore.objects.all()] == ["88.00"]
    admin = new_page(viewport=PHONE)
    log_in(admin, base, pw.w.users["committee_admin"].username, PASSWORD)
    admin.goto(f"{base}/honours/programmes/{pw.programme.pk}/")
    expect(admin.locator("#panel")).to_contain_text(f"1/{2 * len(pw.pool) - 1}")
    fits(admin)
    assert expert_panel.seed in admin.locator("#panel").inner_text()
