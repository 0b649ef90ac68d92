"""`manage.py verify_audit`: recompute the audit chain.

Exit status 0 and the entry count and chain head when the chain is intact; exit status 1 naming
the first bad entry and the reason when a row was edited, deleted or inserted behind the
application's back. Suitable for a monitoring job.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from mofan.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the hash-chained audit trail; exit 1 naming the first bad entry."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if result.ok:
            self.stdout.write(
                f"OK: audit chain intact, {result.count} entries, "
                f"head #{result.head_id} {result.head}"
            )
            return
        self.stderr.write(
            f"FAILED: audit entry #{result.bad_id}: {result.reason} "
            f"({result.count} entries verified before it, last good #{result.head_id})"
        )
        sys.exit(1)
