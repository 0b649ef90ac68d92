"""Deployment checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
