"""The three-step evaluation's happy path through four roles in headless Chromium (issue 4,
point 10): the unit admin uploads one evidence file, links it to two indicators and fills in
every leaf; the unit leader submits; a reviewer scores every leaf and submits; the group leader
consolidates; the committee admin prepares the approval, the committee leader signs it off and
the admin publishes; the unit admin sees the result.

The other unit of the campaign, and the group leader's own scores, are entered through the
services in Python: they only have to exist for the approval and the consolidation. The
`new_page` fixture also proves that no page reported a CSP violation or a JavaScript error.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import Role
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations import review_groups, services
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    EvidenceLink,
    ReviewScore,
    ReviewSubmission,
    SelfScore,
    UnitResult,
)
from mofan.evidence.models import Evidence
from mofan.indicators.builtin import load_templates
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from tests.factories import PASSWORD
from tests.world import active_campaign, committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEVEL = "达标"
PDF_NAME = "创建工作自评报告.pdf"


def small_pdf() -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def leaf(page: Page, code: str) -> Any:
    return page.locator(f'article.leaf[id="leaf-{code}"]')


def expect_message(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def expect_approved(page: Page, text: str) -> None:
    """The approval runs as a background task and its page polls until the task is done: on
    a busy machine (both database passes of `make test` at once) that takes more than the
    default 5 s."""
    expect(page.locator(".messages")).to_contain_text(text, timeout=60_000)


@pytest.fixture
def world(settings, tmp_path):
    """A committee with two units on the built-in xinzhou-2022 template (13 qualitative
    leaves), its people, a review group of two and the draw. Unit B goes through its own
    self-evaluation, review and consolidation in Python, so that only unit A's flow is left."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    load_templates()
    committee, (unit_a, unit_b) = committee_with_units(
        name="忻州经济开发区党工委（测试）", code="xinzhou-test"
    )
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b}
    admin = persona("committee_admin", **where, full_name="王管理")
    committee_leader = persona("committee_leader", **where, full_name="刘书记")
    liaison = persona("unit_admin", **where, full_name="李联络")
    leader = persona("unit_leader", **where, full_name="张书记")
    liaison_b = persona("outsider", **where, full_name="赵联络")
    RoleAssignment.objects.create(
        user=liaison_b, role=Role.UNIT_LEADER, committee=committee, unit=unit_b
    )
    group_leader = persona("reviewer", **where, full_name="陈组长")
    reviewer = persona("reviewer", **where, full_name="周评审")
    version = IndicatorVersion.objects.get(system__committee=None, system__slug="xinzhou-2022")
    admin_actor = actor_for(admin)
    campaign = active_campaign(
        committee=committee,
        version=version,
        admin=admin,
        name="2026年模范机关创建行动",
        year=2026,
        submission_deadline=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=14),
    )
    leaves = list(
        IndicatorNode.objects.filter(version=version, children__isnull=True).order_by("order")
    )
    assert leaves and all(n.method_type == "qualitative" for n in leaves)
    enrollment_a = Enrollment.objects.get(campaign=campaign, unit=unit_a)
    enrollment_b = Enrollment.objects.get(campaign=campaign, unit=unit_b)
    b_actor = actor_for(liaison_b)
    for node in leaves:
        services.self_score_save(
            enrollment=enrollment_b,
            node=node,
            value={"level": LEVEL},
            narrative="",
            expected_version=None,
            actor=b_actor,
        )
    services.enrollment_transition(
        enrollment=enrollment_b, to=EnrollmentState.SUBMITTED, actor=b_actor
    )
    review_groups.review_group_create(
        campaign=campaign,
        name="第一评审组",
        leader=group_leader,
        reviewers=[reviewer],
        actor=admin_actor,
    )
    review_groups.assignment_draw(
        campaign=campaign, method="balanced", seed="browser-flow", actor=admin_actor
    )
    assignment_b = Assignment.objects.get(enrollment=enrollment_b)
    for person in (group_leader, reviewer):
        score_all(assignment_b, person, leaves)
    services.consolidate(assignment=assignment_b, actor=actor_for(group_leader))
    return {
        "campaign": campaign,
        "unit_a": unit_a,
        "enrollment": enrollment_a,
        "assignment": Assignment.objects.get(enrollment=enrollment_a),
        "leaves": leaves,
        "admin": admin,
        "committee_leader": committee_leader,
        "liaison": liaison,
        "leader": leader,
        "group_leader": group_leader,
        "reviewer": reviewer,
        "media": Path(settings.MEDIA_ROOT),
    }


def score_all(assignment: Assignment, person: Any, leaves: list[IndicatorNode]) -> None:
    actor = actor_for(person)
    for node in leaves:
        services.review_score_save(
            assignment=assignment,
            node=node,
            value={"level": LEVEL},
            comment="",
            expected_version=None,
            actor=actor,
        )
    services.review_submit(assignment=assignment, actor=actor)


def test_four_roles_walk_the_evaluation_from_self_evaluation_to_the_published_result(
    live_server, world, new_page, screenshot
):
    base = live_server.url
    enrollment = world["enrollment"]
    assignment = world["assignment"]
    campaign = world["campaign"]
    leaves = world["leaves"]
    linked_codes = [leaves[0].code, leaves[1].code]

    # --- 1. The unit admin uploads one file to the unit's evidence library. ---------------
    unit_page = new_page()
    log_in(unit_page, base, world["liaison"].username, PASSWORD)
    unit_page.goto(f"{base}/evidence/")
    expect(unit_page.locator("main")).to_contain_text("涉密不上网")
    unit_page.get_by_label("选择文件").set_input_files(
        files=[{"name": PDF_NAME, "mimeType": "application/pdf", "buffer": small_pdf()}]
    )
    unit_page.get_by_role("button", name="上传", exact=True).click()
    expect_message(unit_page, f"已上传「{PDF_NAME}」")
    expect(unit_page.locator("main table")).to_contain_text(PDF_NAME)

    # --- 2. ... links it to two indicators and fills in every leaf (each row via htmx). ----
    unit_page.goto(f"{base}/reviews/self/{enrollment.pk}/")
    expect(unit_page.locator("#self-progress")).to_have_attribute("value", "0")
    for code in linked_codes:
        evidence = leaf(unit_page, code).locator(".node-evidence")
        evidence.get_by_role("link", name="关联佐证材料…").click()  # the files, asked for
        evidence = leaf(unit_page, code).locator(".node-evidence")
        evidence.get_by_label("选择要关联的佐证材料").select_option(label=PDF_NAME)
        evidence.get_by_role("button", name="关联").click()
        expect(evidence.get_by_role("link", name=PDF_NAME)).to_be_visible()
    for node in leaves:
        row = leaf(unit_page, node.code)
        row.locator("select[name=level]").select_option(LEVEL)
        row.locator("textarea[name=narrative]").fill(f"{node.code} 已按要求落实。")
        with unit_page.expect_response(
            lambda r, pk=node.pk: r.url.endswith(f"/reviews/self/{enrollment.pk}/{pk}/")
        ):
            row.get_by_role("button", name="保存", exact=True).click()
        expect(row.locator(".saved")).to_contain_text(f"已填：{LEVEL}")
    # The rows swapped by htmx kept their evidence; a reload shows everything stored.
    unit_page.reload()
    total = len(leaves)
    expect(unit_page.locator("main")).to_contain_text(f"已填 {total} / {total} 项")
    for code in linked_codes:
        # a filled row is folded to one line saying how many files it has (issue 14.6)
        expect(leaf(unit_page, code).locator(".leaf-fold > summary")).to_contain_text("佐证 1 份")
        leaf(unit_page, code).locator(".leaf-fold > summary").click()
        expect(leaf(unit_page, code).get_by_role("link", name=PDF_NAME)).to_be_visible()
    screenshot(unit_page, "self-evaluation")

    # --- 3. The unit leader confirms and submits (accepting the confirmation dialog). ------
    leader_page = new_page()
    log_in(leader_page, base, world["leader"].username, PASSWORD)
    leader_page.goto(f"{base}/campaigns/enrollments/{enrollment.pk}/")
    expect(leader_page.locator("main")).to_contain_text(f"已填 {total} / {total} 项")
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    leader_page.once("dialog", accept)
    leader_page.locator("#submit-self").click()
    expect_message(leader_page, "自评已提交，现已锁定。")
    expect(leader_page.locator("#enrollment-state")).to_have_text("已提交")
    assert dialogs == ["提交后自评将锁定，确定提交？"]

    # The group leader's own scores, entered in Python; not visible to the reviewer yet.
    score_all(assignment, world["group_leader"], leaves)

    # --- 4. The reviewer scores every leaf independently and submits. ----------------------
    review_page = new_page()
    log_in(review_page, base, world["reviewer"].username, PASSWORD)
    review_page.goto(f"{base}/reviews/mine/")
    review_page.locator("main tr", has_text="甲单位").get_by_role("link", name="评分").click()
    expect(review_page).to_have_url(re.compile(rf"/reviews/assignments/{assignment.pk}/$"))
    expect(review_page.locator("main")).to_contain_text("提交自己的评分之前，看不到其他评审员")
    expect(review_page.locator("main")).not_to_contain_text("陈组长")
    # The unit's self score and the linked file are in front of the reviewer.
    first = leaf(review_page, leaves[0].code)
    expect(first).to_contain_text(f"单位自评：{LEVEL}")
    expect(first.get_by_role("link", name=PDF_NAME)).to_be_visible()
    # Each leaf is saved through htmx: the answer replaces that row, the page is not reloaded
    # (the marker set on the window survives every save).
    review_page.evaluate("window.mofanNotReloaded = true")
    saves = f"{base}/reviews/assignments/{assignment.pk}/score/"
    for node in leaves:
        row = leaf(review_page, node.code)
        row.locator("select[name=level]").select_option(LEVEL)
        with review_page.expect_response(lambda r, pk=node.pk: r.url == f"{saves}{pk}/"):
            row.get_by_role("button", name="保存", exact=True).click()
        expect(leaf(review_page, node.code).locator(".badge-ok")).to_contain_text(
            f"我的评分：{LEVEL}"
        )
    assert review_page.evaluate("window.mofanNotReloaded === true")
    review_page.once("dialog", lambda dialog: dialog.accept())
    review_page.locator("#submit-review").click()
    expect_message(review_page, "评分已提交")
    # Now the other reviewer's scores are shown, and nothing can be changed any more.
    expect(leaf(review_page, leaves[0].code)).to_contain_text(f"其他评审员：陈组长 {LEVEL}")
    expect(review_page.locator("#submit-review")).to_have_count(0)

    # --- 5. The group leader consolidates. --------------------------------------------------
    group_page = new_page()
    log_in(group_page, base, world["group_leader"].username, PASSWORD)
    group_page.goto(f"{base}/reviews/assignments/{assignment.pk}/consolidate/")
    expect(group_page.locator("#consolidation tbody tr")).to_have_count(total)
    expect(group_page.locator("#consolidation tr.has-problem")).to_have_count(0)
    group_page.locator("#consolidate").click()
    expect_message(group_page, "已汇总，该单位评审完成。")
    expect(group_page).to_have_url(re.compile(r"/reviews/mine/$"))

    # --- 6. The admin prepares the approval, the committee leader signs it off with their
    # password, the admin publishes, with the ranking. ----------------------------------------
    admin_page = new_page()
    log_in(admin_page, base, world["admin"].username, PASSWORD)
    admin_page.goto(f"{base}/reviews/campaigns/{campaign.pk}/approval/")
    table = admin_page.locator("#approval-table")
    for name in ("甲单位", "乙单位"):
        row = table.locator(f'tr[data-unit="{name}"]')
        expect(row).to_contain_text("已评审")
        # Qualitative leaves: the self and review columns count the levels.
        expect(row.locator("td").nth(2)).to_have_text(f"{LEVEL} {total}")
        expect(row.locator("td").nth(3)).to_have_text(f"{LEVEL} {total}")
    admin_page.locator("#prepare").click()
    expect_message(admin_page, "已准备 2 个单位的审定，等待工委领导签批。")
    leader_page = new_page()
    log_in(leader_page, base, world["committee_leader"].username, PASSWORD)
    leader_page.goto(f"{base}/reviews/campaigns/{campaign.pk}/approval/")
    expect(leader_page.locator("#approval-round")).to_contain_text("王管理")
    leader_page.get_by_label("请输入您的登录密码确认签批").fill(PASSWORD)
    leader_page.locator("#sign").click()
    expect_approved(leader_page, "已签批，2 个单位的结果已审定并冻结。")
    screenshot(leader_page, "approval-signed")
    admin_page.reload()
    for name in ("甲单位", "乙单位"):
        expect(table.locator(f'tr[data-unit="{name}"]')).to_contain_text("已审定")
    admin_page.get_by_label("同时公布排名").check()
    admin_page.locator("#publish-results").click()
    expect_message(admin_page, "结果已公布，各单位可查看本单位结果。")
    expect(admin_page.locator("#publish-results")).to_have_count(0)
    screenshot(admin_page, "approval-table")

    # --- 7. The unit admin sees the unit's grade, score and rank. ---------------------------
    unit_page.goto(f"{base}/campaigns/enrollments/{enrollment.pk}/")
    expect(unit_page.locator("#enrollment-state")).to_have_text("已审定")
    result = UnitResult.objects.get(enrollment=enrollment)
    expect(unit_page.locator("#result-grade")).to_have_text(result.grade)
    expect(unit_page.locator("#result-score")).to_have_text(
        "—" if result.composite is None else str(result.composite)
    )
    expect(unit_page.locator("#result")).to_contain_text("名次")
    assert result.grade == "优秀" and result.frozen and result.rank == 1
    screenshot(unit_page, "enrollment-result")

    # --- In the database: one file stored once, two links; the whole trail is there. -------
    files = list(Evidence.objects.filter(unit=world["unit_a"]))
    assert len(files) == 1
    assert files[0].original_name == PDF_NAME
    links = EvidenceLink.objects.filter(evidence=files[0]).order_by("node__order")
    assert [link.node.code for link in links] == linked_codes
    assert all(link.enrollment_id == enrollment.pk for link in links)
    stored = [p for p in (world["media"] / "evidence").rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == small_pdf()
    assert SelfScore.objects.filter(enrollment=enrollment).count() == total
    assert ReviewScore.objects.filter(assignment=assignment).count() == 2 * total
    assert ReviewSubmission.objects.filter(assignment=assignment).count() == 2
    assert ConsolidatedScore.objects.filter(enrollment=enrollment).count() == total
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.APPROVED
    assert enrollment.submitted_by_id == world["leader"].pk
    campaign.refresh_from_db()
    assert campaign.results_published and campaign.ranking_published
