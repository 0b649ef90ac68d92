"""`manage.py send_reminders [--today YYYY-MM-DD]`: the daily deadline reminders.

Run it once a day from cron (docs/deploy.md). Running it twice the same day sends nothing new;
`--today` replays a given day (tests, or catching up after an outage). `--background`
enqueues the day's run as a task (`notifications.tasks`) for the task worker and returns.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from mofan.core.commands import iso_date
from mofan.notifications.reminders import send_reminders
from mofan.notifications.tasks import reminders_task


def _date(value: str) -> date:
    return iso_date(value, "--today 应为 YYYY-MM-DD 格式的日期：{value}")


class Command(BaseCommand):
    help = (
        "Send every app's daily deadline reminders (e.g. problem-list items 7 and 1 days "
        "before and overdue), then retry failed notice e-mails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="the date to run for, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--background",
            action="store_true",
            help="enqueue the run as a task for the task worker (db_worker) and return",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = _date(options["today"]) if options.get("today") else timezone.localdate()
        if options.get("background"):
            result = reminders_task.enqueue(today.isoformat())
            self.stdout.write(f"reminders {today}: queued (task {result.id})")
            return
        summary = send_reminders(today=today)
        self.stdout.write(summary.text())
