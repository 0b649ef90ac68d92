"""The API token page in headless Chromium (issue 19 point 5): a unit's 联络员 opens API 令牌
from the menu, makes a read-write token, sees its secret once, uses it, sees the last use, and
revokes it; the docs page shows the operations. `new_page` proves no CSP violation and no
JavaScript error."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from mofan.accounts.models import ApiToken
from tests.world import committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_token_is_made_shown_once_used_and_revoked(live_server, new_page, screenshot):
    _committee, (unit_a, _unit_b) = committee_with_units(name="测试工委", code="api")
    admin = persona("unit_admin", unit_a=unit_a, full_name="甲联络员")
    page = new_page()
    log_in(page, live_server.url, admin.username)
    page.get_by_role("link", name="API 令牌").click()
    page.get_by_label("令牌名称").fill("组织部花名册")
    page.get_by_label("权限").select_option("read_write")
    page.get_by_role("button", name="创建").click()
    secret = page.locator("#api-token-secret").inner_text()
    assert secret.startswith("mf_")
    screenshot(page, "api-token-created")
    assert (
        Client().get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).json()["count"]
        == 1
    )
    page.goto(f"{live_server.url}/accounts/tokens/")
    expect(page.locator("main")).not_to_contain_text(secret)
    row = page.get_by_role("row", name="组织部花名册")
    expect(row).to_contain_text("读写")
    expect(row).to_contain_text("有效")
    expect(row).not_to_contain_text("从未使用")
    row.get_by_role("button", name="撤销").click()
    expect(page.get_by_role("row", name="组织部花名册")).to_contain_text("已撤销")
    screenshot(page, "api-token-revoked")
    assert ApiToken.objects.get().revoked_at is not None
    page.get_by_role("link", name="API 文档").click()
    expect(page.locator("main")).to_contain_text("同步单位党员花名册")
    screenshot(page, "api-docs")
