"""A term's records imported from xlsx as a background task (issue 19 point 1).

The request reads and checks the whole sheet (`importing.parse_records_sheet`: problems by row
and column, nothing written) and records the checked rows as an `ActivityImport`; it enqueues
`activity_import_task` when its transaction commits and answers at once with the import's page,
which the browser polls. The worker writes every record or none with
`services.activity_records_import`, which checks the writer, the people and the duplicates
again (a colleague may have recorded the same meeting meanwhile), then forgets the rows. A
failed import says why in Chinese and can be tried again, since it keeps its rows; one left
queued or running longer than `STALE` (no worker, or a worker that died) is failed by the next
look at it.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import socket
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import BatchState
from mofan.activities.models import ActivityImport, ActivityKind
from mofan.activities.services import RecordInput, activity_records_import
from mofan.audit.services import audit_record
from mofan.core.dbfaults import retry_transient, transient_alias
from mofan.core.refusals import refusal_text
from mofan.organizations.models import PartyOrganization

logger = logging.getLogger(__name__)

ACTIVE = (BatchState.QUEUED, BatchState.RUNNING)
STALE = timedelta(hours=1)


def rows_json(rows: list[RecordInput]) -> str:
    """The checked rows as the import keeps them (ids, not objects)."""
    return json.dumps(
        [
            {
                "org": r.party_org.pk,
                "kind": r.kind.pk,
                "held_on": r.held_on.isoformat(),
                "topic": r.topic,
                "hours": None if r.hours is None else str(r.hours),
                "theory": r.political_theory,
                "minutes": r.minutes,
                "present": r.present,
                "absent": [[pk, why] for pk, why in r.absent.items()],
                "evidence": r.evidence,
            }
            for r in rows
        ],
        ensure_ascii=False,
    )


def rows_of(text: str) -> list[RecordInput]:
    """The kept rows as the ledger's inputs again (two queries for the whole sheet)."""
    kept: list[dict[str, Any]] = json.loads(text or "[]")
    orgs = PartyOrganization.objects.select_related("unit").in_bulk({r["org"] for r in kept})
    kinds = ActivityKind.objects.in_bulk({r["kind"] for r in kept})
    if any(r["org"] not in orgs or r["kind"] not in kinds for r in kept):
        raise ValidationError(_("表中的部分党组织或活动类型已被删除或停用，请重新导入。"))
    return [
        RecordInput(
            party_org=orgs[r["org"]],
            kind=kinds[r["kind"]],
            held_on=datetime.date.fromisoformat(r["held_on"]),
            topic=r["topic"],
            hours=None if r["hours"] is None else Decimal(r["hours"]),
            political_theory=r["theory"],
            minutes=r["minutes"],
            present=list(r["present"]),
            absent={pk: why for pk, why in r["absent"]},
            evidence=list(r["evidence"]),
        )
        for r in kept
    ]


@transaction.atomic
def activity_import_request(
    *, rows: list[RecordInput], source: str, actor: Actor
) -> ActivityImport:
    """Keep a checked sheet's rows and have a worker record them."""
    if not rows:
        raise ValidationError(_("没有可导入的记录。"))
    job = ActivityImport.objects.create(
        committee_id=rows[0].party_org.unit.committee_id,
        requested_by=actor.user,
        source=source[:200],
        total=len(rows),
        rows=rows_json(rows),
    )
    audit_record(
        action="activity.import_request",
        actor=actor.user,
        target=job,
        committee_id=job.committee_id,
        after={"source": job.source, "rows": job.total},
    )
    transaction.on_commit(partial(activity_import_task.enqueue, job.pk))
    return job


@transaction.atomic
def activity_import_retry(*, job: ActivityImport, actor: Actor) -> ActivityImport:
    """Queue a failed import again (it still holds its rows)."""
    job = ActivityImport.objects.select_for_update().get(pk=job.pk)
    if job.requested_by_id != actor.user.pk:
        raise PermissionDenied(_("只有提交人可以重试。"))
    if job.state != BatchState.FAILED or not job.rows:
        raise ValidationError(_("只有失败且仍保留数据的导入可以重试。"))
    job.state = BatchState.QUEUED
    job.error = ""
    job.started_at = job.finished_at = None
    job.save(update_fields=["state", "error", "started_at", "finished_at"])
    audit_record(
        action="activity.import_retry", actor=actor.user, target=job, committee_id=job.committee_id
    )
    transaction.on_commit(partial(activity_import_task.enqueue, job.pk))
    return job


def is_stale(job: ActivityImport, *, now: datetime.datetime | None = None) -> bool:
    """Left queued or running longer than `STALE`."""
    if job.state not in ACTIVE:
        return False
    return (job.started_at or job.created_at) < (now or timezone.now()) - STALE


def activity_imports_recover(*, now: datetime.datetime | None = None) -> int:
    """Fail the imports left queued or running longer than `STALE`. How many."""
    now = now or timezone.now()
    limit = now - STALE
    left = ActivityImport.objects.filter(created_at__lt=limit)
    failed = left.filter(state=BatchState.QUEUED).update(
        state=BatchState.FAILED,
        finished_at=now,
        error=_(
            "排队时间过长，后台任务服务可能未在运行；未导入任何记录。请重试，或联系系统管理员。"
        ),
    )
    failed += left.filter(state=BatchState.RUNNING, started_at__lt=limit).update(
        state=BatchState.FAILED,
        finished_at=now,
        error=_("导入中断（服务重启或超时），未导入任何记录；请重试。"),
    )
    return failed


@task()
def activity_import_task(import_id: int) -> str:
    """Record one import's rows (`manage.py db_worker`). Returns its final state (`skipped`
    when it was not queued any more)."""
    what = f"activity import {import_id}"
    worker = f"{socket.gethostname()}:{os.getpid()}:task"[:100]
    claimed = retry_transient(
        lambda: ActivityImport.objects.filter(pk=import_id, state=BatchState.QUEUED).update(
            state=BatchState.RUNNING, started_at=timezone.now(), worker=worker
        ),
        what=what,
    )
    if not claimed:
        return "skipped"
    job = retry_transient(
        lambda: ActivityImport.objects.select_related("requested_by").get(pk=import_id), what=what
    )
    try:
        count = retry_transient(partial(_record, job), what=what)
    except Exception as exc:
        _finish(import_id, state=BatchState.FAILED, error=_failure_message(exc, import_id))
        return BatchState.FAILED.value
    _finish(import_id, state=BatchState.DONE, imported=count)
    return BatchState.DONE.value


def _record(job: ActivityImport) -> int:
    records = activity_records_import(
        rows=rows_of(job.rows), source=job.source, actor=actor_for(job.requested_by)
    )
    return len(records)


def _finish(import_id: int, *, state: BatchState, error: str = "", imported: int = 0) -> None:
    fields: dict[str, object] = {"state": state, "finished_at": timezone.now(), "error": error}
    if state == BatchState.DONE:
        fields.update(imported=imported, rows="")
    retry_transient(
        lambda: ActivityImport.objects.filter(pk=import_id).update(**fields),
        what=f"activity import {import_id}",
    )


def _failure_message(exc: BaseException, import_id: int) -> str:
    """What the page says when an import fails (Chinese; internals go to the log only)."""
    if isinstance(exc, (ValidationError, PermissionDenied)):
        return refusal_text(exc)[:2000] or _("您无权记录这些活动（权限可能已变更）。")
    if transient_alias(exc) is not None:
        logger.warning("activity import %s gave up on a database fault", import_id, exc_info=exc)
        return _("数据库暂时不可用，多次重试仍未成功；未导入任何记录。请稍后重试。")
    logger.error("activity import %s failed", import_id, exc_info=exc)
    return _(
        "导入失败：程序出错，已记录在系统日志中；未导入任何记录。请稍后重试，或联系系统管理员。"
    )
