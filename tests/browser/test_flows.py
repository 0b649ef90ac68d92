"""The platform's key flows, driven through headless Chromium against the live server.

Every test also proves, through the `new_page` fixture, that no page reported a Content Security
Policy violation or an uncaught JavaScript error.
"""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.factories import PASSWORD, PartyOrgFactory, UnitFactory
from tests.world import log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Neu-Passw0rt#2026"


@pytest.fixture
def units(committee, unit_a, unit_b):
    """The standard committee's units A and B (tests/conftest.py), and C and D."""
    made = {"a": unit_a, "b": unit_b}
    for key, name in [("c", "丙单位"), ("d", "丁单位")]:
        made[key] = UnitFactory(committee=committee, name=name, short_name=name[0])
    for unit in made.values():
        PartyOrgFactory(unit=unit, name=f"{unit.short_name}单位机关党支部")
    return made


def test_unit_admin_changes_initial_password_and_sees_only_own_unit(live_server, units, new_page):
    user = persona("unit_admin", unit_a=units["a"], must_change_password=True)
    page = new_page()

    log_in(page, live_server.url, user.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.get_by_role("alert")).to_contain_text("这是您的初始密码，请先设置自己的密码。")

    # A weak password: refused, with the reason in Chinese right under the field.
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label(re.compile("^新密码")).fill("12345678")
    page.get_by_label("确认新密码").fill("12345678")
    page.get_by_role("button", name="保存新密码").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    new1 = page.locator("#id_new_password1")
    expect(new1).to_have_attribute("aria-invalid", "true")
    errors = page.locator("#id_new_password1 ~ .field-errors .field-error")
    expect(errors.first).to_be_visible()
    expect(errors).to_contain_text(["密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"])
    # The input points at its error and help text, and both ids exist on the page.
    described_by = (new1.get_attribute("aria-describedby") or "").split()
    assert described_by, "aria-describedby missing on the invalid field"
    for element_id in described_by:
        expect(page.locator(f"#{element_id}")).to_have_count(1)
    expect(page.locator("#id_new_password1_error")).to_contain_text("密码须包含")

    # A valid one: saved, and the user lands on the home page.
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label(re.compile("^新密码")).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".messages")).to_contain_text("密码已修改。")
    expect(page.locator("main h2")).to_contain_text("您好")

    # The unit list shows the own unit only; another unit's page is a 404.
    page.goto(f"{live_server.url}/org/units/")
    expect(page.locator("#unit-rows")).to_contain_text("甲单位")
    expect(page.locator("main")).not_to_contain_text("乙单位")
    response = page.goto(f"{live_server.url}/org/units/{units['b'].pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("main h2")).to_have_text("页面不存在")
    expect(page.locator("main")).not_to_contain_text("乙单位")


def test_five_wrong_passwords_lock_the_account(live_server, units, new_page):
    user = persona("unit_admin", unit_a=units["a"])
    page = new_page()
    error = page.locator("#login-error")

    for attempt in range(1, 6):
        log_in(page, live_server.url, user.username, f"wrong-{attempt}")
        if attempt < 5:
            expect(error).to_contain_text("用户名或密码错误")
    expect(error).to_contain_text("账号已锁定")

    log_in(page, live_server.url, user.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(error).to_contain_text("已被锁定")


def test_committee_admin_creates_accounts_for_three_units_and_downloads_passwords(
    live_server, units, new_page, screenshot, tmp_path
):
    admin = persona("committee_admin", committee=units["a"].committee, full_name="王管理")
    page = new_page()
    log_in(page, live_server.url, admin.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("main h2")).to_have_text("您好，王管理")
    screenshot(page, "committee-admin-home")

    page.goto(f"{live_server.url}/manage/accounts/bulk/units/")
    # Units are picked through the chooser: typed, then the one match taken.
    chooser = page.locator("#id_units_options [data-chooser-pick]")
    field = page.locator("[data-chooser-input]")
    for name in ["甲单位", "乙单位", "丙单位"]:
        field.press_sequentially(name)
        expect(chooser).to_have_count(1)
        chooser.first.click()
    expect(page.locator("[data-chooser-chosen] input:checked")).to_have_count(3)
    page.get_by_label("单位联络员", exact=True).check()
    page.get_by_label("单位领导", exact=True).uncheck()
    page.get_by_role("button", name="创建账号").click()

    # The worker creates them in the background; the page follows it and then offers the
    # passwords to collect.
    expect(page).to_have_url(re.compile(r"/manage/accounts/bulk/\d+/$"))
    expect(page.locator("#batch-result")).to_have_text("已创建 3 个账号。", timeout=15_000)
    screenshot(page, "committee-admin-batch-done")
    page.locator("#batch-collect").click()
    expect(page).to_have_url(re.compile(r"/manage/accounts/credentials/$"))
    rows = page.locator("table.credentials tbody tr")
    expect(rows).to_have_count(3)
    shown = {}
    for i in range(3):
        cells = rows.nth(i).locator("td")
        shown[cells.nth(2).inner_text()] = cells.nth(4).inner_text()
        expect(cells.nth(3)).to_have_text("单位联络员")
    expect(page.locator("table.credentials")).to_contain_text("丙单位")
    expect(page.locator("table.credentials")).not_to_contain_text("丁单位")

    with page.expect_download() as download_info:
        page.locator("#download-credentials").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == ("单位", "姓名", "用户名", "角色", "初始密码")
    downloaded = {row[2]: row[4] for row in table[1:]}
    assert len(downloaded) == 3
    assert all(password for password in downloaded.values())
    assert downloaded == shown

    # Shown once, downloaded once: after a reload neither the passwords nor the button remain.
    page.reload()
    expect(page.locator("main")).to_contain_text("初始密码只显示一次，现已不再显示。")
    expect(page.locator("#download-credentials")).to_have_count(0)
    content = page.locator("main").inner_text()
    for password in downloaded.values():
        assert password not in content

    # An initial password works, and leads straight to the password change page.
    username, password = sorted(downloaded.items())[0]
    other = new_page()
    log_in(other, live_server.url, username, password)
    expect(other).to_have_url(re.compile(r"/accounts/password/$"))
    expect(other.get_by_role("alert")).to_contain_text("这是您的初始密码")


def test_unit_search_filters_through_htmx_under_the_strict_csp(
    live_server, units, new_page, screenshot, browser_log
):
    admin = persona("committee_admin", committee=units["a"].committee)
    page = new_page()
    log_in(page, live_server.url, admin.username, PASSWORD)

    response = page.goto(f"{live_server.url}/org/units/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    rows = page.locator("#unit-rows")
    for name in ["甲单位", "乙单位", "丙单位", "丁单位"]:
        expect(rows).to_contain_text(name)
    screenshot(page, "unit-list")
    assert page.evaluate("typeof htmx") == "object", "htmx did not load from /static/"

    with page.expect_response(
        lambda r: "/org/units/?" in r.url and r.request.headers.get("hx-request") == "true"
    ) as htmx_response:
        page.get_by_placeholder("单位名称、简称或信用代码").fill("丙")
    assert htmx_response.value.status == 200
    expect(rows.locator("tr")).to_have_count(1)
    expect(rows).to_contain_text("丙单位")
    expect(rows).not_to_contain_text("甲单位")
    expect(page.locator("main h2")).to_have_count(1)  # only the rows were swapped in
    expect(page).to_have_url(re.compile(r"[?&]q=%E4%B8%99"))  # hx-push-url

    # The CSP really is enforced, and its violations reach the console this suite watches:
    # an inline script is refused. (Then forget that deliberate violation.)
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.inlineRan = true'; document.body.append(s); }"
        )
    assert page.evaluate("window.inlineRan === undefined")
    assert browser_log.csp_violations()
    browser_log.console.clear()


def test_phone_width_menu_toggle(live_server, units, new_page):
    user = persona("unit_admin", unit_a=units["a"])
    page = new_page(viewport={"width": 375, "height": 740})
    log_in(page, live_server.url, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")

    toggle = page.locator("button.nav-toggle")
    nav = page.locator("#main-nav")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="本单位")).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for name in ["首页", "本单位", "成员名册", "换届提醒"]:
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    toggle.click()
    expect(nav.get_by_role("link", name="本单位")).to_be_hidden()
