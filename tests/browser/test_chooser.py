"""The province-scale chooser in headless Chromium on a 390 px wide phone (issue 14 point 11):
the committee admin types part of a unit's name in the ledger form, the list of matches appears
within the screen, is picked by tap or keyboard, and the item is saved on the unit picked; the
yellow-card form picks a party organisation the same way. `new_page` also proves that no page
reported a CSP violation or a JavaScript error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mofan.supervision.models import LedgerItem, YellowCard
from tests.factories import PartyOrgFactory, UnitFactory
from tests.world import committee_with_units, log_in, persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world():
    committee, (unit_a, _unit_b) = committee_with_units(name="郑州市直机关工委（测试）", code="zz")
    for i in range(60):
        UnitFactory(committee=committee, name=f"市第{i:02d}局", short_name=f"{i:02d}局")
    target = UnitFactory(committee=committee, name="市城市管理局", short_name="城管局")
    PartyOrgFactory(unit=target, name="城管局机关党支部")
    PartyOrgFactory(unit=unit_a, name="甲单位党支部")
    admin = persona("committee_admin", committee=committee, full_name="王管理")
    return {"admin": admin, "target": target}


def test_the_chooser_is_usable_on_a_phone(live_server, world, new_page, screenshot):
    page = new_page(viewport=PHONE, has_touch=True, is_mobile=True)
    log_in(page, live_server.url, world["admin"].username)
    page.goto(f"{live_server.url}/supervision/ledger/new/")
    field = page.get_by_label("责任单位")
    field.fill("局")
    options = page.locator("#id_unit_options")
    expect(options).to_be_visible()
    # the matches of "局" (not the first units shown on focus: 甲单位 matches nothing)
    expect(options.locator("[data-chooser-pick]").first).to_contain_text("市第00局")
    expect(options.locator("[data-chooser-pick]")).to_have_count(20)
    expect(options).to_contain_text("仅显示前 20 项")
    box = options.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "chooser-390-many")
    field.fill("城市管理")
    expect(options.locator("[data-chooser-pick]")).to_have_count(1)
    screenshot(page, "chooser-390-one")
    options.get_by_role("option", name="市城市管理局").tap()
    expect(options).to_be_hidden()
    expect(field).to_have_value("市城市管理局")
    page.get_by_label("督办事项").fill("落实整改方案")
    page.get_by_label("分管领导").fill("张副局长")
    page.get_by_label("完成时限").fill("2099-12-31")
    screenshot(page, "chooser-390-picked")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/supervision/ledger/*/")
    assert LedgerItem.objects.get().unit == world["target"]


def test_the_keyboard_picks_a_party_organisation(live_server, world, new_page, screenshot):
    page = new_page(viewport=PHONE)
    log_in(page, live_server.url, world["admin"].username)
    page.goto(f"{live_server.url}/supervision/yellow-cards/new/")
    field = page.get_by_role("combobox", name="党组织")
    field.press_sequentially("城管")
    options = page.locator("#id_party_org_options")
    expect(options.locator("[data-chooser-pick]")).to_have_count(1)
    field.press("Enter")  # the first match, not a submit
    expect(field).to_have_value("城管局 · 城管局机关党支部")
    assert not YellowCard.objects.exists()
    page.get_by_label("认定软弱涣散的理由").fill("组织生活长期不正常")
    screenshot(page, "chooser-390-party-org")
    page.get_by_role("button", name="挂牌").click()
    page.wait_for_url("**/supervision/yellow-cards/*/")
    assert YellowCard.objects.get().party_org.name == "城管局机关党支部"


def test_review_group_members_are_picked_one_by_one(live_server, world, new_page, screenshot):
    from mofan.accounts.roles import Role
    from mofan.evaluations.models import ReviewGroup
    from tests.evaluations.campaign_fixtures import small_version
    from tests.factories import make_user
    from tests.world import active_campaign

    admin = world["admin"]
    campaign = active_campaign(
        committee=admin.committee, version=small_version(), admin=admin, name="创建", year=2026
    )
    reviewers = [
        make_user(Role.REVIEWER, committee=admin.committee, full_name=f"评审{i}") for i in range(3)
    ]
    page = new_page(viewport=PHONE)
    log_in(page, live_server.url, admin.username)
    page.goto(f"{live_server.url}/reviews/campaigns/{campaign.pk}/groups/")
    page.get_by_text("指定人员组建评审组").click()
    page.get_by_label("评审组名称").fill("第一组")
    leader = page.get_by_role("combobox", name="组长")
    leader.press_sequentially("评审0")
    expect(page.locator("#id_leader_options [data-chooser-pick]")).to_have_count(1)
    leader.press("Enter")
    members = page.get_by_role("combobox", name="成员")
    for name in ("评审1", "评审2"):
        members.press_sequentially(name)
        options = page.locator("#id_reviewers_options [data-chooser-pick]")
        expect(options).to_have_count(1)
        options.first.click()
        expect(members).to_have_value("")
    expect(page.locator("[data-chooser-chosen] input:checked")).to_have_count(2)
    screenshot(page, "chooser-390-members")
    page.get_by_role("button", name="建立").click()
    page.wait_for_load_state()
    group = ReviewGroup.objects.get(campaign=campaign)
    assert group.leader == reviewers[0]
    seated = set(group.seats.values_list("reviewer_id", flat=True))
    assert seated == {r.pk for r in reviewers}
