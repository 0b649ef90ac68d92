"""`manage.py backup`: one encrypted archive with the database, the media files and a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mofan.audit.services import audit_record
from mofan.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump), the media files and a manifest "
        "with row counts and the audit chain head into one .tar.gz archive, encrypted with SM4-GCM "
        "under the data key (MOFAN_DATA_KEY), which restoring it needs."
    )
    # A backup must stay possible even when an unrelated system check fails.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Archive path or directory "
            "(default: VAR_DIR/backups/mofan-<timestamp>.tar.gz.sm4).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = create_backup(options["output"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        # Recorded after the snapshot, so the archive's chain head is the entry before this one.
        with transaction.atomic():
            audit_record(
                action="system.backup",
                actor_name="backup",
                extra={
                    "archive": result.path.name,
                    "audit_head_id": manifest.get("audit", {}).get("head_id"),
                },
            )
        self.stdout.write(f"Backup written: {result.path}")
        self.stdout.write(f"  size:     {result.path.stat().st_size} bytes")
        self.stdout.write(f"  created:  {manifest['created_at']}")
        self.stdout.write(f"  database: {manifest['vendor']}")
        tables: dict[str, int] = manifest["tables"]
        self.stdout.write(f"  tables:   {len(tables)}, {sum(tables.values())} rows")
        width = max((len(table) for table in tables), default=5)
        for table, count in tables.items():
            self.stdout.write(f"    {table:<{width}} {count:>10}")
        audit = manifest["audit"]
        status = "ok" if audit["ok"] else f"FAILED at #{audit['bad_id']}: {audit['reason']}"
        self.stdout.write(
            f"  audit:    {audit['count']} entries, head #{audit['head_id']} {audit['head']} "
            f"({status})"
        )
        media = manifest["media"]
        self.stdout.write(f"  media:    {media['files']} files, {media['bytes']} bytes")
        if not audit["ok"]:
            self.stderr.write(
                self.style.WARNING(
                    "Warning: the audit chain did not verify at backup time; the archive keeps "
                    "the database as it was."
                )
            )
