"""Issue 14 point 6 in a real Chromium: the self-evaluation and scoring pages on the built-in
乐清 system (grade and deduction leaves, 500 points).

The unit admin saves a leaf with a score outside its band: the row comes back with the band, the
score and the long narrative as typed and a message naming the field; fixing the score saves
it, the row folds to one line and the running self score in the contents panel and the sticky
bar changes. "只看未填" hides the filled rows in place. The reviewer does the same on the scoring
page. Screenshots at 1280 and 390 px (test-results/); at 390 px nothing is wider than the
screen and the bar with the deadline stays in view.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations.models import Assignment, SelfScore
from mofan.indicators.builtin import load_templates
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from tests.browser.conftest import RESULTS_DIR
from tests.factories import PASSWORD
from tests.world import active_campaign, committee_with_units, log_in, persona, review_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARRATIVE = "本单位坚持把党的政治建设摆在首位，" * 12


@pytest.fixture
def world() -> dict[str, Any]:
    load_templates()
    committee, (unit_a, unit_b) = committee_with_units(name="乐清测试工委", code="yq-test")
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b}
    admin = persona("committee_admin", **where, full_name="王管理")
    liaison = persona("unit_admin", **where, full_name="李联络")
    persona("unit_leader", **where, full_name="张书记")
    reviewer = persona("reviewer", **where, full_name="周评审")
    version = IndicatorVersion.objects.get(system__committee=None, system__slug="yueqing-2020")
    campaign = active_campaign(
        committee=committee,
        version=version,
        admin=admin,
        name="2026年模范机关创建行动",
        year=2026,
        submission_deadline=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=10),
    )
    leaves = list(
        IndicatorNode.objects.filter(version=version, children__isnull=True).order_by("order")
    )
    grade = next(n for n in leaves if n.method_type == "grade" and n.points)
    # Unit B has filled in and submitted (plain rows): the reviewer scores it.
    enrollment_b = Enrollment.objects.get(campaign=campaign, unit=unit_b)
    SelfScore.objects.bulk_create(
        SelfScore(
            enrollment=enrollment_b,
            node=n,
            input={"band": "优"},
            score=n.points,
            level="优",
            updated_by=liaison,
        )
        for n in leaves
        if n.method_type == "grade"
    )
    Enrollment.objects.filter(pk=enrollment_b.pk).update(state=EnrollmentState.SUBMITTED)
    _group, (assignment,) = review_group(
        campaign, "第一评审组", reviewer, enrollments=[enrollment_b]
    )
    return {
        "enrollment": Enrollment.objects.get(campaign=campaign, unit=unit_a),
        "assignment": Assignment.objects.get(pk=assignment.pk),
        "grade": grade,
        "liaison": liaison,
        "reviewer": reviewer,
        "leaves": leaves,
    }


def num(value: Any) -> str:
    """A number as the page's fields and totals show it: 9, 9.50."""
    value = Decimal(value)
    return str(int(value)) if value == value.to_integral() else f"{value:.2f}"


def leaf(page: Page, code: str) -> Any:
    return page.locator(f'article.leaf[id="leaf-{code}"]')


def fill_wrong_then_right(
    page: Page, node: IndicatorNode, text_field: str, text: str, name: str
) -> None:
    """Choose 良 (points − 3 to points − 1) with the full points: refused, kept; then fixed."""
    points = Decimal(node.points)
    row = leaf(page, node.code)
    row.locator("select[name=band]").select_option("良")
    row.locator("input[name=value]").fill(num(points))
    row.locator(text_field).fill(text)
    row.get_by_role("button", name="保存", exact=True).click()
    expect(row.locator(".field-error")).to_contain_text("“良”等次的得分应在")
    # every typed value is still there, the control at fault marked
    expect(row.locator("select[name=band]")).to_have_value("良")
    expect(row.locator("input[name=value]")).to_have_value(num(points))
    expect(row.locator("input[name=value]")).to_have_attribute("aria-invalid", "true")
    expect(row.locator("input[name=value]")).to_be_focused()  # the cursor where to fix
    expect(row.locator(text_field)).to_have_value(text)
    row.scroll_into_view_if_needed()
    shot(page, f"{name}-refused")
    row.locator("input[name=value]").fill(num(points - 1))
    row.get_by_role("button", name="保存", exact=True).click()
    expect(row.locator("details.leaf-fold > summary")).to_be_visible()
    expect(row.locator(".field-error")).to_have_count(0)


def shot(page: Page, name: str) -> None:
    """What the screen shows (the sticky panel and bar included); a full-page picture of the
    ~60 open leaves takes longer than the test's timeout."""
    RESULTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS_DIR / f"{name}.png"))


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at 390px"


def test_a_clerk_fixes_a_refused_item_and_sees_the_total_change(live_server, world, new_page):
    base = live_server.url
    enrollment = world["enrollment"]
    node = world["grade"]
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base, world["liaison"].username, PASSWORD)
    page.goto(f"{base}/reviews/self/{enrollment.pk}/")
    total = page.locator("#running-total")
    expect(total).to_have_text("—")
    expect(page.locator("#work-bar")).to_contain_text("截止：")
    expect(page.locator("#work-bar")).to_be_in_viewport()

    fill_wrong_then_right(page, node, "textarea[name=narrative]", NARRATIVE, "workpage-self")
    expected = f"{num(Decimal(node.points) - 1)} / 500 分"
    expect(total).to_have_text(expected)
    expect(page.locator("#work-bar .bar-score")).to_contain_text(expected)
    expect(page.locator("#self-progress")).to_have_attribute("value", "1")
    stored = SelfScore.objects.get(enrollment=enrollment, node=node)
    assert stored.narrative == NARRATIVE.strip() and stored.level == "良"

    # "只看未填" in place: the filled rows hide, the unfilled stay; and back
    unfilled = next(n for n in world["leaves"] if n.pk != node.pk)
    page.get_by_role("button", name="只看未填").click()
    expect(leaf(page, node.code)).to_be_hidden()
    expect(leaf(page, unfilled.code)).to_be_visible()
    assert page.url.endswith("?unfilled=1")
    page.get_by_role("button", name="显示全部").click()
    expect(leaf(page, node.code)).to_be_visible()
    shot(page, "workpage-self-1280")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    expect(page.locator("#work-bar")).to_be_in_viewport()
    expect(page.locator(".work-panel")).to_be_in_viewport()

    # 390 px: no sideways scrolling, the bar with the deadline and the score in view
    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, base, world["liaison"].username, PASSWORD)
    phone.goto(f"{base}/reviews/self/{enrollment.pk}/")
    no_sideways_scroll(phone)
    expect(phone.locator("#work-bar")).to_be_in_viewport()
    expect(phone.locator("#work-bar")).to_contain_text(expected)
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    expect(phone.locator("#work-bar")).to_be_in_viewport()
    shot(phone, "workpage-self-390")


def test_a_reviewer_fixes_a_refused_score_and_sees_the_total_change(live_server, world, new_page):
    base = live_server.url
    assignment = world["assignment"]
    node = world["grade"]
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base, world["reviewer"].username, PASSWORD)
    page.goto(f"{base}/reviews/mine/")
    page.locator("main tr", has_text="乙单位").get_by_role("link", name="评分").click()
    expect(page.locator("#running-total")).to_have_text("—")
    fill_wrong_then_right(
        page, node, "input[name=comment]", "现场查看了会议记录和学习笔记" * 5, "workpage-review"
    )
    expect(page.locator("#running-total")).to_have_text(f"{num(Decimal(node.points) - 1)} / 500 分")
    expect(page.locator("#work-bar")).to_contain_text("还差")
    shot(page, "workpage-review-1280")

    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, base, world["reviewer"].username, PASSWORD)
    phone.goto(f"{base}/reviews/assignments/{assignment.pk}/")
    no_sideways_scroll(phone)
    expect(phone.locator("#work-bar")).to_be_in_viewport()
    shot(phone, "workpage-review-390")
    phone.goto(f"{base}/reviews/mine/")
    shot(phone, "workpage-tasks-390")
