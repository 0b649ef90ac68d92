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


REAL = Path(__file__).parents[1] / "indicators" / "corpus" / "27-real-study-do-member-scoring.txt"


def test_the_clerk_edits_a_scale_under_parameters_on_a_phone(live_server, new_page, screenshot):
    width = 390  # the desktop layout is walked by the test above
    committee = CommitteeFactory(name="参数测试工委", code=f"param-{width}")
    admin = persona("committee_admin", committee=committee)
    page = new_page()
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, live_server.url, admin.username, PASSWORD)
    page.goto(f"{live_server.url}/indicators/from-document/")
    page.get_by_label("方案文件（.docx、.pdf 或 .txt）").set_input_files(str(REAL))
    page.get_by_role("button", name="读取并核对").click()

    row = page.locator("tr", has=page.get_by_label("标题 1.1", exact=True))
    params = row.locator("details.doc-params")
    params.locator("summary").click()
    amount = params.get_by_label("累计扣分（第1、2…次）").nth(1)
    expect(amount).to_have_value("3、5、10")
    amount.fill("2、4、10")
    screenshot(page, f"doc-import-params-{width}")
    page.get_by_role("button", name="接受并保存为草稿").click()
    expect(page.locator("#version-status")).to_have_text("草稿")
    from mofan.indicators.models import IndicatorNode

    node = IndicatorNode.objects.get(version__system__committee=committee, code="1.1")
    assert [r.get("scale") for r in node.method["rules"]][1] == [2, 4, 10]
