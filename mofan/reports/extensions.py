"""What reports contributes to the registries (core/extensions.py)."""

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, audit_actions_register, audit_objects_register, menu

menu.register(MenuEntry(78, _("减负统计"), "reports:burden", shows=rules.exports_anything))
menu.register(MenuEntry(80, _("我的导出"), "reports:my_exports", shows=rules.exports_anything))

audit_actions_register(
    {
        "report.export": _("导出报表"),
        "report.download": _("下载报表"),
    }
)
audit_objects_register(
    {
        "reports.exportjob": _("导出任务"),
    }
)
