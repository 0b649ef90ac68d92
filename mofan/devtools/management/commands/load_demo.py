from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.devtools.demo.organizations import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo committee (seed 001: 70 units), party organisations, members and accounts "
        "(development and training instances only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-campaigns",
            action="store_true",
            help=(
                "organisations and accounts only, without the two demo campaigns and their "
                "supervision and honours data"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # mofan.devtools is not installed in production, so this command does not exist there;
        # should the app be installed by hand, the demo (its passwords are public) still refuses.
        if settings.PRODUCTION:
            raise CommandError("生产环境拒绝加载演示数据（演示账号的密码是公开的）。")
        committee = load_demo(campaigns=not options["no_campaigns"])
        if committee is None:
            self.stdout.write("演示数据已存在，保留现有数据，未做任何修改。")
            return
        units = committee.units.count()
        self.stdout.write(self.style.SUCCESS(f"已加载演示数据：{committee.name}，{units} 个单位。"))
