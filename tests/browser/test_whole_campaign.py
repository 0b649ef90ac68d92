"""A whole campaign of twelve units through the interface, in headless Chromium (issue 14 point
12): the committee launches a campaign and fixes a date afterwards; unit 甲's liaison fills in the
self-evaluation (a validation error keeps what was typed) and its leader submits; a reviewer and
the group leader review 甲; the committee approves the ready units in a batch while 癸 is still in
review, the committee leader signs off, the committee decides the tie on the 先进 quota line, a
second batch follows, the results are published; 甲 fails and gets its automatic problem list,
works it off, fails its 复核 and gets a second round. At each step the test looks at what the
people concerned see on their home page and in their notices.

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
from mofan.evaluations import review_groups, services
from mofan.evaluations.models import Assignment, SelfScore, UnitResult
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemState, ReReview, ReReviewState
from mofan.rectification.services import problem_item_transition
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


def notices(user: Any) -> list[str]:
    return list(Notice.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True))


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
    admin_user, liaison_user = world["admin"], world["liaison"]
    leader_user = world["leader"]
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

    # --- The committee launches it, is warned of the past deadline, then fixes the date. ------
    admin = new_page()
    log_in(admin, base, admin_user.username, PASSWORD)
    accept_dialogs(admin)
    admin.goto(f"{base}/")
    expect(queue(admin)).to_contain_text("启动创建活动")
    admin.goto(f"{base}/campaigns/{draft.pk}/")
    admin.get_by_role("button", name="启动活动").click()
    expect(admin.locator("#past-deadline-warning")).to_contain_text("已过")
    admin.get_by_role("button", name="仍然启动").click()
    campaign = Campaign.objects.get(pk=draft.pk)
    assert campaign.status == CampaignStatus.ACTIVE
    assert "campaign.launched" in notices(liaison_user)
    assert "campaign.launched" in notices(leader_user)
    new_deadline = timezone.localdate() + datetime.timedelta(days=14)
    admin.goto(f"{base}/campaigns/{campaign.pk}/edit/")
    admin.get_by_label("自评提交截止").fill(f"{new_deadline.isoformat()}T23:59")
    admin.get_by_role("button", name="保存修改").click()
    expect_message(admin, "已保存")
    campaign.refresh_from_db()
    assert timezone.localtime(campaign.submission_deadline).date() == new_deadline
    assert "campaign.dates" in notices(liaison_user)

    # The liaison's home page: the self-evaluation to fill in, by the new date.
    liaison = new_page()
    log_in(liaison, base, liaison_user.username, PASSWORD)
    liaison.goto(f"{base}/")
    row = queue(liaison).locator("tr", has_text="填报自评")
    expect(row).to_contain_text(f"{new_deadline.year}年{new_deadline.month}月{new_deadline.day}日")
    expect(row).to_contain_text("还有 14 天")

    enrollments = fill_others(world, campaign)
    enrollment_a = enrollments["甲"]

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

    leader = new_page()
    log_in(leader, base, leader_user.username, PASSWORD)
    accept_dialogs(leader)
    leader.goto(f"{base}/")
    queue(leader).locator("tr", has_text="审核并提交自评").get_by_role("link").first.click()
    leader.goto(f"{base}/campaigns/enrollments/{enrollment_a.pk}/")
    leader.locator("#submit-self").click()
    expect_message(leader, "自评已提交")
    assert "enrollment.received" in notices(liaison_user)
    assert "enrollment.submitted" in notices(admin_user)

    # --- Review: 甲 in the browser, the others through the services. --------------------------
    admin_actor = actor_for(admin_user)
    review_groups.review_group_create(
        campaign=campaign,
        name="第一评审组",
        leader=world["group_leader"],
        reviewers=[world["reviewer"]],
        actor=admin_actor,
    )
    review_groups.assignment_draw(
        campaign=campaign, method="balanced", seed="whole-campaign", actor=admin_actor
    )
    assignments = {
        a.enrollment.unit.short_name: a
        for a in Assignment.objects.filter(enrollment__campaign=campaign).select_related(
            "enrollment__unit"
        )
    }
    assert len(assignments) == 12
    for person in ("reviewer", "group_leader"):
        assert {"review.seated", "review.assigned"} <= set(notices(world[person]))
    review_through_services(world, campaign, assignments, [n for n in UNITS[1:] if n != "癸"])

    assignment_a = assignments["甲"]
    for person in ("reviewer", "group_leader"):
        page = new_page()
        log_in(page, base, world[person].username, PASSWORD)
        accept_dialogs(page)
        page.goto(f"{base}/")
        # 甲 and 癸 are still to score (the other ten were scored through the services)
        expect(queue(page).locator("tr", has_text="评审打分").locator("td").nth(1)).to_have_text(
            "2"
        )
        page.goto(f"{base}/reviews/assignments/{assignment_a.pk}/")
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
    group_page = page  # the group leader is told to consolidate
    assert "review.consolidate" in notices(world["group_leader"])
    group_page.goto(f"{base}/")
    expect(queue(group_page)).to_contain_text("汇总评审意见")
    group_page.goto(f"{base}/reviews/assignments/{assignment_a.pk}/consolidate/")
    group_page.locator("#consolidate").click()
    expect_message(group_page, "已汇总")

    # --- Approval in batches, signed off by the committee leader; the tie decided. ---------
    admin.goto(f"{base}/")
    expect(queue(admin)).to_contain_text("准备综合审定，报领导签批")
    approval_url = f"{base}/reviews/campaigns/{campaign.pk}/approval/"
    admin.goto(approval_url)
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
    committee_leader = new_page()
    log_in(committee_leader, base, world["committee_leader"].username, PASSWORD)
    committee_leader.goto(f"{base}/")
    expect(queue(committee_leader)).to_contain_text("签批综合审定")
    committee_leader.goto(approval_url)
    committee_leader.get_by_label("请输入您的登录密码确认签批").fill(PASSWORD)
    committee_leader.locator("#sign").click()
    expect_message(committee_leader, "已签批，11 个单位的结果已审定并冻结。")

    # 癸 finishes its review; the second batch.
    review_through_services(world, campaign, assignments, ["癸"])
    admin.goto(approval_url)
    admin.locator("#prepare").click()
    expect_message(admin, "已准备 1 个单位的审定")
    committee_leader.goto(approval_url)
    committee_leader.get_by_label("请输入您的登录密码确认签批").fill(PASSWORD)
    committee_leader.locator("#sign").click()
    expect_message(committee_leader, "已签批，1 个单位的结果已审定并冻结。")

    admin.goto(approval_url)
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

    assert "results.published" in notices(liaison_user)

    # --- 甲's automatic list: the leaves below their pass mark, worked off. -------------------
    items = list(ProblemItem.objects.filter(unit=world["units"]["甲"]).order_by("pk"))
    assert [i.node.code for i in items] == ["1.1", "1.2"]
    assert "problem.new" in notices(liaison_user)
    liaison.goto(f"{base}/")
    expect(queue(liaison).locator("tr", has_text="报送整改措施")).to_contain_text("2")
    liaison.goto(f"{base}/rectification/mine/")
    for code in ("1.1", "1.2"):
        expect(liaison.locator("main")).to_contain_text(f"{code} ")
    admin_actor = actor_for(admin_user)
    liaison_actor = actor_for(liaison_user)
    for item in items:
        for action, actor, text in (
            ("submit_measures", liaison_actor, {"measures": "逐项整改"}),
            ("accept_measures", admin_actor, {}),
            ("report_done", liaison_actor, {"report": "已完成整改"}),
            ("verify", admin_actor, {"reason": "整改到位"}),
        ):
            item = problem_item_transition(item=item, action=action, actor=actor, **text)
        assert item.state == ProblemState.CLOSED
    first = ReReview.objects.get(enrollment=enrollment_a, round=1)
    assert first.state == ReReviewState.OPEN

    # --- The 复核 fails (3 + 4 + 10 = 17); the committee approves it; a second round. --------
    group_page.goto(f"{base}/rectification/rereviews/{first.pk}/")
    for code, score in (("1.1", 3), ("1.2", 4)):
        row = group_page.locator(f'[id="node-{code}"]')
        if code == "1.1":
            row.locator("select[name=band]").select_option(band_of(score))
        row.locator("input[name=value]").fill(str(score))
        row.get_by_role("button", name="保存").click()
        expect_message(group_page, f"{code} 的复核评分已保存")
    group_page.locator("#submit-rereview").click()
    expect_message(group_page, "复核已提交")
    admin.goto(f"{base}/rectification/rereviews/{first.pk}/")
    admin.locator("#approve-rereview").click()
    expect_message(admin, "已批准")
    following = ReReview.objects.get(enrollment=enrollment_a, round=2)
    admin.goto(f"{base}/rectification/rereviews/{following.pk}/")
    expect(admin.locator("main h2")).to_contain_text("第 2 轮复核")
    expect(admin.locator("#close-rereview")).to_be_visible()
    liaison.goto(f"{base}/rectification/mine/")
    expect(liaison.locator("main")).to_contain_text("第 1 轮复核后")
    screenshot(liaison, "whole-campaign-second-round")
    assert re.search("不达标", following.before["grade"])
