from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mofan.devtools.simulate import run
from mofan.indicators.builtin import SLUGS


class Command(BaseCommand):
    help = "Run a whole campaign on a built-in template with synthetic inputs and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--template", choices=SLUGS, required=True)
        parser.add_argument("--units", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = run(template=options["template"], units=options["units"], seed=options["seed"])
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
            return
        self.stdout.write(
            f"活动 #{result['campaign_id']}（{result['template']}）：{result['units']} 个单位"
        )
        self.stdout.write(f"状态：{result['states']}")
        self.stdout.write(f"等次：{result['grades']}")
        for row in result["top"]:
            self.stdout.write(f"  第 {row['rank']} 名 {row['unit']} {row['score']}")
        self.stdout.write(f"先进单位：{'、'.join(result['advanced']) or '无'}")
