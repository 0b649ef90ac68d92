"""The daily reminders as a background task (issue 19 point 1): `manage.py send_reminders
--background`, the cron line of docs/deploy.md, enqueues `reminders_task` for the day and
returns; a worker (`manage.py db_worker`) sends them. The run is idempotent for a day (nothing
is sent twice), so a transient database fault is ridden out by running it again
(`retry_transient`)."""

from __future__ import annotations

from datetime import date

from django_tasks import task

from mofan.core.dbfaults import retry_transient
from mofan.notifications.reminders import send_reminders


@task()
def reminders_task(today: str) -> str:
    """Send the reminders due on `today` (ISO date, fixed when the task was queued, so a late
    worker still sends that day's). The summary, as the command prints it."""
    day = date.fromisoformat(today)
    return retry_transient(lambda: send_reminders(today=day).text(), what=f"reminders {today}")
