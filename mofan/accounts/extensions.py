"""What accounts contributes to the registries (core/extensions.py): the auditor's pages and
account management in the navigation."""

from django.utils.translation import gettext_lazy as _

from mofan.accounts import choosers, rules, tokens
from mofan.accounts.selectors import units_for_grants
from mofan.core.choosers import ChooserScope, register_kind, register_scope
from mofan.core.extensions import MenuEntry, audit_actions_register, audit_objects_register, menu

menu.register(MenuEntry(10, _("审计日志"), "audit:list", shows=rules.is_auditor))
menu.register(MenuEntry(11, _("完整性校验"), "audit:verify", shows=rules.is_auditor))
menu.register(MenuEntry(90, _("账号管理"), "accounts_manage:list", shows=rules.manages_accounts))
menu.register(MenuEntry(95, _("API 令牌"), "accounts:tokens", shows=tokens.may_use_api))

audit_actions_register(
    {
        "account.create": _("创建账号"),
        "account.batch_request": _("提交批量创建账号"),
        "account.batch_retry": _("重试批量创建账号"),
        "account.batch_collect": _("领取批量创建的初始密码"),
        "account.activate": _("启用账号"),
        "account.disabled.inactive": _("停用长期未登录的账号"),
        "account.login.success": _("登录成功"),
        "account.login.failed": _("登录失败"),
        "account.login.locked": _("账号被锁定"),
        "account.login.refused_inactive": _("拒绝登录（账号已停用）"),
        "account.login.refused_locked": _("拒绝登录（账号已锁定）"),
        "account.password.change": _("修改密码"),
        "account.password.reset": _("重置密码"),
        "account.reauth": _("再次验证身份"),
        "account.role.grant": _("授予角色"),
        "account.role.revoke": _("撤销角色"),
        "account.unlock": _("解除锁定"),
        "account.2fa.enable": _("启用双因素认证"),
        "account.2fa.disable": _("停用双因素认证"),
        "account.2fa.verify": _("双因素认证验证"),
        "account.2fa.recovery_codes": _("生成恢复码"),
        "account.2fa.required": _("要求双因素认证"),
        "account.token.create": _("创建 API 令牌"),
        "account.token.revoke": _("撤销 API 令牌"),
        "account.": _("账号操作"),
    }
)
audit_objects_register(
    {
        "accounts.totpdevice": _("双因素认证设备"),
        "accounts.recoverycode": _("恢复码"),
        "accounts.loginthrottle": _("登录限制"),
        "accounts.apitoken": _("API 令牌"),
        "accounts.accountbatch": _("批量创建账号"),
    }
)

# Choosers (core/choosers.py): reviewers; the units a unit role may be granted for.
register_kind(choosers.REVIEWER)
register_scope(
    ChooserScope(kind="unit", name="grants", queryset=lambda actor, _p: units_for_grants(actor))
)
