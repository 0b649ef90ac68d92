"""`manage.py export_worker [--once] [--poll SECONDS]`: run export jobs in a separate process.

For `MOFAN_EXPORT_BACKEND=worker` (docs/deploy.md): run one or more of these next to the web
server (systemd). Each claims queued jobs (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
workers share the queue), runs them and reports progress; idle, it polls the database every
`--poll` seconds, or waits on Redis when MOFAN_EXPORT_REDIS_URL is set. It also fails jobs
abandoned by a dead process and expires old files (see mofan/reports/jobs.py). SIGTERM/SIGINT
stop it after the job in hand. `--once` runs what is queued now and exits.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mofan.reports import jobs
from mofan.reports.models import ExportJob


class Command(BaseCommand):
    help = "Run queued export jobs (the worker backend)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run the queued jobs and exit")
        parser.add_argument(
            "--poll", type=float, default=2.0, help="seconds between polls when idle (default 2)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_args: stop.set())

        def report(job: ExportJob) -> None:
            line = f"job {job.pk} {job.exporter}.{job.format}: {job.state}"
            if job.error:
                line += f" ({job.error})"
            self.stdout.write(line)

        ran = jobs.worker_loop(
            once=options["once"], poll=max(0.2, options["poll"]), stop=stop, on_job=report
        )
        self.stdout.write(f"{ran} job(s) run")
