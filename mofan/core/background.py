"""Rows handed to a background task and watched on a page: what the account batches
(`accounts/batches.py`) and the activity imports (`activities/imports_task.py`) share.

The request checks every row, keeps the checked rows on a record of a model built on
`HandedWork`, and enqueues the task on commit. The task claims the record with a guarded
UPDATE (`claim`: queued → running, so a task run twice does nothing), does the work all or
nothing, and ends it with `finish`; a failure is the record's, in Chinese (`failure_text`). Its
requester may queue a failed record again while it keeps its rows (`requeue`). A record left
queued or running longer than `STALE` (no worker, or one that died) is failed by the next look
at it (`watch`, through `recover`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.core.dbfaults import retry_transient, transient_alias
from mofan.core.references import user_ref
from mofan.core.refusals import refusal_text

STALE = timedelta(hours=1)

W = TypeVar("W", bound="HandedWork")


class BatchState(models.TextChoices):
    QUEUED = "queued", gettext_lazy("排队中")
    RUNNING = "running", gettext_lazy("进行中")
    DONE = "done", gettext_lazy("已完成")
    FAILED = "failed", gettext_lazy("失败")


ACTIVE = (BatchState.QUEUED, BatchState.RUNNING)


class HandedWork(models.Model):
    """Who asked, from what, how many rows, and where the work stands."""

    requested_by = user_ref()
    source = models.CharField(gettext_lazy("来源"), max_length=200)
    state = models.CharField(
        gettext_lazy("状态"), max_length=10, choices=BatchState.choices, default=BatchState.QUEUED
    )
    total = models.PositiveIntegerField(default=0)  # rows asked for
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When it was last queued (made, or queued again after a failure): a queued record's wait
    # counts from here, so a record retried long after it was made is not taken as abandoned.
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager()  # inherited by each concrete model, as its default manager

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]


def claim(model: type[HandedWork], pk: int, *, what: str) -> bool:
    """Take a queued record for this worker; False when it was not queued any more."""
    worker = f"{socket.gethostname()}:{os.getpid()}:task"[:100]
    return bool(
        retry_transient(
            lambda: model.objects.filter(pk=pk, state=BatchState.QUEUED).update(
                state=BatchState.RUNNING, started_at=timezone.now(), worker=worker
            ),
            what=what,
        )
    )


def finish(
    model: type[HandedWork], pk: int, *, state: BatchState, what: str, **fields: Any
) -> None:
    """End a record: done or failed, with the fields the work leaves (its counts, its error)."""
    fields.update(state=state, finished_at=timezone.now())
    fields.setdefault("error", "")
    retry_transient(lambda: model.objects.filter(pk=pk).update(**fields), what=what)


def requeue(model: type[W], pk: int, *, user_id: int, rows: str, **reset: Any) -> W:
    """Queue a failed record again, for its requester, while it keeps its rows (the field
    `rows`); `reset` are the work's own fields to start again from. Call inside the
    transaction that audits it and enqueues the task."""
    work = model.objects.select_for_update().get(pk=pk)
    if work.requested_by_id != user_id:
        raise PermissionDenied(_("只有提交人可以重试。"))
    if work.state != BatchState.FAILED or not getattr(work, rows):
        raise ValidationError(_("只有失败且仍保留数据的任务可以重试。"))
    reset.update(
        state=BatchState.QUEUED,
        error="",
        queued_at=timezone.now(),
        started_at=None,
        finished_at=None,
    )
    for name, value in reset.items():
        setattr(work, name, value)
    work.save(update_fields=list(reset))
    return work


def is_stale(work: HandedWork, *, now: datetime | None = None) -> bool:
    """Left queued or running longer than `STALE`."""
    limit = (now or timezone.now()) - STALE
    if work.state == BatchState.QUEUED:
        return work.queued_at < limit
    return work.state == BatchState.RUNNING and (work.started_at or work.queued_at) < limit


def recover(
    model: type[HandedWork], *, queued: str, running: str, now: datetime | None = None
) -> int:
    """Fail the records left queued or running longer than `STALE`, each with its message
    (`queued`: no worker took it; `running`: its worker stopped). How many."""
    now = now or timezone.now()
    limit = now - STALE
    failed = model.objects.filter(state=BatchState.QUEUED, queued_at__lt=limit).update(
        state=BatchState.FAILED, finished_at=now, error=queued
    )
    failed += model.objects.filter(state=BatchState.RUNNING, started_at__lt=limit).update(
        state=BatchState.FAILED, finished_at=now, error=running
    )
    return failed


def failure_text(exc: BaseException, *, what: str, nothing: str, logger: logging.Logger) -> str:
    """What the page says when the work failed, in Chinese; internals go to the log only.
    `nothing` says that nothing was written (e.g. "未导入任何记录")."""
    if isinstance(exc, (ValidationError, PermissionDenied)):
        return refusal_text(exc)[:2000] or _("您无权执行此操作（权限可能已变更）。")
    if transient_alias(exc) is not None:
        logger.warning("%s gave up on a database fault", what, exc_info=exc)
        return _("数据库暂时不可用，多次重试仍未成功；%(nothing)s。请稍后重试。") % {
            "nothing": nothing
        }
    logger.error("%s failed", what, exc_info=exc)
    return _("程序出错，已记录在系统日志中；%(nothing)s。请稍后重试，或联系系统管理员。") % {
        "nothing": nothing
    }


def watch(
    request: HttpRequest,
    load: Callable[[], W],
    *,
    template: str,
    name: str,
    recover_all: Callable[[], int],
) -> HttpResponse:
    """The record's page, polled by htmx every second while the work is active: the whole
    page, or its `#<name>-status` partial. Polled, it writes only when the record it shows
    was left behind (a GET that wrote on every poll contended with the worker's writes)."""
    work = load()
    if is_stale(work):
        recover_all()
        work = load()
    context = {name: work, "active": work.state in ACTIVE}
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, f"{template}#{name}-status", context)
        if work.state == BatchState.DONE:  # ended under the watcher's eyes: the whole page
            response["HX-Refresh"] = "true"
        return response
    return render(request, template, context)
