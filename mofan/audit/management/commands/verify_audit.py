"""`manage.py verify_audit [--anchor ID:MAC] [--reset-anchor]`: recompute the audit chain.

Exit status 0 and the entry count and chain head when the chain is intact; exit status 1 naming
the first bad entry and the reason when a row was edited, deleted or inserted behind the
application's back, when its newest entries were cut off, or when the append-only triggers are
missing or disabled. Suitable for a daily monitoring job (docs/deploy.md).

The chain alone cannot show that its newest entries were cut off, so every successful run keeps
the head it saw in a signed anchor file (`mofan.audit.anchor`) and the next run requires the
chain to still hold it. `--anchor ID:MAC` checks a head kept elsewhere as well (e.g. on another
machine). After a deliberate restore of an older backup, `--reset-anchor` accepts the current
head (the chain itself must verify) and audits that it did.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from mofan.audit import anchor as anchors
from mofan.audit import triggers
from mofan.audit.models import AuditCheckpoint, AuditEntry
from mofan.audit.services import VerifyResult, audit_record, audit_verify


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


def _stored_anchor_problem(result: VerifyResult) -> tuple[int | None, str] | None:
    try:
        stored = anchors.load()
    except anchors.AnchorInvalid:
        return None, f"锚点文件 {anchors.path()} 被篡改或已损坏"
    if stored is None:
        if AuditEntry.objects.filter(action="audit.anchor.created").exists():
            return None, f"锚点文件 {anchors.path()} 丢失（此前已建立）"
        return None
    return check_anchor(result, stored.head_id, stored.head_mac)


class Command(BaseCommand):
    help = "Verify the hash-chained audit trail; exit 1 naming the first bad entry."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            help="ID:MAC of a head printed by an earlier run: also require the chain to hold it.",
        )
        parser.add_argument(
            "--reset-anchor",
            action="store_true",
            help="Accept the current head as the new anchor (after a deliberate restore).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        given = _parse_anchor(options["anchor"]) if options.get("anchor") else None
        reset = bool(options.get("reset_anchor"))
        result = audit_verify()
        bad: tuple[int | None, str] | None = None
        if not result.ok:
            bad = (result.bad_id, result.reason)
        elif given is not None:
            bad = check_anchor(result, *given)
        if bad is None and not reset:
            bad = _stored_anchor_problem(result)
        missing = triggers.missing(connection)
        if bad is None and missing:
            bad = (None, "防篡改触发器缺失或被停用：" + "、".join(missing))
        if bad is not None:
            where = f"audit entry #{bad[0]}: " if bad[0] is not None else ""
            self.stderr.write(
                f"FAILED: {where}{bad[1]} "
                f"({result.count} entries verified, last good #{result.head_id})"
            )
            sys.exit(1)
        head_id, head = self._keep_anchor(result, reset=reset)
        self.stdout.write(
            f"OK: audit chain intact, {result.count} entries, head #{result.head_id} "
            f"{result.head}\nanchor kept in {anchors.path()}; "
            f"for another place: {head_id}:{head}"
        )

    def _keep_anchor(self, result: VerifyResult, *, reset: bool) -> tuple[int, str]:
        """Store the verified head; the first anchor and a reset are audited (that entry is
        then the head that is kept)."""
        action = ""
        try:
            previous = anchors.load()
        except anchors.AnchorInvalid:
            previous = None
        if reset:
            action = "audit.anchor.reset"
        elif previous is None:
            action = "audit.anchor.created"
        if not action:
            anchors.save(head_id=result.head_id, head_mac=result.head)
            return result.head_id, result.head
        with transaction.atomic():
            entry = audit_record(
                action=action,
                actor_name="verify_audit",
                extra={
                    "head_id": result.head_id,
                    "previous_head_id": previous.head_id if previous else None,
                    "file": str(anchors.path()),
                },
            )
        anchors.save(head_id=entry.id, head_mac=entry.mac)
        return entry.id, entry.mac
