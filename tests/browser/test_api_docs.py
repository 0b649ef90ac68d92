"""The interactive API docs in headless Chromium (issue 19 point 6): /api/v1/docs/ runs the
vendored Swagger UI (no CDN, nothing fetched from outside) under the strict CSP, shows every
operation with its Chinese summary, and "Try it out" calls the API with a token typed into
"Authorize". `new_page` proves no CSP violation, no JavaScript error and no broken asset; this
test also checks that no request left the live server and no console error was logged."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mofan.api.api import api
from tests.api.helpers import token_of
from tests.world import committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _operation_count() -> int:
    paths = api.get_openapi_schema()["paths"]
    return sum(len(item) for item in paths.values())


def test_swagger_ui_renders_the_operations_and_tries_one_with_a_token(
    live_server, new_page, browser_log, screenshot
):
    _committee, (unit_a, _unit_b) = committee_with_units(name="测试工委", code="apidocs")
    admin = persona("unit_admin", unit_a=unit_a, full_name="甲联络员")
    secret = token_of(admin, scope="read", name="文档试用")
    page = new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, live_server.url, admin.username)
    page.goto(f"{live_server.url}/api/v1/docs/")

    ui = page.locator("#api-docs-interactive")
    expect(ui.locator(".opblock-summary")).to_have_count(_operation_count())
    expect(ui).to_be_visible()
    expect(page.locator("#api-docs-listing")).to_be_hidden()
    expect(ui).to_contain_text("同步单位党员花名册")
    expect(ui).to_contain_text("单位列表")

    # Authorize with the token, then try GET /units: the caller's own unit comes back.
    ui.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input[type=text], input[type=password]").first.fill(secret)
    dialog.locator("button.modal-btn.authorize").click()
    expect(dialog).to_contain_text("Authorized")
    dialog.locator("button.modal-btn.btn-done").click()
    block = ui.locator(".opblock", has=page.locator('[data-path="/api/v1/units"]')).first
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    live = block.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status").first).to_contain_text("200")
    expect(live).to_contain_text("甲单位")
    expect(block.locator(".curl-command")).to_contain_text(f"Authorization: Bearer {secret}")
    screenshot(page, "api-docs-swagger")

    # A write's body comes pre-filled with the schema's example.
    roster = ui.locator(".opblock", has=page.locator('[data-path="/api/v1/roster/members"]')).first
    roster.locator(".opblock-summary").click()
    expect(roster).to_contain_text("同步单位党员花名册")
    roster.get_by_role("button", name="Try it out").click()
    expect(roster.locator("textarea.body-param__text")).to_have_value(re.compile("综合处党支部"))

    outside = [u for u in requests if not u.startswith(live_server.url)]
    assert not outside, outside
    errors = [m for m in browser_log.console if m.startswith("error:")]
    assert not errors, errors


def test_without_javascript_the_server_listing_is_the_page(live_server, new_page):
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator("#api-docs-listing")).to_be_visible()
    expect(page.locator("#api-docs-listing")).to_contain_text("同步单位党员花名册")
    expect(page.locator("#api-docs-interactive")).to_be_hidden()
