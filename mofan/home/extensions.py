"""What the home app contributes to the registries (core/extensions.py)."""

from django.utils.translation import gettext_lazy as _

from mofan.core.extensions import MenuEntry, audit_actions_register, menu

menu.register(MenuEntry(0, _("首页"), "home:home", shows=lambda actor: True))

audit_actions_register(
    {
        "access.denied": _("拒绝访问（无权限）"),
        "access.csrf_failed": _("拒绝请求（表单校验失败）"),
        "access.": _("访问控制"),
    }
)
