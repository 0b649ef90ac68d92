"""Export files and the jobs' end of life: where finished exports are stored (generated names
only), expiry after the retention, recovery of jobs a dead or stuck process left, and the sweep
of files no job refers to (`manage.py export_cleanup`, the worker, the pages)."""

from __future__ import annotations

import logging
import os
import re
import socket
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.reports.models import ExportJob, JobState
from mofan.reports.render import FORMATS

logger = logging.getLogger(__name__)

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(?:" + "|".join(FORMATS) + r")$")


def export_dir() -> Path:
    directory = Path(settings.MOFAN_EXPORT_DIR)
    directory.mkdir(mode=0o750, parents=True, exist_ok=True)
    return directory


def path_of(stored_name: str) -> Path:
    """The file of a finished job; only generated names are accepted."""
    if not STORED_NAME.match(stored_name):
        raise ValueError(f"not a stored export name: {stored_name!r}")
    return export_dir() / stored_name


def _delete_file(stored_name: str) -> None:
    if not stored_name:
        return
    try:
        path_of(stored_name).unlink(missing_ok=True)
    except (OSError, ValueError) as exc:
        logger.warning("export file %s could not be deleted: %s", stored_name, exc)


def job_expire(*, now: datetime | None = None, user: Any = None) -> int:
    """Expire finished jobs past their retention and delete their files. How many."""
    now = now or timezone.now()
    due = ExportJob.objects.filter(state=JobState.DONE, expires_at__lte=now)
    if user is not None:
        due = due.filter(user_id=user.pk)
    count = 0
    for pk, stored in due.values_list("pk", "stored_name"):
        updated = ExportJob.objects.filter(pk=pk, state=JobState.DONE).update(
            state=JobState.EXPIRED, stored_name=""
        )
        if updated:
            _delete_file(stored)
            count += 1
    return count


def expire_if_due(job: ExportJob, *, now: datetime | None = None) -> ExportJob:
    """Expire this job now if its time has come (pages and downloads call it)."""
    now = now or timezone.now()
    if job.state == JobState.DONE and job.expires_at is not None and job.expires_at <= now:
        updated = ExportJob.objects.filter(pk=job.pk, state=JobState.DONE).update(
            state=JobState.EXPIRED, stored_name=""
        )
        if updated:
            _delete_file(job.stored_name)
        job.refresh_from_db()
    return job


def _process_gone(worker: str) -> bool:
    """True when the worker ran on this host in a process that no longer exists."""
    host, _sep, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def job_recover(*, now: datetime | None = None) -> int:
    """Fail jobs abandoned by a dead or stuck process (see the module docstring). How many."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.MOFAN_EXPORT_STALE_MINUTES)
    count = 0
    running = ExportJob.objects.filter(state=JobState.RUNNING).values_list(
        "pk", "worker", "started_at"
    )
    for pk, worker, started in running:
        if (started is not None and started < stale) or _process_gone(worker):
            count += ExportJob.objects.filter(pk=pk, state=JobState.RUNNING).update(
                state=JobState.FAILED,
                finished_at=now,
                error=_("生成中断（服务重启或超时），请重新导出。"),
            )
    count += ExportJob.objects.filter(state=JobState.QUEUED, created_at__lt=stale).update(
        state=JobState.FAILED,
        finished_at=now,
        error=_("排队时间过长，导出服务可能未在运行，请重新导出或联系系统管理员。"),
    )
    return count


def sweep_files(*, now: datetime | None = None) -> int:
    """Delete files in the export directory that no finished job refers to (left by a crash),
    once they are older than the stale limit. How many."""
    now = now or timezone.now()
    cutoff = (now - timedelta(minutes=settings.MOFAN_EXPORT_STALE_MINUTES)).timestamp()
    keep = set(
        ExportJob.objects.filter(state=JobState.DONE)
        .exclude(stored_name="")
        .values_list("stored_name", flat=True)
    )
    count = 0
    with os.scandir(export_dir()) as entries:
        for entry in entries:
            if not entry.is_file() or entry.name in keep:
                continue
            if entry.stat().st_mtime < cutoff:
                Path(entry.path).unlink(missing_ok=True)
                count += 1
    return count
