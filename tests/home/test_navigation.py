"""The navigation is assembled from the menu entries each app registers (core.extensions.menu):
every persona sees exactly the links the hand-written navigation gave it, in the same order."""

from __future__ import annotations

import pytest

from mofan.accounts.access import actor_for
from mofan.accounts.roles import Role
from mofan.core.extensions import menu
from mofan.home.navigation import items_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db

STAFF = [
    "首页",
    "单位",
    "换届提醒",
    "指标体系",
    "创建活动",
    "活动台账",
    "问题整改",
    "督办台账",
    "随机抽查",
    "通报",
    "评先评优",
    "满意度测评",
    "品牌案例",
    "述职评议",
]
UNIT = [
    "首页",
    "本单位",
    "成员名册",
    "换届提醒",
    "创建活动",
    "活动台账",
    "问题清单",
    "督办事项",
    "通报",
    "评先评优",
    "满意度测评",
    "品牌案例",
    "述职评议",
    "减负统计",
    "已印发公文",
    "我的导出",
    "API 令牌",
]
EXPECTED = {
    Role.COMMITTEE_ADMIN: [
        *STAFF,
        "减负统计",
        "公文草稿",
        "已印发公文",
        "我的导出",
        "账号管理",
        "API 令牌",
    ],
    Role.COMMITTEE_LEADER: [*STAFF, "减负统计", "公文草稿", "已印发公文", "我的导出", "API 令牌"],
    Role.SECURITY_ADMIN: ["首页", "账号管理"],
    Role.AUDITOR: ["首页", "审计日志", "完整性校验"],
    Role.REVIEWER: ["首页", "评审任务", "我的抽查", "专家评审", "述职评议", "案例评审", "API 令牌"],
    Role.UNIT_ADMIN: UNIT,
    Role.UNIT_LEADER: UNIT,
    Role.MEMBER: ["首页", "本单位", "通报", "评先评优", "优秀案例", "API 令牌"],
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_persona_sees_its_links_in_order(role, committee, unit_a):
    user = make_user(
        role,
        committee=committee,
        unit=unit_a if role in (Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.MEMBER) else None,
    )
    items = items_for(actor_for(user))
    assert [item.label for item in items] == EXPECTED[role]
    own = [item.url for item in items if item.label in ("本单位", "成员名册")]
    assert all(str(unit_a.pk) in url for url in own)


def test_the_menu_is_filled_by_the_apps_at_start_up():
    owners = {entry.url_name.split(":")[0] for entry in menu}
    assert {"home", "audit", "organizations", "indicators", "campaigns", "rectification"} <= owners
    assert {"supervision", "reviews", "reports", "accounts_manage", "honours"} <= owners
    assert "surveys" in owners


def test_an_account_without_roles_sees_only_the_home_link(committee):
    user = make_user(Role.MEMBER, committee=committee)
    user.role_assignments.all().delete()
    assert [item.label for item in items_for(actor_for(user))] == ["首页"]


def test_the_menu_is_worked_out_once_per_request_and_only_when_shown(
    committee, unit_a, monkeypatch, rf
):
    """An htmx save renders its row and three out-of-band parts, each through the context
    processors: the menu (none of them shows it) must not be worked out four times."""
    from mofan.home import context_processors

    calls: list[int] = []

    def counted(actor):
        calls.append(1)
        return items_for(actor)

    monkeypatch.setattr(context_processors, "items_for", counted)
    user = make_user(Role.UNIT_ADMIN, committee=committee, unit=unit_a)
    request = rf.get("/")
    request.user = user
    request.actor = actor_for(user)
    for _render in range(4):
        context_processors.navigation(request)
    assert calls == []  # no template showed the header
    shown = [context_processors.navigation(request)["nav_items"] for _render in range(3)]
    assert [item.label for item in shown[0]] == UNIT
    assert all(list(items) == list(shown[0]) for items in shown)
    assert calls == [1]
    # another request works it out again (roles may have changed meanwhile)
    other = rf.get("/")
    other.user, other.actor = user, actor_for(user)
    assert [item.label for item in context_processors.navigation(other)["nav_items"]] == UNIT
    assert calls == [1, 1]


def test_the_menu_links_follow_the_script_prefix_and_each_units_own_id(committee, unit_a, unit_b):
    """The links are reversed once per process (navigation._url), keyed by their arguments
    and the script prefix: a unit's own links still name that unit, and a deployment under a
    sub-path still gets links under it."""
    from django.urls import set_script_prefix

    from tests.factories import UnitFactory

    unit_c = UnitFactory(committee=committee, name="丙单位")
    for unit in (unit_a, unit_b, unit_c):
        user = make_user(Role.UNIT_ADMIN, committee=committee, unit=unit)
        own = {i.label: i.url for i in items_for(actor_for(user))}
        assert f"/{unit.pk}/" in own["本单位"]
    user = make_user(Role.UNIT_ADMIN, committee=committee, unit=unit_a)
    plain = {i.label: i.url for i in items_for(actor_for(user))}
    set_script_prefix("/mofan/")
    try:
        prefixed = {i.label: i.url for i in items_for(actor_for(user))}
    finally:
        set_script_prefix("/")
    assert prefixed == {label: "/mofan" + url for label, url in plain.items()}
    assert {i.label: i.url for i in items_for(actor_for(user))} == plain
