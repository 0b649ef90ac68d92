from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.organizations.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo committee (seed 001: 70 units), party organisations, members and accounts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="allow loading demo data in production"
        )
        parser.add_argument(
            "--no-campaigns",
            action="store_true",
            help="organisations and accounts only, without the two demo campaigns",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                "生产环境拒绝加载演示数据（演示账号的密码是公开的）。确需加载请加 --force。"
            )
        committee = load_demo(campaigns=not options["no_campaigns"])
        if committee is None:
            self.stdout.write("演示数据已存在，保留现有数据，未做任何修改。")
            return
        units = committee.units.count()
        self.stdout.write(self.style.SUCCESS(f"已加载演示数据：{committee.name}，{units} 个单位。"))
