from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.devtools.demo.organizations import DEMO_ACCOUNTS, DEMO_PASSWORD, load_units


class Command(BaseCommand):
    help = "Print the demo accounts and their password."

    def handle(self, *args: Any, **options: Any) -> None:
        existing = set(
            User.objects.filter(is_demo=True, is_active=True).values_list("username", flat=True)
        )
        names = [row["name"] for row in load_units()["units"]]
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}；已修改过的以修改后为准）：")
        for account in DEMO_ACCOUNTS:
            if account.username not in existing:
                continue
            unit = names[account.unit_index] if account.unit_index is not None else ""
            label = str(Role(account.role).label)
            self.stdout.write(f"  {account.username:<16} {label:<8} {account.full_name} {unit}")
        self.stdout.write("")
