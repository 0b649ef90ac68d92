"""The activity import in headless Chromium, on a desktop and on a 390 px phone (issue 19 point
1): the unit's 联络员 uploads a term's sheet, first a faulty one (the problems come back by row,
nothing queued), then the corrected one; the import's page shows it queued and, as the worker
records the rows, that they were recorded, without a reload; the ledger lists them. No page is
wider than the phone's screen; `new_page` proves no CSP violation or script error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from mofan.activities import importing
from mofan.activities.models import ActivityImport, ActivityRecord
from tests.activities.test_import import row, sheet
from tests.factories import PASSWORD, MemberFactory, PartyOrgFactory
from tests.world import committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_liaison_imports_a_term_and_watches_it_recorded(
    size, live_server, new_page, screenshot, tmp_path: Path
):
    base = live_server.url
    committee, (unit_a, unit_b) = committee_with_units(name="测试工委（导入）", code=f"imp-{size}")
    liaison = persona("unit_admin", committee=committee, unit_a=unit_a, unit_b=unit_b)
    branch = PartyOrgFactory(unit=unit_a, name="甲单位第一支部")
    for name in ("王一", "王二", "王三"):
        MemberFactory(unit=unit_a, party_org=branch, name=name)
    faulty = tmp_path / "第一学期（有误）.xlsx"
    faulty.write_bytes(sheet(row(), row(**{importing.PRESENT: "王一、张无名"})))
    good = tmp_path / "第一学期.xlsx"
    good.write_bytes(sheet(row(), row(**{importing.TOPIC: "第二次", importing.ABSENT: ""})))

    page = new_page(viewport=SIZES[size])
    log_in(page, base, liaison.username, PASSWORD)
    page.goto(base + reverse("activities:import"))
    fits(page, size)
    page.locator("#id_file").set_input_files(str(faulty))
    page.get_by_role("button", name="校验并导入").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("第 3 行")
    expect(errors).to_contain_text("张无名")
    fits(page, size)
    screenshot(page, f"activity-import-{size}-errors")
    assert not ActivityImport.objects.exists()

    page.locator("#id_file").set_input_files(str(good))
    page.get_by_role("button", name="校验并导入").click()
    expect(page.locator(".messages")).to_contain_text("已校验 2 条记录，正在后台导入")
    # the worker records the rows while the page polls; it then shows the result by itself
    expect(page.locator("#job-result")).to_have_text("已导入 2 条活动记录。")
    expect(page.locator("#job-state")).to_have_text("已完成")
    fits(page, size)
    screenshot(page, f"activity-import-{size}-done")
    assert ActivityRecord.objects.filter(unit=unit_a).count() == 2

    page.locator("#job-ledger").click()
    expect(page.locator("main")).to_contain_text("第二次")
    page.goto(base + reverse("activities:import"))
    expect(page.locator("#recent-imports")).to_contain_text("第一学期.xlsx")
    expect(page.locator("#recent-imports")).to_contain_text("已完成")
    fits(page, size)
    screenshot(page, f"activity-import-{size}-list")


def fits(page: Any, size: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], (page.url, width)
