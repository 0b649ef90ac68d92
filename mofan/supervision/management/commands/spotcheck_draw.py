"""Record a random spot-check draw (双随机) and print it.

    manage.py spotcheck_draw --campaign ID --units N --inspectors M [--seed S] [--json]
        [--stratify category|score_band] [--exclude-months K] [--mode announced|unannounced]
        [--title T] [--actor USERNAME] [--today YYYY-MM-DD]

Without --actor the draw is made by the system (audited as such); with it, by that committee
admin. --json prints exactly {"draw_id", "seed", "units", "inspectors"} (lists of ids).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign
from mofan.core.commands import iso_date
from mofan.organizations.models import Unit
from mofan.supervision.models import VisitMode
from mofan.supervision.spotcheck import spot_check_draw_record


def _date(value: str) -> datetime.date:
    return iso_date(value, "日期格式应为 YYYY-MM-DD：{value}")


class Command(BaseCommand):
    help = "Draw units and inspectors at random for a spot check, record the draw, print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, required=True)
        parser.add_argument("--units", type=int, required=True)
        parser.add_argument("--inspectors", type=int, required=True)
        parser.add_argument("--seed", default=None)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--stratify", choices=["category", "score_band"], default="")
        parser.add_argument("--exclude-months", type=int, default=0)
        parser.add_argument("--mode", choices=VisitMode.values, default=VisitMode.UNANNOUNCED)
        parser.add_argument("--title", default="")
        parser.add_argument("--actor", default=None, help="username of a committee admin")
        parser.add_argument("--today", type=_date, default=None, help="reference date")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"没有编号为 {options['campaign']} 的创建活动。")
        actor = None
        if options["actor"]:
            user = User.objects.filter(username=options["actor"], is_active=True).first()
            if user is None:
                raise CommandError(f"没有用户名为 {options['actor']} 的在用账号。")
            actor = actor_for(user)
        try:
            draw = spot_check_draw_record(
                campaign=campaign,
                units=options["units"],
                inspectors=options["inspectors"],
                seed=options["seed"],
                stratify_by=options["stratify"],
                exclude_months=options["exclude_months"],
                mode=options["mode"],
                title=options["title"],
                actor=actor,
                today=options["today"],
            )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc
        units, inspectors = draw.result["units"], draw.result["inspectors"]
        if options["json"]:
            payload = {
                "draw_id": draw.pk,
                "seed": draw.seed,
                "units": units,
                "inspectors": inspectors,
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        names = Unit.objects.in_bulk(units)
        people = User.objects.in_bulk(inspectors)
        self.stdout.write(f"抽查 #{draw.pk}（{campaign.name}），随机种子 {draw.seed}")
        self.stdout.write("抽中单位：" + "、".join(f"{names[u].name}（{u}）" for u in units))
        self.stdout.write(
            "检查人员："
            + "、".join(f"{people[i].full_name or people[i].username}（{i}）" for i in inspectors)
        )
        self.stdout.write(f"复现：python manage.py spotcheck_verify {draw.pk}")
