"""`manage.py audit_purge --before YYYY-MM-DD`: remove old audit entries.

Entries younger than MOFAN_AUDIT_RETENTION_DAYS (at least 183 days, GB/T 22239-2019 8.1.4.3) are
never removed, whatever date is given. A signed checkpoint keeps the remaining chain verifiable.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from mofan.audit import chain
from mofan.audit.services import audit_purge
from mofan.core.commands import iso_date


class Command(BaseCommand):
    help = "Remove audit entries older than --before, never younger than the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, help="YYYY-MM-DD (local time, midnight).")

    def handle(self, *args: Any, **options: Any) -> None:
        day = iso_date(options["before"], "--before must be a date YYYY-MM-DD, not {value!r}")
        before = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        retention = settings.MOFAN_AUDIT_RETENTION_DAYS
        floor = timezone.now() - datetime.timedelta(days=retention)
        if before > floor:
            self.stdout.write(
                f"--before {day} is within the {retention}-day retention period; "
                f"only entries before {chain.utc_iso(floor)} can be removed."
            )
        count = audit_purge(before=before)
        self.stdout.write(f"Removed {count} audit entries.")
