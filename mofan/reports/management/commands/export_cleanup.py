"""`manage.py export_cleanup [--now ISO-DATETIME]`: expire old export files and recover
abandoned jobs.

Run it hourly from cron (docs/deploy.md). It marks finished jobs past
MOFAN_EXPORT_RETENTION_HOURS as expired and deletes their files, fails jobs left running by a
dead process or queued/running longer than MOFAN_EXPORT_STALE_MINUTES, and deletes stray files
in the export directory (a crash's leftovers). `--now` replays a given moment (tests).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mofan.reports import jobs_files


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now 应为 ISO 格式的时间，如 2026-11-22T08:00：{value}") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Expire old export files, fail abandoned export jobs, delete stray files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="the moment to run for (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options["now"]) if options.get("now") else timezone.now()
        recovered = jobs_files.job_recover(now=now)
        expired = jobs_files.job_expire(now=now)
        swept = jobs_files.sweep_files(now=now)
        self.stdout.write(
            f"expired {expired} job(s), failed {recovered} abandoned job(s), "
            f"deleted {swept} stray file(s)"
        )
