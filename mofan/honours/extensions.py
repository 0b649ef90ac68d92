"""What honours contributes to the registries (core/extensions.py): its page in the navigation,
the labels of its audit entries and its kinds of notices."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import (
    MenuEntry,
    NoticeKind,
    audit_actions_register,
    audit_objects_register,
    menu,
    notice_kinds,
)


def _reads_honours(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.is_unit_person(actor)


menu.register(MenuEntry(65, _("评先评优"), "honours:programme_list", shows=_reads_honours))

notice_kinds.register(NoticeKind("honour.", _("评先评优"), owner="honours"))

audit_actions_register(
    {
        "honour.programme.create": _("新建评选项目"),
        "honour.programme.update": _("修改评选项目"),
        "honour.programme.open": _("开始评选推荐"),
        "honour.programme.review": _("结束推荐、开始评审"),
        "honour.programme.publish": _("发布评选公示"),
        "honour.programme.name": _("评选命名"),
        "honour.programme.close": _("终止评选"),
        "honour.nominate": _("推荐评选对象"),
        "honour.review": _("评选评分"),
        "honour.veto": _("记录征求意见（纪检监察/巡察/审计）"),
        "honour.tie_decide": _("确定同分入选人选"),
        "honour.objection.lodge": _("提出公示异议"),
        "honour.objection.resolve": _("处理公示异议"),
        "honour.revoke": _("撤销荣誉"),
        "honour.": _("评先评优"),
    }
)
audit_objects_register(
    {
        "honours.honourprogramme": _("评选项目"),
        "honours.nomination": _("评选推荐"),
        "honours.objection": _("公示异议"),
    }
)
