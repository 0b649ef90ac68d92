"""The dashboard and the unit view in headless Chromium (issue 6, part 1): the charts are drawn
(an SVG in every chart box) from the JSON endpoints, with no console error and no CSP
violation (`new_page` checks both), the unit table re-sorts in place, print hides the
navigation and keeps every chart within the A4 text width, and a campaign with no data shows
the empty state instead of charts. The data is `tests/reports/dashboard_fixtures.build_dash`."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mofan.campaigns.models import Campaign, Enrollment
from tests.factories import PASSWORD, UnitFactory
from tests.reports.dashboard_fixtures import build_dash, publish
from tests.world import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4_TEXT_WIDTH_PX = 703  # 210mm − 2 × 12mm at 96 px per inch


def _errors(browser_log) -> list[str]:
    return [m for m in browser_log.console if m.startswith("error")]


def _wait_for_charts(page: Page, root: str) -> None:
    expect(page.locator(root)).to_have_attribute("data-charts", "ready")


def test_the_dashboard_draws_every_chart_and_prints_on_a4(
    live_server, new_page, browser_log, screenshot
):
    d = build_dash()
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, d.user("committee_admin").username, PASSWORD)
    page.goto(f"{live_server.url}/reports/dashboard/{d.campaign.pk}/")
    _wait_for_charts(page, "#dashboard")

    charts = page.locator("#dashboard [data-chart]")
    assert charts.count() == 6
    for i in range(6):
        chart = charts.nth(i)
        expect(chart.locator("svg")).to_have_count(1)
        expect(chart).to_have_class("chart chart-ready")
    # The progress chart's bars carry the counts (SVG text, not an HTML overlay).
    expect(page.locator('[data-chart="progress"] svg text', has_text="2").first).to_be_attached()
    # With the charts drawn, the data tables fold away (still one click away).
    expect(page.locator("#card-progress details.chart-data")).not_to_have_attribute("open", "")
    expect(page.locator("[data-print]")).to_be_visible()
    assert page.locator(".chart-empty").count() == 0
    screenshot(page, "dashboard")

    # Sorting the unit table in place (htmx): by composite score, highest first on a 2nd click.
    header = page.locator('#unit-table a[data-sort="composite"]')
    header.click()
    expect(page.locator('#unit-table th[aria-sort="ascending"]')).to_contain_text("综合得分")
    page.locator('#unit-table a[data-sort="composite"]').click()
    expect(page.locator('#unit-table th[aria-sort="descending"]')).to_contain_text("综合得分")
    assert page.url.endswith("?sort=-composite")
    expect(page.locator("#unit-table tbody tr").first).to_contain_text("甲单位")
    expect(page.locator("#unit-table tbody tr").nth(1)).to_contain_text("乙单位")
    # Back: the whole page comes back from the server and the charts are drawn again.
    page.go_back()
    expect(page.locator('#unit-table th[aria-sort="ascending"]')).to_contain_text("综合得分")
    _wait_for_charts(page, "#dashboard")
    expect(page.locator("#dashboard [data-chart] svg")).to_have_count(6)
    page.go_forward()
    _wait_for_charts(page, "#dashboard")
    expect(page.locator('#unit-table th[aria-sort="descending"]')).to_contain_text("综合得分")

    # Print: navigation gone, every chart inside the A4 text width.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()
    for i in range(6):
        box = charts.nth(i).locator("svg").bounding_box()
        assert box is not None and 0 < box["width"] <= A4_TEXT_WIDTH_PX, box
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    _check_a4(pdf)
    assert not _errors(browser_log), browser_log.console


def _check_a4(pdf: bytes) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        assert 1 <= len(document) <= 4
        for index in range(len(document)):
            width, height = document[index].get_size()
            assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    finally:
        document.close()


def test_a_campaign_with_no_data_shows_the_empty_state(
    live_server, new_page, browser_log, screenshot
):
    d = build_dash()
    empty = Campaign.objects.create(
        committee=d.world.committee,
        name="2025年度（筹备）",
        year=2025,
        indicator_version=d.world.version,
    )
    page = new_page()
    log_in(page, live_server.url, d.user("committee_leader").username, PASSWORD)
    page.goto(f"{live_server.url}/reports/dashboard/{empty.pk}/")
    _wait_for_charts(page, "#dashboard")
    expect(page.locator(".chart-empty")).to_have_count(6)
    expect(page.locator("#card-progress .chart-empty")).to_have_text("暂无数据：本活动尚无参评单位")
    expect(page.locator("#card-histogram .chart-empty")).to_have_text("暂无数据：尚无单位提交自评")
    assert page.locator("#dashboard svg").count() == 0
    expect(page.locator("#unit-table")).to_contain_text("本活动尚无参评单位")
    screenshot(page, "dashboard-empty")

    # Units enrolled but none has submitted: progress drawn, the score charts say why not.
    unit = UnitFactory(committee=d.world.committee, name="己单位", short_name="己")
    Enrollment.objects.create(campaign=empty, unit=unit)
    page.reload()
    _wait_for_charts(page, "#dashboard")
    expect(page.locator('[data-chart="progress"] svg')).to_have_count(1)
    expect(page.locator("#card-grades .chart-empty")).to_have_text("暂无数据：尚无单位提交自评")
    assert not _errors(browser_log), browser_log.console


def test_the_unit_view_draws_its_charts_for_the_unit(
    live_server, new_page, browser_log, screenshot
):
    d = build_dash()
    publish(d)
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, d.user("owner").username, PASSWORD)
    page.goto(f"{live_server.url}/campaigns/enrollments/{d.world.ea.pk}/")
    page.locator("#unit-view-link").click()
    _wait_for_charts(page, "#unit-view")
    for name in ("radar", "weakest", "years"):
        expect(page.locator(f'[data-chart="{name}"] svg')).to_have_count(1)
    expect(page.locator('[data-chart="radar"] svg')).to_contain_text("政治建设")
    expect(page.locator("#unit-composite")).to_have_text("25.50")
    expect(page.locator("#open-items")).to_contain_text("甲单位学习记录不全（逾期）")
    screenshot(page, "unit-view")
    assert not _errors(browser_log), browser_log.console


def test_before_publication_the_unit_view_draws_no_scores(live_server, new_page, browser_log):
    d = build_dash()
    page = new_page()
    log_in(page, live_server.url, d.user("colleague").username, PASSWORD)
    page.goto(f"{live_server.url}/reports/unit/{d.world.ea.pk}/")
    _wait_for_charts(page, "#unit-view")
    expect(page.locator("#not-published")).to_be_visible()
    assert page.locator('[data-chart="radar"]').count() == 0
    expect(page.locator('[data-chart="years"] svg')).to_have_count(1)  # 2023, published
    expect(page.locator("main")).not_to_contain_text("25.50")
    assert not _errors(browser_log), browser_log.console
