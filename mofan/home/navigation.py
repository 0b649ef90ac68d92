"""The navigation each role sees. Pages check permissions themselves; this only shows links."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


def items_for(actor: Actor) -> list[NavItem]:
    items = [NavItem(str(_("首页")), reverse("home:home"))]
    if actor.has(Role.AUDITOR):
        items.append(NavItem(str(_("审计日志")), reverse("audit:list")))
        items.append(NavItem(str(_("完整性校验")), reverse("audit:verify")))
        return items
    if actor.is_committee_staff:
        items.append(NavItem(str(_("单位")), reverse("organizations:unit_list")))
        items.append(NavItem(str(_("换届提醒")), reverse("organizations:elections")))
        items.append(NavItem(str(_("指标体系")), reverse("indicators:system_list")))
        items.append(NavItem(str(_("创建活动")), reverse("campaigns:list")))
        items.append(NavItem(str(_("问题整改")), reverse("rectification:item_board")))
        items.append(NavItem(str(_("督办台账")), reverse("supervision:ledger_board")))
        items.append(NavItem(str(_("随机抽查")), reverse("supervision:spotcheck_list")))
        items.append(NavItem(str(_("通报")), reverse("supervision:bulletin_list")))
    elif actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.MEMBER):
        unit_id = actor.home_unit_id
        items.append(
            NavItem(str(_("本单位")), reverse("organizations:unit_detail", args=[unit_id]))
        )
        if actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER):
            items.append(
                NavItem(str(_("成员名册")), reverse("organizations:member_list", args=[unit_id]))
            )
            items.append(NavItem(str(_("换届提醒")), reverse("organizations:elections")))
    if actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER) and not actor.is_committee_staff:
        items.append(NavItem(str(_("创建活动")), reverse("campaigns:list")))
        items.append(NavItem(str(_("问题清单")), reverse("rectification:unit_items")))
        items.append(NavItem(str(_("督办事项")), reverse("supervision:ledger_unit")))
    if actor.unit_roles and not actor.is_committee_staff:
        items.append(NavItem(str(_("通报")), reverse("supervision:bulletin_list")))
    if actor.has(Role.REVIEWER):
        items.append(NavItem(str(_("评审任务")), reverse("reviews:mine")))
        items.append(NavItem(str(_("我的抽查")), reverse("supervision:spotcheck_mine")))
    if actor.is_committee_staff or actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER):
        items.append(NavItem(str(_("我的导出")), reverse("reports:my_exports")))
    if actor.has(Role.COMMITTEE_ADMIN, Role.SECURITY_ADMIN):
        items.append(NavItem(str(_("账号管理")), reverse("accounts_manage:list")))
    return items
