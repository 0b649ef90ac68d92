"""`manage.py media_sweep`: list (or, with --delete, delete) media files no row names."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mofan.core.files import orphans, orphans_delete


class Command(BaseCommand):
    help = (
        "List the files under MEDIA_ROOT that no row names (a worker killed between writing a "
        "file and committing its row, a rolled-back transaction, a temporary .part file left "
        "behind), older than MOFAN_ORPHAN_MIN_AGE_HOURS. A dry run unless --delete, which "
        "deletes them and records one audit entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="Delete them (else list only).")
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=None,
            help=f"Minimum age (default {settings.MOFAN_ORPHAN_MIN_AGE_HOURS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        age = options["older_than_hours"]
        if options["delete"]:
            names = orphans_delete(older_than_hours=age)
            verb = "deleted"
        else:
            names = orphans(older_than_hours=age)
            verb = "would delete (dry run; --delete to delete)"
        for name in names:
            self.stdout.write(name)
        self.stdout.write(f"{len(names)} orphaned file(s) {verb}")
