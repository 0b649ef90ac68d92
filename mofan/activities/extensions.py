"""What the activity ledger contributes to the registries: its page in the navigation, its audit
labels, and its use of evidence files (a file linked to a record is not deleted)."""

from django.utils.translation import gettext_lazy as _

from mofan.activities.models import ActivityRecord
from mofan.activities.selectors import is_linked_member, reads_ledger
from mofan.core.extensions import (
    MenuEntry,
    audit_actions_register,
    audit_objects_register,
    menu,
)
from mofan.evidence import usage

menu.register(MenuEntry(45, _("活动台账"), "activities:ledger", shows=reads_ledger))
menu.register(MenuEntry(46, _("我的活动"), "activities:mine", shows=is_linked_member))

audit_actions_register(
    {
        "activity.create": _("记录活动"),
        "activity.update": _("修改活动记录"),
        "activity.delete": _("删除活动记录"),
        "activity.import": _("导入活动记录"),
        "activity.import_request": _("提交活动记录导入"),
        "activity.import_retry": _("重试活动记录导入"),
        "activity.": _("活动台账"),
        "activity_kind.create": _("添加活动类型"),
        "activity_kind.active": _("启用或停用活动类型"),
        "activity_kind.": _("活动类型"),
    }
)
audit_objects_register(
    {
        "activities.activityrecord": _("活动记录"),
        "activities.activitykind": _("活动类型"),
        "activities.participation": _("出席记录"),
        "activities.activityimport": _("活动记录导入"),
    }
)

usage.register(
    ActivityRecord.evidence,
    message=_("该文件已关联到活动台账的记录，请先取消关联。"),
    order=50,
)
