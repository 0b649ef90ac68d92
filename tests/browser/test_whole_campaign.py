"""A whole campaign of twelve units through the interface, in headless Chromium (issue 14 point
12): the committee launches a campaign and fixes a date afterwards; unit 甲's liaison fills in the
self-evaluation (a validation error keeps what was typed) and its leader submits; the committee
admin makes the review group and draws the units on the groups page; a reviewer and the group
leader review 甲 (the reviewer also records a finding on 乙, which the admin lists from the board);
the committee approves the ready units in a batch while 癸 is still in review, the committee
leader signs off, the committee decides the tie on the 先进 quota line, a second batch follows, the
results are published; 甲 fails and gets its automatic problem list, which its liaison and the
committee admin work off on the item pages; 甲 fails its 复核 and gets a second round.

At launch, assignment, sign-off and publication (and through the rectification) the test opens
every persona's home page (the work queue: which lines, how many, by when) and, at those four
steps, the notice list page (/notices/) of the liaison, the unit leader, the reviewers, the
committee leader and the committee admin, and reads the titles shown there.

The eleven other units are filled in and reviewed through the services (issue 14 point 12 allows
it); everything of 甲 and every committee decision goes through the browser. `new_page` also
proves that no page reported a CSP violation or a JavaScript error.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from mofan.accounts.access import actor_for
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentState
from mofan.campaigns.services import campaign_create
from mofan.evaluations import services
from mofan.evaluations.models import Assignment, Draw, Finding, SelfScore, UnitResult
from mofan.rectification.models import ProblemItem, ProblemState, ReReview, ReReviewState
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import PASSWORD, make_user
from tests.world import committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNITS = ("甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子", "丑")
LEAVES = ("1.1", "1.2", "2.1")
# Consolidated review scores of the units filled through the services (each leaf of 10 points):
# 乙 first; 丙 and 丁 tie on the 先进 quota line (12 × 20 % = 2 places); 癸 stays in review for
# the first batch.
SCORES = {
    "乙": (10, 10, 9),
    "丙": (9, 9, 10),
    "丁": (10, 9, 9),
    "戊": (8, 8, 8),
    "己": (8, 8, 7),
    "庚": (8, 7, 7),
    "辛": (7, 7, 7),
    "壬": (7, 7, 6),
    "癸": (7, 6, 6),
    "子": (6, 6, 7),
    "丑": (6, 7, 6),
}
# 甲 as its reviewers see it: 2 + 5 + 10 = 17, below the 达标 line of 18.
A_REVIEW = {"1.1": 2, "1.2": 5, "2.1": 10}
NARRATIVE = "本单位坚持把党的政治建设摆在首位，理论学习中心组全年集中学习十二次。" * 6


def expect_message(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def expect_approved(page: Page, text: str) -> None:
    """The approval is a background task its page polls for; on a busy machine (both
    database passes of `make test` at once) it takes more than the default 5 s."""
    expect(page.locator(".messages")).to_contain_text(text, timeout=60_000)


def accept_dialogs(page: Page) -> list[str]:
    seen: list[str] = []

    def accept(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return seen


def leaf(page: Page, code: str) -> Any:
    return page.locator(f'article.leaf[id="leaf-{code}"]')


def queue(page: Page) -> Any:
    """The home page's work queue (what the person must do, most urgent first)."""
    return page.locator("section.work-queue")


def home(page: Page, base: str, lines: dict[str, Any]) -> None:
    """Open the person's home page and check its work queue: exactly these lines (label →
    count, or (count, text the line's deadline cell shows)); no lines: the queue is empty."""
    page.goto(f"{base}/")
    shown = queue(page).locator("tbody tr")
    if not lines:
        expect(queue(page)).to_contain_text("当前没有待办事项。")
        return
    expect(shown).to_have_count(len(lines))
    for label, expected in lines.items():
        count, due = expected if isinstance(expected, tuple) else (expected, None)
        row = shown.filter(has=page.get_by_role("link", name=label, exact=True))
        expect(row.locator("td").nth(1)).to_have_text(str(count))
        if due is not None:
            expect(row.locator("td").nth(2)).to_contain_text(due)


def day(date: datetime.date) -> str:
    """A date as the work queue writes it."""
    return f"{date.year}年{date.month}月{date.day}日"


def notice_titles(page: Page, base: str, *titles: str, exact: bool = True) -> None:
    """Open the person's notice list (/notices/) and check the titles shown, newest first: with
    `exact`, these and no others; otherwise these among others, in this order."""
    page.goto(f"{base}/notices/")
    shown = page.locator("ul.notice-list .notice-title")
    if not titles:
        expect(page.locator("ul.notice-list")).to_have_text("暂无通知。")
        return
    if exact:
        expect(shown).to_have_count(len(titles))
    expect(shown).to_contain_text(list(titles))


def item_page(page: Page, base: str, list_path: str, item: ProblemItem) -> None:
    """From a problem list (the unit's, or the committee's board), open one item."""
    page.goto(f"{base}{list_path}")
    page.locator(f'tr[data-item="{item.pk}"]').get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/rectification/items/{item.pk}/$"))


def item_step(page: Page, action: str, label: str, text: str = "", field: str = "") -> None:
    """Take one step of a problem item's life on its page."""
    form = page.locator(f"#action-{action}")
    if field:
        form.get_by_label(field).fill(text)
    form.get_by_role("button", name=label).click()
    expect_message(page, f"已{label}。")


GRADE = {
    "type": "grade",
    "bands": [
        {"label": "优", "deduct": [0, 0]},
        {"label": "良", "deduct": [1, 3]},
        {"label": "一般", "deduct": [3, 5]},
        {"label": "不合格", "ratio": [0, 0.5]},
    ],
}


def band_of(score: int) -> str:
    """The band of a score of 1.1 (10 points): 优 10, 良 7–9, 一般 5–7, 不合格 0–5."""
    return "优" if score == 10 else "良" if score >= 7 else "一般" if score > 5 else "不合格"


def leaf_value(code: str, score: int) -> dict[str, Any]:
    if code == "2.2":
        return {"vetoed": False, "reason": ""}
    if code == "1.1":
        return {"band": band_of(score), "value": str(score)}
    return {"value": str(score)}


def campaign_version() -> Any:
    """The small system of the evaluation tests (1.1, 1.2, 2.1 of 10 points, 2.2 a veto; full
    marks 30), with 1.1 scored by grade bands so a score outside its band is a server-side
    refusal."""
    return small_version("whole-campaign", methods={"1.1": GRADE})


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    committee, units = committee_with_units(
        name="焦作市直机关工委（测试）", code="jz-whole", units=UNITS
    )
    by_name = {u.short_name: u for u in units}
    where = {"committee": committee, "unit_a": by_name["甲"], "unit_b": by_name["乙"]}
    people = {
        "admin": persona("committee_admin", **where, full_name="王管理"),
        "committee_leader": persona("committee_leader", **where, full_name="刘书记"),
        "liaison": persona("unit_admin", **where, full_name="李联络"),
        "leader": persona("unit_leader", **where, full_name="张书记"),
        "group_leader": persona("reviewer", **where, full_name="陈组长"),
        "reviewer": persona("reviewer", **where, full_name="周评审"),
    }
    others = {
        name: (
            make_user(Role.UNIT_ADMIN, unit=by_name[name], full_name=f"{name}联络员"),
            make_user(Role.UNIT_LEADER, unit=by_name[name], full_name=f"{name}书记"),
        )
        for name in UNITS[1:]
    }
    return {"committee": committee, "units": by_name, "others": others, **people}


def fill_others(world: dict[str, Any], campaign: Any) -> dict[str, Enrollment]:
    """The eleven other units fill in and submit through the services."""
    enrollments = {
        e.unit.short_name: e
        for e in Enrollment.objects.filter(campaign=campaign).select_related("unit")
    }
    nodes = {n.code: n for n in campaign.indicator_version.nodes.filter(children__isnull=True)}
    for name, (liaison, leader) in world["others"].items():
        actor = actor_for(liaison)
        for code, node in nodes.items():
            services.self_score_save(
                enrollment=enrollments[name],
                node=node,
                value=leaf_value(code, 8),
                narrative="",
                expected_version=None,
                actor=actor,
            )
        services.enrollment_transition(
            enrollment=enrollments[name], to=EnrollmentState.SUBMITTED, actor=actor_for(leader)
        )
    return enrollments


def review_through_services(
    world: dict[str, Any], campaign: Any, assignments: dict[str, Assignment], names: list[str]
) -> None:
    nodes = {n.code: n for n in campaign.indicator_version.nodes.filter(children__isnull=True)}
    people = [actor_for(world["reviewer"]), actor_for(world["group_leader"])]
    for name in names:
        assignment = assignments[name]
        scores = dict(zip(LEAVES, SCORES[name], strict=True))
        for actor in people:
            for code, node in nodes.items():
                services.review_score_save(
                    assignment=assignment,
                    node=node,
                    value=leaf_value(code, scores.get(code, 0)),
                    comment="",
                    expected_version=None,
                    actor=actor,
                )
            services.review_submit(assignment=assignment, actor=actor)
        services.consolidate(assignment=assignment, actor=people[-1])


def test_a_whole_campaign_from_launch_to_a_second_round_of_rectification(
    live_server, world, new_page, screenshot
):
    base = live_server.url
    admin_user = world["admin"]
    version = campaign_version()
    # Created as a draft with a deadline that has already passed (the clerk's mistake).
    draft = campaign_create(
        committee=world["committee"],
        version=version,
        actor=actor_for(admin_user),
        name="2026年模范机关创建考评",
        year=2026,
        weights={"review": 1},
        submission_deadline=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1),
    )
    name = "2026年模范机关创建考评"
    pages: dict[str, Page] = {}
    for person in ("admin", "committee_leader", "liaison", "leader", "group_leader", "reviewer"):
        pages[person] = new_page()
        log_in(pages[person], base, world[person].username, PASSWORD)
        accept_dialogs(pages[person])
    admin, committee_leader = pages["admin"], pages["committee_leader"]
    liaison, leader = pages["liaison"], pages["leader"]
    group_page, reviewer = pages["group_leader"], pages["reviewer"]

    # --- The committee launches it, is warned of the past deadline, then fixes the date. ------
    home(admin, base, {"启动创建活动": 1})
    admin.goto(f"{base}/campaigns/{draft.pk}/")
    admin.get_by_role("button", name="启动活动").click()
    expect(admin.locator("#past-deadline-warning")).to_contain_text("已过")
    admin.get_by_role("button", name="仍然启动").click()
    campaign = Campaign.objects.get(pk=draft.pk)
    assert campaign.status == CampaignStatus.ACTIVE
    new_deadline = timezone.localdate() + datetime.timedelta(days=14)
    admin.goto(f"{base}/campaigns/{campaign.pk}/edit/")
    admin.get_by_label("自评提交截止").fill(f"{new_deadline.isoformat()}T23:59")
    admin.get_by_role("button", name="保存修改").click()
    expect_message(admin, "已保存")
    campaign.refresh_from_db()
    assert timezone.localtime(campaign.submission_deadline).date() == new_deadline

    # At launch: the committee reminds twelve units by the new date; 甲's liaison fills in by
    # it (its leader has nothing to do until something is filled in); nobody else has work.
    # The unit is told of the launch and of the new date; the others are told nothing.
    home(admin, base, {"督促单位提交自评": (12, day(new_deadline))})
    home(liaison, base, {"填报自评": (1, day(new_deadline))})
    expect(queue(liaison).locator("tr", has_text="填报自评")).to_contain_text("还有 14 天")
    home(leader, base, {})
    for page in (committee_leader, reviewer, group_page):
        home(page, base, {})
    launched = f"创建活动“{name}”已启动"
    dates = f"“{name}”的时间安排已调整"
    for page in (liaison, leader):
        notice_titles(page, base, dates, launched)
    for page in (admin, committee_leader, reviewer, group_page):
        notice_titles(page, base)
    # The launch notice takes the liaison to the unit's page of the campaign.
    liaison.goto(f"{base}/notices/")
    liaison.get_by_role("link", name=launched).click()
    enrollments = fill_others(world, campaign)
    enrollment_a = enrollments["甲"]
    expect(liaison).to_have_url(re.compile(rf"/campaigns/enrollments/{enrollment_a.pk}/$"))

    # --- 甲's liaison fills in the self-evaluation; the leader submits. ------------------------
    liaison.goto(f"{base}/reviews/self/{enrollment_a.pk}/")
    expect(liaison.locator("#work-bar")).to_contain_text("截止：")
    # A score above the leaf's 10 points is refused; everything typed stays, the field is marked.
    first = leaf(liaison, "1.1")
    first.locator("select[name=band]").select_option("良")
    first.locator("input[name=value]").fill("10")
    first.locator("textarea[name=narrative]").fill(NARRATIVE)
    first.get_by_role("button", name="保存", exact=True).click()
    expect(first.locator(".field-error")).to_contain_text("“良”等次的得分应在")
    expect(first.locator("select[name=band]")).to_have_value("良")
    expect(first.locator("input[name=value]")).to_have_value("10")
    expect(first.locator("input[name=value]")).to_have_attribute("aria-invalid", "true")
    expect(first.locator("textarea[name=narrative]")).to_have_value(NARRATIVE)
    first.locator("input[name=value]").fill("8")
    first.get_by_role("button", name="保存", exact=True).click()
    expect(first.locator("details.leaf-fold > summary")).to_be_visible()
    expect(liaison.locator("#running-total")).to_contain_text("8")
    for code in LEAVES[1:]:
        row = leaf(liaison, code)
        row.locator("input[name=value]").fill("8")
        row.locator("textarea[name=narrative]").fill(f"{code} 已按要求落实。")
        row.get_by_role("button", name="保存", exact=True).click()
        expect(row.locator("details.leaf-fold > summary")).to_be_visible()
    expect(liaison.locator("#running-total")).to_contain_text("24")
    stored = SelfScore.objects.get(enrollment=enrollment_a, node__code="1.1")
    assert (stored.score, stored.narrative) == (Decimal("8.00"), NARRATIVE.strip())
    liaison.goto(f"{base}/campaigns/enrollments/{enrollment_a.pk}/")
    expect(liaison.locator("#submission-status")).to_contain_text("请提醒单位领导（张书记）")
    expect(liaison.locator("#submit-self")).to_have_count(0)

    # The leader now has the submission to do, by the same date.
    home(leader, base, {"审核并提交自评": (1, day(new_deadline))})
    queue(leader).get_by_role("link", name="审核并提交自评").click()
    expect(leader).to_have_url(re.compile(rf"/campaigns/enrollments/{enrollment_a.pk}/$"))
    leader.locator("#submit-self").click()
    expect_message(leader, "自评已提交")

    # --- The committee admin makes the review group and draws the units on the groups page. --
    home(admin, base, {"为已提交自评的单位分配评审组": 12})
    queue(admin).get_by_role("link", name="为已提交自评的单位分配评审组").click()
    expect(admin).to_have_url(re.compile(rf"/reviews/campaigns/{campaign.pk}/groups/$"))
    expect(admin.locator("main")).to_contain_text("尚未组建评审组。")
    admin.get_by_text("指定人员组建评审组").click()
    admin.get_by_label("评审组名称").fill("第一评审组")
    group_leader_box = admin.get_by_role("combobox", name="组长")
    group_leader_box.press_sequentially("陈组长")
    expect(admin.locator("#id_leader_options [data-chooser-pick]")).to_have_count(1)
    group_leader_box.press("Enter")
    members = admin.get_by_role("combobox", name="成员")
    members.press_sequentially("周评审")
    options = admin.locator("#id_reviewers_options [data-chooser-pick]")
    expect(options).to_have_count(1)
    options.first.click()
    admin.get_by_role("button", name="建立").click()
    expect_message(admin, "评审组已建立。")
    draw_form = admin.locator('form[action$="/draw/"]')
    draw_form.get_by_label("分配方式").select_option("balanced")
    draw_form.locator("input[name=seed]").fill("whole-campaign")
    draw_form.get_by_role("button", name="抽签分配").click()
    expect_message(admin, "已分配 12 个单位，随机种子 whole-campaign。")
    group_card = admin.locator("main article", has_text="第一评审组")
    expect(group_card).to_contain_text("组长：陈组长")
    expect(group_card).to_contain_text("成员：陈组长、周评审")
    for unit in UNITS:
        expect(group_card).to_contain_text(f"{unit}单位")
    expect(admin.locator("main")).to_contain_text("还有 0 个单位未分配")
    expect(admin.locator("main table tr", has_text="whole-campaign")).to_contain_text("一致")
    screenshot(admin, "whole-campaign-draw")
    assert Draw.objects.get(campaign=campaign).seed == "whole-campaign"
    assignments = {
        a.enrollment.unit.short_name: a
        for a in Assignment.objects.filter(enrollment__campaign=campaign).select_related(
            "enrollment__unit", "group"
        )
    }
    assert len(assignments) == 12
    assert {a.group.name for a in assignments.values()} == {"第一评审组"}

    # At assignment: both reviewers have the twelve units to score; the units and the committee
    # wait. The reviewers are told of their seat and their units; 甲 that its submission arrived.
    home(admin, base, {})
    for page in (reviewer, group_page):
        home(page, base, {"评审打分": 12})
    for page in (liaison, leader, committee_leader):
        home(page, base, {})
    assigned = f"{name}：您有 12 个单位待评审"
    notice_titles(reviewer, base, assigned, "您被编入“第一评审组”")
    notice_titles(group_page, base, assigned, "您被指定为“第一评审组”组长")
    received = f"工委已收到本单位“{name}”的自评"
    for page in (liaison, leader):
        notice_titles(page, base, received, dates, launched)
    notice_titles(committee_leader, base)
    notice_titles(admin, base, "甲单位已提交", "丑单位已提交", exact=False)

    # --- Review: 甲 in the browser, the others through the services. --------------------------
    review_through_services(world, campaign, assignments, [n for n in UNITS[1:] if n != "癸"])
    # The reviewer records a problem found at 乙 (scored through the services).
    reviewer.goto(f"{base}/reviews/assignments/{assignments['乙'].pk}/")
    reviewer.get_by_text("记录发现").click()
    reviewer.get_by_label("内容").fill("乙单位党费收缴台账不全")
    reviewer.get_by_label("列为问题（进入问题清单）").check()
    reviewer.get_by_label("列为问题（进入问题清单）").locator("xpath=ancestor::form").get_by_role(
        "button", name="保存"
    ).click()
    expect(reviewer.locator("main")).to_contain_text("乙单位党费收缴台账不全")
    finding = Finding.objects.get(assignment=assignments["乙"])
    assert finding.is_problem

    for page in (reviewer, group_page):
        # 甲 and 癸 are still to score (the other ten were scored through the services)
        home(page, base, {"评审打分": 2})
        page.goto(f"{base}/reviews/assignments/{assignments['甲'].pk}/")
        for code, score in A_REVIEW.items():
            row = page.locator(f'article.leaf[id="leaf-{code}"]')
            if code == "1.1":
                row.locator("select[name=band]").select_option(band_of(score))
            row.locator("input[name=value]").fill(str(score))
            row.get_by_role("button", name="保存", exact=True).click()
            expect(row.locator(".badge-ok")).to_contain_text("我的评分")
        row = page.locator('article.leaf[id="leaf-2.2"]')
        row.get_by_role("button", name="保存", exact=True).click()
        expect(row.locator(".badge-ok")).to_contain_text("我的评分")
        page.locator("#submit-review").click()
        expect_message(page, "评分已提交")
    # The group leader is told to consolidate 甲, and has it on the home page.
    notice_titles(group_page, base, "甲单位的评审意见已全部提交，待您汇总", exact=False)
    home(group_page, base, {"评审打分": 1, "汇总评审意见": 1})
    group_page.goto(f"{base}/reviews/assignments/{assignments['甲'].pk}/consolidate/")
    group_page.locator("#consolidate").click()
    expect_message(group_page, "已汇总")

    # The committee admin lists the reviewer's finding from the board.
    home(admin, base, {"准备综合审定，报领导签批": 11, "将评审发现的问题列入问题清单": 1})
    queue(admin).get_by_role("link", name="将评审发现的问题列入问题清单").click()
    expect(admin.locator("#findings")).to_contain_text("乙单位党费收缴台账不全")
    admin.locator("#list-all-findings-button").click()
    expect_message(admin, "已将 1 条评审发现列入问题清单")
    assert ProblemItem.objects.get(unit=world["units"]["乙"]).description.startswith("乙单位党费")

    # --- Approval in batches, signed off by the committee leader; the tie decided. ---------
    home(admin, base, {"准备综合审定，报领导签批": 11})
    queue(admin).get_by_role("link", name="准备综合审定，报领导签批").click()
    approval_url = f"{base}/reviews/campaigns/{campaign.pk}/approval/"
    expect(admin).to_have_url(approval_url)
    expect(admin.locator('#pending-table tr[data-pending="癸单位"]')).to_contain_text("已提交")
    # 丙 and 丁 tie on the quota line: nothing is approved before the committee decides.
    tie = admin.locator("#quota-tie")
    expect(tie).to_contain_text("尚未决定")
    expect(tie).to_contain_text("丙单位")
    expect(tie).to_contain_text("丁单位")
    expect(admin.locator("#prepare")).to_have_count(0)
    tie.get_by_label("并列单位全部入选（超出名额）").check()
    tie.get_by_role("textbox", name="理由").fill("两单位得分相同，经工委会议研究同时入选")
    tie.get_by_role("button", name="保存决定").click()
    expect(admin.locator("#quota-tie")).to_contain_text("已决定")
    admin.locator("#prepare").click()
    expect_message(admin, "已准备 11 个单位的审定")
    # Prepared: the committee leader has it to sign and is told so; the admin waits.
    home(admin, base, {})
    home(committee_leader, base, {"签批综合审定": 11})
    prepared_11 = f"{name}：11 个单位的综合审定待您签批"
    notice_titles(committee_leader, base, prepared_11)
    # The notice takes the committee leader to the approval page.
    committee_leader.get_by_role("link", name=prepared_11).click()
    expect(committee_leader).to_have_url(approval_url)
    committee_leader.get_by_label("请输入您的登录密码确认签批").fill(PASSWORD)
    committee_leader.locator("#sign").click()
    expect_approved(committee_leader, "已签批，11 个单位的结果已审定并冻结。")

    # At sign-off: the committee admin is told; 癸 is still to score and consolidate. 甲's
    # result is approved (审定), which is when its automatic problem list is made (the campaign
    # form says so: "审定后……自动列入问题清单"), so 甲 has the items to work on and is told of
    # them; it is not told of any result, which is not published yet.
    home(committee_leader, base, {})
    home(admin, base, {})
    notice_titles(admin, base, f"{name}：11 个单位的综合审定已签批", exact=False)
    home(reviewer, base, {"评审打分": 1})
    home(group_page, base, {"评审打分": 1})
    notice_titles(reviewer, base, assigned, "您被编入“第一评审组”")
    notice_titles(committee_leader, base, prepared_11)
    items = list(ProblemItem.objects.filter(unit=world["units"]["甲"]).order_by("pk"))
    assert [i.node.code for i in items] == ["1.1", "1.2"]
    deadline = items[0].deadline
    new_items = (
        "新的问题清单项：考评未达到合格线的指标：1.2",
        "新的问题清单项：考评未达到合格线的指标：1.1",
    )
    for page in (liaison, leader):
        home(page, base, {"报送整改措施": (2, day(deadline))})
        notice_titles(page, base, *new_items, received, dates, launched)

    # 癸 finishes its review; the second batch.
    review_through_services(world, campaign, assignments, ["癸"])
    home(reviewer, base, {})
    home(group_page, base, {})
    home(admin, base, {"准备综合审定，报领导签批": 1})
    admin.goto(approval_url)
    admin.locator("#prepare").click()
    expect_message(admin, "已准备 1 个单位的审定")
    home(committee_leader, base, {"签批综合审定": 1})
    committee_leader.goto(approval_url)
    committee_leader.get_by_label("请输入您的登录密码确认签批").fill(PASSWORD)
    committee_leader.locator("#sign").click()
    expect_approved(committee_leader, "已签批，1 个单位的结果已审定并冻结。")

    home(admin, base, {"公布考评结果": 12})
    queue(admin).get_by_role("link", name="公布考评结果").click()
    admin.get_by_label("同时公布排名").check()
    admin.locator("#publish-results").click()
    expect_message(admin, "结果已公布")
    advanced = set(
        UnitResult.objects.filter(enrollment__campaign=campaign, advanced=True).values_list(
            "enrollment__unit__short_name", flat=True
        )
    )
    assert advanced == {"乙", "丙", "丁"}
    result_a = UnitResult.objects.get(enrollment=enrollment_a)
    assert (result_a.composite, result_a.grade, result_a.advanced) == (
        Decimal("17.00"),
        "不达标",
        False,
    )

    # --- At publication: 甲 is told; its automatic list stands (the leaves below their pass mark).
    published = f"“{name}”结果已公布"
    for page in (liaison, leader):
        notice_titles(page, base, published, *new_items, received, dates, launched)
        if page is liaison:
            screenshot(page, "whole-campaign-liaison-notices")
        home(page, base, {"报送整改措施": (2, day(deadline))})
    for page in (reviewer, group_page, committee_leader, admin):
        home(page, base, {})
    notice_titles(reviewer, base, assigned, "您被编入“第一评审组”")
    notice_titles(committee_leader, base, f"{name}：1 个单位的综合审定待您签批", prepared_11)
    notice_titles(
        admin,
        base,
        f"{name}：1 个单位的综合审定已签批",
        f"{name}：11 个单位的综合审定已签批",
        exact=False,
    )
    liaison.goto(f"{base}/")
    queue(liaison).get_by_role("link", name="报送整改措施").click()
    for code in ("1.1", "1.2"):
        expect(liaison.locator("#item-table")).to_contain_text(code)

    # --- 甲's liaison and the committee admin work the list off on the item pages. ------------
    for item in items:
        item_page(liaison, base, "/rectification/mine/", item)
        item_step(liaison, "submit_measures", "报送整改措施", "逐项整改，月底前完成", "整改措施")
        expect(liaison.locator("#item-state")).to_have_text("措施已报")
    home(admin, base, {"审核整改措施": 2})
    notice_titles(admin, base, "甲单位报送整改措施", "甲单位报送整改措施", exact=False)
    for item in items:
        item_page(admin, base, "/rectification/board/", item)
        expect(admin.locator("#item-measures")).to_contain_text("逐项整改")
        item_step(admin, "accept_measures", "同意整改措施")
        expect(admin.locator("#item-state")).to_have_text("整改中")
    home(liaison, base, {"落实整改并报告完成": (2, day(deadline))})
    for item in items:
        item_page(liaison, base, "/rectification/mine/", item)
        item_step(liaison, "report_done", "报告整改完成", "已完成整改", "整改完成情况")
        expect(liaison.locator("#item-state")).to_have_text("已报完成")
    home(admin, base, {"验收整改销号": 2})
    for item in items:
        item_page(admin, base, "/rectification/board/", item)
        expect(admin.locator("#item-report")).to_contain_text("已完成整改")
        item_step(admin, "verify", "验收销号", "整改到位", "验收意见（可选）")
        expect(admin.locator("#item-state")).to_have_text("已销号")
    screenshot(admin, "whole-campaign-item-closed")
    for item in items:
        item.refresh_from_db()
        assert item.state == ProblemState.CLOSED
    home(liaison, base, {})
    first = ReReview.objects.get(enrollment=enrollment_a, round=1)
    assert first.state == ReReviewState.OPEN

    # --- The 复核 fails (3 + 4 + 10 = 17); the committee approves it; a second round. --------
    for page in (reviewer, group_page):
        notice_titles(page, base, "请复核：甲单位", exact=False)
        home(page, base, {"复核评分": 1})
    queue(group_page).get_by_role("link", name="复核评分").click()
    expect(group_page).to_have_url(re.compile(rf"/rectification/rereviews/{first.pk}/$"))
    for code, score in (("1.1", 3), ("1.2", 4)):
        row = group_page.locator(f'[id="node-{code}"]')
        if code == "1.1":
            row.locator("select[name=band]").select_option(band_of(score))
        row.locator("input[name=value]").fill(str(score))
        row.get_by_role("button", name="保存").click()
        expect_message(group_page, f"{code} 的复核评分已保存")
    home(reviewer, base, {})
    home(group_page, base, {"提交复核结果": 1})
    group_page.goto(f"{base}/rectification/rereviews/{first.pk}/")
    group_page.locator("#submit-rereview").click()
    expect_message(group_page, "复核已提交")
    notice_titles(admin, base, "复核结果待批准：甲单位", exact=False)
    home(admin, base, {"审定复核结果": 1})
    queue(admin).get_by_role("link", name="审定复核结果").click()
    expect(admin).to_have_url(re.compile(rf"/rectification/rereviews/{first.pk}/$"))
    admin.locator("#approve-rereview").click()
    expect_message(admin, "已批准")
    following = ReReview.objects.get(enrollment=enrollment_a, round=2)
    admin.goto(f"{base}/rectification/rereviews/{following.pk}/")
    expect(admin.locator("main h2")).to_contain_text("第 2 轮复核")
    expect(admin.locator("#close-rereview")).to_be_visible()
    home(admin, base, {})
    # The second round is on 甲's list and home page; 甲 is told of the decision and the items.
    second = list(ProblemItem.objects.filter(unit=world["units"]["甲"], state=ProblemState.OPEN))
    assert len(second) == 2
    home(liaison, base, {"报送整改措施": (2, day(second[0].deadline))})
    notice_titles(
        liaison,
        base,
        "新的问题清单项：第 1 轮复核后考评等次仍为“不达标”",
        "新的问题清单项：第 1 轮复核后考评等次仍为“不达标”",
        "复核结果已批准：甲单位",
        exact=False,
    )
    liaison.goto(f"{base}/rectification/mine/")
    expect(liaison.locator("main")).to_contain_text("第 1 轮复核后")
    screenshot(liaison, "whole-campaign-second-round")
    assert re.search("不达标", following.before["grade"])
