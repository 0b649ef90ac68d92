"""What accounts contributes to the registries (core/extensions.py): the auditor's pages and
account management in the navigation."""

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, menu

menu.register(MenuEntry(10, _("审计日志"), "audit:list", shows=rules.is_auditor))
menu.register(MenuEntry(11, _("完整性校验"), "audit:verify", shows=rules.is_auditor))
menu.register(MenuEntry(90, _("账号管理"), "accounts_manage:list", shows=rules.manages_accounts))
