"""The daily reminder run (`manage.py send_reminders`, run by cron): every reminder job the apps
registered (`core.extensions.reminders`, e.g. rectification's problem-list deadlines), then the
e-mails of notices whose sending failed earlier.

Each job writes its notices under keys, so a second run on the same day sends nothing new.
`today` is a parameter (the command passes `timezone.localdate()`), so tests freeze the date
without a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from mofan.core.extensions import reminders
from mofan.notifications.services import retry_notice_emails


@dataclass
class ReminderRun:
    today: date
    summaries: list[Any] = field(default_factory=list)  # each job's summary, in job order
    emails_retried: int = 0

    def text(self) -> str:
        lines = [summary.text() for summary in self.summaries]
        if self.emails_retried:
            lines.append(_("补发邮件 %(n)s 封。") % {"n": self.emails_retried})
        return "\n".join(lines)


def send_reminders(*, today: date) -> ReminderRun:
    run = ReminderRun(today=today)
    for job in sorted(reminders, key=lambda job: job.order):
        run.summaries.append(job.run(today=today))
    run.emails_retried = retry_notice_emails()
    return run
