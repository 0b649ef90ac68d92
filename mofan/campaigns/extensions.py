"""What campaigns contributes to the registries (core/extensions.py and the evidence store's)."""

from django.utils.translation import gettext_lazy as _

from mofan.campaigns.models import Enrollment
from mofan.core.extensions import (
    NoticeKind,
    audit_actions_register,
    audit_objects_register,
    notice_kinds,
)
from mofan.evidence import usage

# The evidence store: a file in use is not deleted (and who else may open one).
usage.register(
    Enrollment.plan,
    message=_("该材料是本单位的实施方案，不能删除。"),
    order=20,
)

audit_actions_register(
    {
        "campaign.create": _("新建创建活动"),
        "campaign.activate": _("启动创建活动"),
        "campaign.update": _("修改创建活动"),
        "campaign.delete": _("删除创建活动"),
        "campaign.units.add": _("增加参评单位"),
        "campaign.units.withdraw": _("参评单位退出"),
        "campaign.units.readmit": _("退出单位恢复参评"),
        "campaign.leadership.add": _("添加领导小组成员"),
        "campaign.leadership.remove": _("移除领导小组成员"),
        "campaign.plan.set": _("设置工作计划"),
        "campaign.task.add": _("添加工作任务"),
        "campaign.task.remove": _("删除工作任务"),
        "campaign.task.status": _("更新任务状态"),
        "campaign.": _("创建活动"),
    }
)
audit_objects_register(
    {
        "campaigns.phase": _("工作阶段"),
        "campaigns.enrollment": _("参评单位"),
        "campaigns.leadershipmember": _("领导小组成员"),
        "campaigns.task": _("工作任务"),
    }
)

notice_kinds.register(NoticeKind("campaign.launched", _("活动启动"), owner="campaigns"))
# Notices to the units when the campaign's dates change for them (phases, deadline, extension)
# or when a unit is withdrawn.
notice_kinds.register(NoticeKind("campaign.dates", _("时间安排调整"), owner="campaigns"))
notice_kinds.register(NoticeKind("campaign.withdraw", _("退出创建活动"), owner="campaigns"))
notice_kinds.register(NoticeKind("campaign.readmit", _("恢复参加创建活动"), owner="campaigns"))
