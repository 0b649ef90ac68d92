"""Deployment checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def no_default_accounts(app_configs: Any, **kwargs: Any) -> list[Error]:
    """No built-in or demo account may exist in production."""
    if not settings.PRODUCTION:
        return []
    from django.db import DatabaseError

    from mofan.accounts.models import User

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


@register(Tags.security, deploy=True)
def malware_scanner_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Uploads are scanned by clamd in production (mofan/core/malware.py)."""
    from mofan.core import malware

    if not settings.PRODUCTION or malware.configured():
        return []
    return [
        Warning(
            "未配置病毒扫描服务（ClamAV clamd）：上传的文件不会经过恶意代码扫描。",
            hint="安装 clamav-daemon，并设置 MOFAN_CLAMD_SOCKET（或 MOFAN_CLAMD_HOST/"
            "MOFAN_CLAMD_PORT），见 docs/deploy.md「病毒扫描 / ClamAV」。",
            id="mofan.W002",
        )
    ]
