"""Deployment checks of accounts, run by `manage.py check --deploy` (registered on import,
from AccountsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from mofan.accounts.models import User


@register(Tags.security, deploy=True)
def no_default_accounts(app_configs: Any, **kwargs: Any) -> list[Error]:
    """No built-in or demo account may exist in production."""
    if not settings.PRODUCTION:
        return []
    try:
        demo = list(User.objects.filter(is_demo=True).values_list("username", flat=True)[:5])
    except DatabaseError:
        return []
    if demo:
        return [
            Error(
                "演示账号存在于生产环境：" + "、".join(demo),
                hint="删除或停用演示账号（manage.py shell 或安全管理员界面）。",
                id="mofan.E001",
            )
        ]
    return []
