from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.devtools.scale import DEFAULT_MEMBERS, DEFAULT_TEMPLATE, seed_scale
from mofan.indicators.builtin import SLUGS


class Command(BaseCommand):
    help = (
        "Create a committee with N units, their party organisations and members, and a campaign "
        "with every unit's self-evaluation and review scores filled and approved (bulk paths)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--units", type=int, required=True)
        parser.add_argument("--members-per-unit", type=int, default=DEFAULT_MEMBERS)
        parser.add_argument("--template", choices=SLUGS, default=DEFAULT_TEMPLATE)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--ledger-records",
            type=int,
            default=None,
            help="activity-ledger records in all (default: 100 a unit)",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["units"] < 1:
            raise CommandError("--units 须为正整数。")
        if options["members_per_unit"] < 1:
            raise CommandError("--members-per-unit 须为正整数。")
        if options["ledger_records"] is not None and options["ledger_records"] < 0:
            raise CommandError("--ledger-records 不能为负数。")
        quiet = options["json"] or options["verbosity"] < 1
        result = seed_scale(
            units=options["units"],
            members_per_unit=options["members_per_unit"],
            template=options["template"],
            seed=options["seed"],
            ledger_records=options["ledger_records"],
            progress=None if quiet else (lambda m: self.stderr.write(m)),
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
            return
        self.stdout.write(
            f"规模数据：活动 #{result['campaign_id']}（{result['template']}），"
            f"{result['units']} 个单位、{result['members']} 名成员，"
            f"台账记录 {result['ledger_records']} 条，"
            f"评分 {result['score_rows']} 条（自评 {result['self_scores']}、"
            f"评审 {result['review_scores']}、汇总 {result['consolidated_scores']}），"
            f"结果 {result['results']} 条已审定，用时 {result['total_seconds']} 秒。"
        )
