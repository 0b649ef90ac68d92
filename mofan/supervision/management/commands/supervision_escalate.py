"""`manage.py supervision_escalate [--today YYYY-MM-DD]`: the daily run of the ledger's
escalation (reminders 7 and 1 days before a deadline, then 已提醒 → 已预警 → 需约谈, and one
reminder for a late progress report). Safe to run more than once a day: nothing repeats.

Run it daily (cron or a systemd timer). `--today` evaluates another day (tests, catching up).
`--background` enqueues the day's run as a task (`supervision.ledger.tasks`) for the task worker
and returns.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mofan.supervision.ledger import ledger_escalate
from mofan.supervision.ledger.tasks import escalate_task


class Command(BaseCommand):
    help = "Escalate overdue supervision ledger items and send the due reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="evaluate as of this date (YYYY-MM-DD)")
        parser.add_argument(
            "--background",
            action="store_true",
            help="enqueue the run as a task for the task worker (db_worker) and return",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("today"):
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today 应为 YYYY-MM-DD 格式的日期。") from None
        if options.get("background"):
            day = today or timezone.localdate()
            result = escalate_task.enqueue(day.isoformat())
            self.stdout.write(f"escalation {day}: queued (task {result.id})")
            return
        summary = ledger_escalate(today=today)
        self.stdout.write(summary.text())
