"""`manage.py disable_inactive_accounts`: disable accounts unused for the configured days.

Run it daily (cron or a systemd timer, docs/deploy.md); accounts are also disabled when they try
to log in after the period. Each disabled account gets an `account.disabled.inactive` entry.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from mofan.accounts import services


class Command(BaseCommand):
    help = "Disable every active account unused for MOFAN_INACTIVE_DISABLE_DAYS days."

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.MOFAN_INACTIVE_DISABLE_DAYS
        if days <= 0:
            self.stdout.write("MOFAN_INACTIVE_DISABLE_DAYS <= 0: nothing to do.")
            return
        names = services.disable_inactive_accounts()
        for name in names:
            self.stdout.write(name)
        self.stdout.write(f"已停用 {len(names)} 个连续 {days} 天未使用的账号。")
