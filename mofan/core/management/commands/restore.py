"""`manage.py restore ARCHIVE`: put a backup archive back and check it against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.core.backup import BackupError
from mofan.core.restore import restore_backup


class Command(BaseCommand):
    help = (
        "Decrypt and verify a backup archive (with the data key that wrote it), restore it into "
        "the configured database and media root (or the ones given), then compare row counts "
        "and the audit chain head with the archive's manifest."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="Archive written by `manage.py backup`.")
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead (sqlite:////path or postgres://…/name; "
            "a missing PostgreSQL database is created).",
        )
        parser.add_argument(
            "--media-root", type=Path, help="Restore media files here instead of MEDIA_ROOT."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite a database or media directory that is not empty.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_backup(
                options["archive"],
                database_url=options["database_url"],
                media_root=options["media_root"],
                force=options["force"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(f"Restored {options['archive']} (made {manifest['created_at']})")
        created = " (created)" if result.created_database else ""
        self.stdout.write(f"  database: {manifest['vendor']} {result.target}{created}")
        self.stdout.write(f"  media:    {result.media_root}")
        expected: dict[str, int] = manifest.get("tables", {})
        tables = sorted(set(expected) | set(result.counts))
        width = max((len(table) for table in tables), default=5)
        self.stdout.write(f"    {'table':<{width}} {'backup':>10} {'restored':>10}")
        for table in tables:
            before, after = expected.get(table), result.counts.get(table)
            mark = "" if before == after else "  <-- differs"
            self.stdout.write(f"    {table:<{width}} {_show(before):>10} {_show(after):>10}{mark}")
        audit, expected_audit = result.audit, manifest.get("audit", {})
        self.stdout.write(
            f"  audit:    backup head #{expected_audit.get('head_id')} "
            f"{expected_audit.get('head')}; restored head #{audit['head_id']} {audit['head']}; "
            f"verify {'ok' if audit['ok'] else 'FAILED: ' + str(audit['reason'])}"
        )
        expected_media = manifest.get("media", {})
        self.stdout.write(
            f"  media:    backup {expected_media.get('files', 0)} files, "
            f"restored {result.media['files']} files"
        )
        if not result.ok:
            raise CommandError(
                "恢复后的数据与备份清单不一致：\n" + "\n".join(f"  - {p}" for p in result.problems)
            )
        self.stdout.write(self.style.SUCCESS("Restore matches the manifest."))


def _show(value: int | None) -> str:
    return "-" if value is None else str(value)
