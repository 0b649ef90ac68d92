"""The ledger's daily escalation as a background task (issue 19 point 1): `manage.py
supervision_escalate --background`, the cron line of docs/deploy.md, enqueues `escalate_task`
for the day and returns; a worker (`manage.py db_worker`) runs it. The escalation is
idempotent for a day, each item in its own transaction, so a transient database fault is
ridden out by running it again (`retry_transient`)."""

from __future__ import annotations

from datetime import date

from django_tasks import task

from mofan.core.dbfaults import retry_transient
from mofan.supervision.ledger.escalation import ledger_escalate


@task()
def escalate_task(today: str) -> str:
    """Escalate the open ledger items as of `today` (ISO date, fixed when queued). The
    summary, as the command prints it."""
    day = date.fromisoformat(today)
    return retry_transient(lambda: ledger_escalate(today=day).text(), what=f"escalation {today}")
