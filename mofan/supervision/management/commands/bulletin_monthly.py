"""`manage.py bulletin_monthly --committee CODE --month YYYY-MM [--actor USERNAME]`: generate the
monthly bulletin draft (周督查月通报, seed 001) of one committee for one month.

The draft is only a draft: the committee edits and publishes it on the bulletin pages. Without
`--actor` the draft is written in the name of the committee's first active administrator.
Run it at the start of each month for the month before (cron or a systemd timer); a month that
already has its bulletin is refused, so running it twice does no harm.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign
from mofan.organizations.models import Committee
from mofan.supervision.bulletins import bulletin_monthly_draft

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class Command(BaseCommand):
    help = "Generate a committee's monthly bulletin draft (周督查月通报) for one month."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--committee", required=True, help="the committee's code")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--actor", help="username of a committee admin (default: the first)")
        parser.add_argument("--campaign", type=int, help="limit to one campaign (its id)")
        parser.add_argument("--today", help="YYYY-MM-DD: the day the draft is dated (tests)")

    def handle(self, *args: Any, **options: Any) -> None:
        committee = Committee.objects.filter(code=options["committee"]).first()
        if committee is None:
            raise CommandError(f"没有代码为 {options['committee']} 的工委。")
        match = MONTH.match(options["month"].strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise CommandError("月份格式应为 YYYY-MM，例如 2026-03。")
        year, month = int(match.group(1)), int(match.group(2))
        admins = User.objects.filter(
            is_active=True,
            role_assignments__committee=committee,
            role_assignments__unit__isnull=True,
            role_assignments__role=Role.COMMITTEE_ADMIN,
        ).order_by("pk")
        if options["actor"]:
            user = User.objects.filter(username=options["actor"]).first()
            if user is None:
                raise CommandError(f"没有用户名为 {options['actor']} 的账号。")
        else:
            user = admins.first()
            if user is None:
                raise CommandError("该工委没有在用的工委管理员账号，请用 --actor 指定。")
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"], committee=committee).first()
            if campaign is None:
                raise CommandError("该工委没有这个创建活动。")
        today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        try:
            bulletin = bulletin_monthly_draft(
                committee=committee,
                year=year,
                month=month,
                actor=actor_for(user),
                campaign=campaign,
                today=today,
            )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(
            f"已生成月度通报草稿 #{bulletin.pk}：{bulletin.title}（起草人 {user.username}）"
        )
