"""`manage.py verify_audit [--anchor ID:MAC]`: recompute the audit chain.

Exit status 0 and the entry count and chain head when the chain is intact; exit status 1 naming
the first bad entry and the reason when a row was edited, deleted or inserted behind the
application's back. Suitable for a monitoring job.

The chain alone cannot show that its newest entries were cut off. A job that keeps the head
printed by its previous run and passes it back as --anchor also catches that.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.audit.models import AuditCheckpoint, AuditEntry
from mofan.audit.services import VerifyResult, audit_verify


def _parse_anchor(value: str) -> tuple[int, str]:
    head_id, _, mac = value.partition(":")
    if not head_id.isdigit() or len(mac) != 64:
        raise CommandError("--anchor must be ID:MAC as printed by an earlier run")
    return int(head_id), mac.lower()


def check_anchor(result: VerifyResult, anchor_id: int, anchor_mac: str) -> tuple[int, str] | None:
    """(bad id, reason) when the chain no longer holds the anchor entry as it was seen."""
    if anchor_id > result.head_id:
        return (
            result.head_id + 1,
            f"记录 #{result.head_id + 1} 至 #{anchor_id} 缺失（链尾被截断）",
        )
    mac = AuditEntry.objects.filter(pk=anchor_id).values_list("mac", flat=True).first()
    if mac is None:
        checkpoint = AuditCheckpoint.objects.order_by("-through_id").first()
        if checkpoint is None or anchor_id > checkpoint.through_id:
            return anchor_id, "记录缺失（被删除）"
        if anchor_id == checkpoint.through_id and checkpoint.through_mac != anchor_mac:
            return anchor_id, "与先前记录的链头不符"
        return None  # purged legitimately
    if mac != anchor_mac:
        return anchor_id, "与先前记录的链头不符"
    return None


class Command(BaseCommand):
    help = "Verify the hash-chained audit trail; exit 1 naming the first bad entry."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            help="ID:MAC of the head printed by an earlier run: also detect a truncated tail.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = _parse_anchor(options["anchor"]) if options.get("anchor") else None
        result = audit_verify()
        bad: tuple[int | None, str] | None = None
        if not result.ok:
            bad = (result.bad_id, result.reason)
        elif anchor is not None:
            bad = check_anchor(result, *anchor)
        if bad is None:
            self.stdout.write(
                f"OK: audit chain intact, {result.count} entries, "
                f"head #{result.head_id} {result.head}\n"
                f"anchor for the next run: {result.head_id}:{result.head}"
            )
            return
        self.stderr.write(
            f"FAILED: audit entry #{bad[0]}: {bad[1]} "
            f"({result.count} entries verified, last good #{result.head_id})"
        )
        sys.exit(1)
