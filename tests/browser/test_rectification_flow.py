"""A reviewer's finding becomes a problem-list item and is closed (销号), in headless Chromium
(issue 5, point 9): the reviewer records a finding marked 列为问题 on the scoring page; the
committee admin lists it from the board; the unit admin sees it on the home page and reports
measures; the committee accepts them; the unit uploads an evidence file and reports done; the
committee opens the file and verifies. The campaign, the review group and the assignment are
set up in Python; every step of the item is taken in the browser. `new_page` also proves that
no page reported a CSP violation or a JavaScript error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mofan.audit.models import AuditEntry
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations.models import Finding
from mofan.evidence.models import Evidence
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemState
from tests.browser.test_campaign_flow import small_pdf
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import PASSWORD
from tests.world import active_campaign, committee_with_units, log_in, persona, review_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINDING = "党员学习记录缺少三个月，组织生活会记录不完整"
PDF_NAME = "整改情况报告.pdf"


def expect_message(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    committee, (unit_a, _unit_b) = committee_with_units(
        name="岳阳市直机关工委（测试）", code="yueyang-test"
    )
    admin = persona("committee_admin", committee=committee, full_name="王管理")
    liaison = persona("unit_admin", unit_a=unit_a, full_name="李联络")
    reviewer = persona("reviewer", committee=committee, full_name="周评审")
    campaign = active_campaign(
        committee=committee,
        version=small_version(),
        admin=admin,
        name="2026年模范机关创建",
        year=2026,
    )
    enrollment = Enrollment.objects.get(campaign=campaign, unit=unit_a)
    Enrollment.objects.filter(pk=enrollment.pk).update(state=EnrollmentState.SUBMITTED)
    _group, (assignment,) = review_group(
        campaign, "第一评审组", reviewer, enrollments=(enrollment,)
    )
    return {
        "unit_a": unit_a,
        "admin": admin,
        "liaison": liaison,
        "reviewer": reviewer,
        "assignment": assignment,
    }


def test_a_reviewers_finding_is_listed_rectified_and_closed(
    live_server, world, new_page, screenshot
):
    base = live_server.url

    # --- 1. The reviewer records a finding marked 列为问题 on the scoring page. -------------
    review = new_page()
    log_in(review, base, world["reviewer"].username, PASSWORD)
    review.goto(f"{base}/reviews/assignments/{world['assignment'].pk}/")
    findings = review.locator("details", has_text="记录发现")
    findings.locator("summary").click()
    findings.locator("textarea[name=text]").fill(FINDING)
    findings.get_by_label("列为问题（进入问题清单）").check()
    findings.get_by_role("button", name="保存").click()
    expect(review.locator("main")).to_contain_text(FINDING)
    finding = Finding.objects.get(text=FINDING)
    assert finding.is_problem

    # --- 2. The committee admin lists it from the board. ----------------------------------
    admin = new_page()
    log_in(admin, base, world["admin"].username, PASSWORD)
    admin.goto(f"{base}/")
    admin.locator("#home-problems").get_by_role("link", name="问题清单未销号").click()
    expect(admin).to_have_url(re.compile(r"/rectification/board/\?state=unclosed$"))
    card = admin.locator(f'article.finding[data-finding="{finding.pk}"]')
    expect(card).to_contain_text(FINDING)
    expect(card).to_contain_text("甲单位")
    card.get_by_label("严重程度").select_option(label="较重")
    card.get_by_label("整改要求").fill("补齐学习和组织生活记录，建立专人记录制度")
    card.get_by_label("整改时限").fill("2031-03-31")
    card.get_by_role("button", name="列入问题清单").click()
    expect_message(admin, "评审发现已列入问题清单")
    expect(admin.locator("#item-state")).to_have_text("待报整改措施")
    item = ProblemItem.objects.get(origin_type="evaluations.finding", origin_id=finding.pk)
    item_url = f"{base}/rectification/items/{item.pk}/"
    expect(admin).to_have_url(item_url)

    # The board now has the item in its table, and no finding waiting.
    admin.goto(f"{base}/rectification/board/")
    expect(admin.locator(f'tr[data-item="{item.pk}"]')).to_contain_text("甲单位")
    expect(admin.locator("#findings")).to_contain_text("没有待列入的评审发现")
    # Filtering through htmx swaps only the table.
    admin.locator("#filter-state").select_option(label="已销号")
    expect(admin.locator("#item-table")).to_contain_text("没有符合条件的问题")
    expect(admin).to_have_url(re.compile(r"state=closed"))
    admin.locator("#filter-state").select_option(label="待报整改措施")
    expect(admin.locator(f'tr[data-item="{item.pk}"]')).to_be_visible()
    screenshot(admin, "problem-board")

    # --- 3. The unit admin finds it on the home page and reports its measures. ------------
    unit = new_page()
    log_in(unit, base, world["liaison"].username, PASSWORD)
    unit.goto(f"{base}/")
    home_list = unit.locator(f"#home-problems-{world['unit_a'].pk}")
    expect(home_list).to_contain_text("2031-03-31")
    home_list.get_by_role("link", name=re.compile("党员学习记录")).click()
    expect(unit).to_have_url(item_url)
    unit.get_by_label("整改措施").fill("一、补齐记录；二、指定专人每月记录组织生活会。")
    unit.get_by_role("button", name="报送整改措施").click()
    expect_message(unit, "已报送整改措施")
    expect(unit.locator("#item-state")).to_have_text("措施已报")

    # --- 4. The committee accepts the measures. --------------------------------------------
    admin.goto(item_url)
    expect(admin.locator("#item-measures")).to_contain_text("指定专人")
    admin.get_by_role("button", name="同意整改措施").click()
    expect_message(admin, "已同意整改措施")
    expect(admin.locator("#item-state")).to_have_text("整改中")

    # --- 5. The unit uploads its evidence and reports done. -------------------------------
    unit.goto(item_url)
    report = unit.locator("#action-report_done")
    report.get_by_label("整改完成情况").fill("三个月的学习记录已补齐，已建立专人记录制度。")
    report.get_by_label("上传新的佐证材料（可选）").set_input_files(
        files=[{"name": PDF_NAME, "mimeType": "application/pdf", "buffer": small_pdf()}]
    )
    report.get_by_role("button", name="报告整改完成").click()
    expect_message(unit, "已报告整改完成")
    expect(unit.locator("#item-state")).to_have_text("已报完成")
    expect(unit.locator("#item-evidence").get_by_role("link", name=PDF_NAME)).to_be_visible()
    screenshot(unit, "problem-item-reported")

    # --- 6. The committee opens the evidence and verifies: 销号. ---------------------------
    admin.goto(item_url)
    link = admin.locator("#item-evidence").get_by_role("link", name=PDF_NAME)
    with admin.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == PDF_NAME
    admin.get_by_label("验收意见（可选）").fill("整改到位，同意销号。")
    admin.get_by_role("button", name="验收销号").click()
    expect_message(admin, "已验收销号")
    expect(admin.locator("#item-state")).to_have_text("已销号")
    expect(admin.locator("#item-history")).to_contain_text("整改到位，同意销号。")
    expect(admin.locator("form[action$='/act/']")).to_have_count(0)
    screenshot(admin, "problem-item-closed")

    # The unit sees the item closed and no longer among its open items at home.
    unit.goto(f"{base}/")
    expect(unit.locator(f"#home-problems-{world['unit_a'].pk}")).to_contain_text("没有未销号的问题")

    # --- In the database: the item's whole life, its file, audit entries and notices. ------
    item.refresh_from_db()
    assert item.state == ProblemState.CLOSED and item.closed_by == world["admin"]
    assert item.severity == "serious" and str(item.deadline) == "2031-03-31"
    stored = Evidence.objects.get(unit=world["unit_a"])
    assert stored.original_name == PDF_NAME and list(item.evidence.all()) == [stored]
    assert [e.to_state for e in item.events.all()] == [
        "open",
        "measures_submitted",
        "in_progress",
        "reported_done",
        "closed",
    ]
    actions = list(
        AuditEntry.objects.filter(object_id=str(item.pk), action__startswith="problem.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "problem.create",
        "problem.submit_measures",
        "problem.accept_measures",
        "problem.report_done",
        "problem.verify",
    ]
    assert Notice.objects.filter(recipient=world["admin"], kind="problem.reported_done").exists()
    assert Notice.objects.filter(recipient=world["liaison"], kind="problem.verify").exists()
