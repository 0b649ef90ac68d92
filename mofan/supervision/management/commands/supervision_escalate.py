"""`manage.py supervision_escalate [--today YYYY-MM-DD]`: the daily run of the ledger's
escalation (reminders 7 and 1 days before a deadline, then 已提醒 → 已预警 → 需约谈, and one
reminder for a late progress report). Safe to run more than once a day: nothing repeats.

Run it daily (cron or a systemd timer). `--today` evaluates another day (tests, catching up).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.supervision.ledger import ledger_escalate


class Command(BaseCommand):
    help = "Escalate overdue supervision ledger items and send the due reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="evaluate as of this date (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("today"):
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today 应为 YYYY-MM-DD 格式的日期。") from None
        summary = ledger_escalate(today=today)
        self.stdout.write(summary.text())
