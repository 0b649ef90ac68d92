"""Background export jobs: an export is asked for (`job_submit`), produced by a task on
Django's Tasks framework (`export_task`, run by `manage.py db_worker`) that reports its
progress, kept for a set time and served only to the person who asked; then it expires and its
file is deleted (`job_expire`). A queued job can be cancelled (`job_cancel`); a failed, cancelled
or expired one asked for again (`job_retry`).

`ExportJob` is the user-facing record (owner, scope, file, progress, the reason of a failure in
Chinese); the execution is the task, enqueued when the submitting transaction commits, so the
worker always finds the row. Small exports (`Export.background_above_units`) run inline in the
request instead (`inline=True`): the user gets the file at once.

Claiming is one guarded statement, ``UPDATE ... SET state='running' WHERE id=... AND
state='queued'``: a cancelled job is never started, and a task run twice (a worker killed after
taking it, the task re-enqueued by hand) does nothing the second time.

Progress: the renderer calls ``progress(done, total)`` as it writes; the job stores it at most
every `PROGRESS_SECONDS`, not for every row.

Output is written to ``<name>.part`` in `MOFAN_EXPORT_DIR` (outside MEDIA_ROOT), flushed, then
renamed to a generated name, so a crash never leaves a half file under a served name.

Restart safety (`job_recover`, run by `export_cleanup` from cron): a job still ``running``
whose process is gone (same host, its pid no longer alive) or that started more than
`MOFAN_EXPORT_STALE_MINUTES` ago, and a job ``queued`` for longer than that, is marked failed with
a message asking the user to export again (the retry button). Jobs are not re-queued
automatically: a job that kills its process would otherwise kill every worker in turn.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import OperationalError, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from mofan.accounts.access import Actor, actor_for
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment
from mofan.core.dbfaults import retry_transient, transient_alias
from mofan.core.exports import registry
from mofan.core.exports.base import Export
from mofan.core.files import storage_error
from mofan.evaluations.selectors import campaigns_for
from mofan.organizations.models import Unit
from mofan.reports.jobs_files import path_of
from mofan.reports.models import ExportJob, JobState
from mofan.reports.render import UnsupportedFormat, render

logger = logging.getLogger(__name__)

ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
RETRYABLE_STATES = (JobState.FAILED, JobState.CANCELLED, JobState.EXPIRED)
PROGRESS_SECONDS = 0.5
UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')

T = TypeVar("T")


class JobAbandoned(Exception):
    """The job stopped being ours while it ran (the cleanup marked it failed)."""


# --- reading ---------------------------------------------------------------------------------


def jobs_for(actor: Actor) -> QuerySet[ExportJob]:
    """The actor's own jobs, in campaigns the actor still sees. Nobody sees another's jobs."""
    if not actor.user.is_authenticated or not actor.roles:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user_id=actor.user.pk, campaign__in=campaigns_for(actor))


def export_label(identifier: str) -> str:
    try:
        return str(registry.get(identifier).label)
    except LookupError:
        return identifier


def unit_count(campaign: Campaign) -> int:
    return Enrollment.objects.filter(campaign=campaign).count()


# --- submitting ------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """A download name without path separators or control characters, at most 200 chars."""
    cleaned = UNSAFE_IN_NAME.sub("_", name).strip(" .") or "export"
    if len(cleaned) > 200:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 8 else cleaned[:200]
    return cleaned


def export_class(identifier: str) -> type[Export]:
    try:
        return registry.get(identifier)
    except LookupError:
        raise ValidationError(_("没有这种报表：%(name)s。") % {"name": identifier}) from None


def job_submit(
    *,
    identifier: str,
    fmt: str,
    campaign: Campaign,
    actor: Actor,
    unit: Unit | None = None,
    inline: bool = False,
    retry_of: ExportJob | None = None,
) -> ExportJob:
    """Ask for an export. Checks that the actor may run it (PermissionDenied otherwise; a bad
    choice is a ValidationError), records the job and the audit entry in one transaction, and
    enqueues its task when that transaction commits (`inline` runs it here instead)."""
    cls = export_class(identifier)
    if fmt not in cls.formats:
        raise ValidationError(
            _("「%(label)s」不能导出为 %(fmt)s 格式。") % {"label": cls.label, "fmt": fmt}
        )
    if not campaigns_for(actor).filter(pk=campaign.pk).exists():
        raise PermissionDenied
    if not cls.per_unit:
        unit = None
    elif unit is None:
        raise ValidationError(_("请选择单位。"))
    export = cls(campaign=campaign, actor=actor, unit=unit)
    export.check()
    job = _job_create(export=export, fmt=fmt, actor=actor, inline=inline, retry_of=retry_of)
    if inline:
        job_run(job.pk, worker=worker_name("inline"))
        job.refresh_from_db()
    return job


def job_retry(*, job: ExportJob, actor: Actor) -> ExportJob:
    """Ask again for a failed, cancelled or expired export: a new job with the same choices,
    checked again with the actor's current roles (the old job stays as it was)."""
    if job.user_id != actor.user.pk:
        raise PermissionDenied
    if job.state not in RETRYABLE_STATES:
        raise ValidationError(_("该导出尚未结束或已完成，无需重新生成。"))
    if job.campaign is None:
        raise ValidationError(_("报表所需的数据不存在或已被删除。"))
    return job_submit(
        identifier=job.exporter,
        fmt=job.format,
        campaign=job.campaign,
        unit=job.unit,
        actor=actor,
        retry_of=job,
    )


@transaction.atomic
def job_cancel(*, job: ExportJob, actor: Actor) -> ExportJob:
    """Cancel a job still waiting in the queue (one that runs already is left to finish). Its
    task, when a worker takes it, finds the job no longer queued and does nothing."""
    if job.user_id != actor.user.pk:
        raise PermissionDenied
    updated = ExportJob.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
        state=JobState.CANCELLED, finished_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("该导出已开始生成或已结束，不能取消。"))
    job.refresh_from_db()
    audit_record(
        action="report.cancel",
        actor=actor.user,
        target=job,
        committee_id=job.committee_id,
        before={"state": JobState.QUEUED.value},
        after={"state": job.state},
        extra=audit_facts(job),
    )
    return job


def audit_facts(job: ExportJob, **more: Any) -> dict[str, Any]:
    """What the audit entries of a job (its export, each download) say about it."""
    return {
        "exporter": job.exporter,
        "format": job.format,
        "campaign": job.campaign_id,
        "unit": job.unit_id,
        **more,
    }


@transaction.atomic
def _job_create(
    *, export: Export, fmt: str, actor: Actor, inline: bool, retry_of: ExportJob | None
) -> ExportJob:
    active = ExportJob.objects.filter(user_id=actor.user.pk, state__in=ACTIVE_STATES).count()
    limit = settings.MOFAN_EXPORT_MAX_ACTIVE
    if active >= limit:
        raise ValidationError(
            _("您已有 %(n)d 个导出正在生成，请等其完成后再导出。") % {"n": active}
        )
    campaign, unit = export.campaign, export.unit
    job = ExportJob.objects.create(
        user=actor.user,
        committee_id=campaign.committee_id,
        campaign=campaign,
        unit=unit,
        exporter=export.identifier,
        format=fmt,
        download_name=safe_filename(export.filename(fmt)),
    )
    audit_record(
        action="report.export",
        actor=actor.user,
        target=job,
        committee_id=campaign.committee_id,
        after=audit_facts(
            job,
            campaign_name=campaign.name,
            unit_name=unit.name if unit else "",
            inline=inline,
            retry_of=retry_of.pk if retry_of else None,
        ),
    )
    if not inline:
        transaction.on_commit(partial(export_task.enqueue, job.pk))
    return job


@task()
def export_task(job_id: int) -> str:
    """The task a worker runs (`manage.py db_worker`): produce the job's file. Its result is
    the job's final state (`skipped` when the job was no longer queued: cancelled, or run)."""
    job = job_run(job_id, worker=worker_name("task"))
    return "skipped" if job is None else str(job.state)


def worker_name(kind: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{kind}"[:100]


def job_claim(job_id: int, *, worker: str, now: datetime | None = None) -> bool:
    """Take a queued job; False when somebody else took it first (or it is not queued)."""
    started = now or timezone.now()
    updated = _retrying(
        lambda: ExportJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
            state=JobState.RUNNING, started_at=started, worker=worker[:100], done=0, total=0
        )
    )
    return updated == 1


# --- running ---------------------------------------------------------------------------------


def _retrying(operation: Callable[[], T], *, attempts: int = 60) -> T:
    """Run a short database write, retrying while SQLite reports a lock.

    A file database waits in its busy timeout by itself; SQLite's shared-cache in-memory
    database (the test suite's) reports table locks at once instead, and a worker thread must
    not lose its job's state over that."""
    for attempt in range(attempts):
        try:
            return operation()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(min(0.5, 0.01 * (attempt + 1)))
    raise AssertionError("unreachable")


class ProgressWriter:
    """The `progress(done, total)` callback of one job: stores the values at most every
    `interval` seconds (the first call at once), never for every row. Raises JobAbandoned when
    the job is no longer running (the cleanup failed it), which stops the rendering."""

    def __init__(
        self, job_id: int, *, clock: Callable[[], float], interval: float | None = None
    ) -> None:
        self.job_id = job_id
        self.clock = clock
        self.interval = PROGRESS_SECONDS if interval is None else interval
        self.last: float | None = None
        self.writes = 0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        total = max(0, int(total))
        done = max(0, int(done))
        if total:
            done = min(done, total)
        updated = _retrying(
            lambda: ExportJob.objects.filter(pk=self.job_id, state=JobState.RUNNING).update(
                done=done, total=total
            )
        )
        self.writes += 1
        if not updated:
            raise JobAbandoned(self.job_id)


def job_run(
    job_id: int,
    *,
    worker: str = "",
    now: datetime | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ExportJob | None:
    """Claim the job and produce its file. None when the job was not ours to run."""
    if not job_claim(job_id, worker=worker or worker_name("inline"), now=now):
        return None
    return _execute(job_id, now=now, clock=clock)


def _execute(
    job_id: int, *, now: datetime | None = None, clock: Callable[[], float] = time.monotonic
) -> ExportJob:
    """Produce the file of a job this process has claimed. A transient database fault (a lost
    connection, a lock) while reading the data starts the file again after a growing pause."""
    what = f"export job {job_id}"
    job = retry_transient(
        lambda: ExportJob.objects.select_related("user", "campaign", "unit").get(pk=job_id),
        what=what,
    )
    stored = f"{uuid.uuid4().hex}.{job.format}"
    final = path_of(stored)
    try:
        retry_transient(partial(_produce, job, final, clock), what=what)
    except Exception as exc:
        if not isinstance(exc, JobAbandoned):
            _finish_failed(job, failure_message(exc, job), now)
        return retry_transient(lambda: ExportJob.objects.get(pk=job_id), what=what)
    finished = now or timezone.now()
    size = final.stat().st_size
    updated = _retrying(
        lambda: ExportJob.objects.filter(pk=job_id, state=JobState.RUNNING).update(
            state=JobState.DONE,
            stored_name=stored,
            size=size,
            done=F("total"),
            error="",
            finished_at=finished,
            expires_at=finished + timedelta(hours=settings.MOFAN_EXPORT_RETENTION_HOURS),
        )
    )
    if not updated:  # failed by the cleanup meanwhile: nobody will ask for this file
        final.unlink(missing_ok=True)
    return retry_transient(lambda: ExportJob.objects.get(pk=job_id), what=what)


def _produce(job: ExportJob, final: Path, clock: Callable[[], float]) -> None:
    """Write the job's file under a temporary name and move it into place; nothing is left
    behind when that fails."""
    part = final.with_name(final.name + ".part")
    try:
        export = _export_of(job)
        progress = ProgressWriter(job.pk, clock=clock)
        descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(descriptor, "wb") as stream:
            render(export, job.format, stream, progress)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(part, final)
    except BaseException:
        with contextlib.suppress(OSError):  # on a read-only disk even this fails (EROFS)
            part.unlink(missing_ok=True)
        raise


def _export_of(job: ExportJob) -> Export:
    """The export of a job, checked again with the user's current roles."""
    cls = registry.get(job.exporter)
    actor = actor_for(job.user)
    campaign = job.campaign
    if campaign is None or not campaigns_for(actor).filter(pk=campaign.pk).exists():
        raise PermissionDenied
    export = cls(campaign=campaign, actor=actor, unit=job.unit)
    export.check()
    return export


def failure_message(exc: BaseException, job: ExportJob) -> str:
    """What the user reads when a job fails (Chinese; internals go to the log only)."""
    if isinstance(exc, PermissionDenied):
        return _("您无权生成此报表（权限可能已变更）。")
    if isinstance(exc, OSError) and (unavailable := storage_error(exc)) is not None:
        return str(unavailable)  # disk full or not writable (issue 22)
    if transient_alias(exc) is not None:
        logger.warning("export job %s gave up on a database fault", job.pk, exc_info=exc)
        return _("数据库暂时不可用，多次重试仍未成功。请稍后重试。")
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    if isinstance(exc, UnsupportedFormat):
        return _("该报表不能导出为 %(fmt)s 格式。") % {"fmt": job.format}
    if isinstance(exc, LookupError) and not registry_has(job.exporter):
        return _("该报表已不再提供。")
    if isinstance(exc, LookupError | ObjectDoesNotExist | Http404):
        return _("报表所需的数据不存在或已被删除。")
    logger.error("export job %s (%s.%s) failed", job.pk, job.exporter, job.format, exc_info=exc)
    return _("生成失败：程序出错，已记录在系统日志中。请稍后重试，或联系系统管理员。")


def registry_has(identifier: str) -> bool:
    try:
        registry.get(identifier)
    except LookupError:
        return False
    return True


def _finish_failed(job: ExportJob, message: str, now: datetime | None) -> None:
    finished = now or timezone.now()
    _retrying(
        lambda: ExportJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            state=JobState.FAILED, error=message[:2000], finished_at=finished
        )
    )
