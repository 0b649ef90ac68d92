"""Re-derive a recorded spot-check draw from its recorded inputs and seed.

    manage.py spotcheck_verify DRAW_ID

Exit status 0 when the re-derived units and inspectors equal the recorded result, 1 otherwise
(also for an unknown draw), with the reason on stderr.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mofan.supervision.models import SpotCheckDraw
from mofan.supervision.spotcheck import spot_check_verify


class Command(BaseCommand):
    help = "Re-derive a spot-check draw; exit 0 when it matches the recorded result, 1 otherwise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("draw_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        draw = SpotCheckDraw.objects.filter(pk=options["draw_id"]).first()
        if draw is None:
            self.stderr.write(f"没有编号为 {options['draw_id']} 的抽查记录。")
            sys.exit(1)
        if not spot_check_verify(draw):
            self.stderr.write(
                f"抽查 #{draw.pk} 复核不一致：按记录的输入和随机种子 {draw.seed} "
                "重新抽取的结果与记录不同。"
            )
            sys.exit(1)
        self.stdout.write(
            f"抽查 #{draw.pk} 复核一致：随机种子 {draw.seed}，"
            f"单位 {draw.result['units']}，检查人员 {draw.result['inspectors']}。"
        )
