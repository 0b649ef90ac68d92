"""Issue 21's browser test: the committee admin imports 乐清's plan document, fixes a title on
the review page and accepts it as a draft in the editor."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, CommitteeFactory
from tests.world import log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = Path(__file__).parents[1] / "indicators" / "doc_import" / "seeds" / "yueqing-2020.txt"


def test_upload_review_fix_and_accept(live_server, new_page, tmp_path):
    committee = CommitteeFactory(name="导入测试工委", code="imp-test")
    admin = persona("committee_admin", committee=committee)
    page = new_page()
    log_in(page, live_server.url, admin.username, PASSWORD)

    page.goto(f"{live_server.url}/indicators/")
    page.get_by_role("link", name="从文档导入").click()
    page.get_by_label("方案文件（.docx、.pdf 或 .txt）").set_input_files(str(SEED))
    page.get_by_role("button", name="读取并核对").click()

    # Side by side: the source with its read spans, the tree with 5 types of 100 points.
    expect(page.locator(".doc-source mark.hl-points").first).to_be_visible()
    expect(page.get_by_label("分值 1", exact=True)).to_have_value("100")
    expect(page.get_by_label("分值 4.1.4", exact=True)).to_have_value("12")
    expect(page.locator(".doc-unrecognised li").first).to_contain_text("第 2 行")
    page.screenshot(path=str(tmp_path / "review.png"), full_page=False)

    page.get_by_label("标题 1", exact=True).fill("政治型机关")
    page.get_by_role("button", name="接受并保存为草稿").click()
    expect(page.locator("#version-status")).to_have_text("草稿")
    expect(page.locator("#grand-total")).to_have_text("500")
    expect(page.locator("#problem-count")).to_have_text("0")
    expect(page.locator("body")).to_contain_text("政治型机关")
