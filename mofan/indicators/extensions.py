"""What indicators contributes to the registries (core/extensions.py)."""

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, audit_actions_register, audit_objects_register, menu

menu.register(
    MenuEntry(30, _("指标体系"), "indicators:system_list", shows=rules.is_committee_staff)
)

audit_actions_register(
    {
        "indicators.import": _("导入指标体系"),
        "indicators.node.create": _("新增指标"),
        "indicators.node.update": _("修改指标"),
        "indicators.node.delete": _("删除指标"),
        "indicators.node.move": _("调整指标顺序"),
        "indicators.version.clone": _("复制指标版本"),
        "indicators.version.publish": _("发布指标版本"),
        "indicators.": _("指标体系"),
    }
)
audit_objects_register(
    {
        "indicators.indicatorversion": _("指标体系版本"),
        "indicators.indicatornode": _("指标"),
    }
)
