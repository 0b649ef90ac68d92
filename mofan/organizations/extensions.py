"""What organizations contributes to the registries (core/extensions.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.choosers import ChooserScope, register_kind, register_scope
from mofan.core.extensions import MenuEntry, audit_actions_register, menu
from mofan.organizations import choosers
from mofan.organizations.selectors import active_units_administered_by


def _own_unit(actor: Any) -> list[Any]:
    return [actor.home_unit_id]


def _elections(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.reads_unit_work(actor)


menu.register(MenuEntry(20, _("单位"), "organizations:unit_list", shows=rules.is_committee_staff))
menu.register(
    MenuEntry(
        20, _("本单位"), "organizations:unit_detail", shows=rules.is_unit_person, args=_own_unit
    )
)
menu.register(
    MenuEntry(
        21, _("成员名册"), "organizations:member_list", shows=rules.reads_unit_work, args=_own_unit
    )
)
menu.register(MenuEntry(22, _("换届提醒"), "organizations:elections", shows=_elections))

audit_actions_register(
    {
        "committee.create": _("建立工委"),
        "unit.create": _("新建单位"),
        "unit.update": _("修改单位信息"),
        "unit.": _("单位信息"),
        "member.create": _("新增党员"),
        "member.update": _("修改党员信息"),
        "member.delete": _("删除党员"),
        "member.account_link": _("关联党员账号"),
        "member.account_unlink": _("解除党员账号关联"),
        "member.": _("党员信息"),
        "party_org.create": _("新建党组织"),
        "party_org.update": _("修改党组织"),
        "party_org.delete": _("删除党组织"),
        "party_org.": _("党组织信息"),
    }
)

# --- choosers (core/choosers.py): units, party organisations, people --------------------------
register_kind(choosers.UNIT)
register_kind(choosers.PARTY_ORG)
register_kind(choosers.PERSON)
register_scope(choosers.ROSTER)
register_scope(
    ChooserScope(
        kind="unit",
        name="administered",
        queryset=lambda actor, _p: active_units_administered_by(actor),
    )
)
