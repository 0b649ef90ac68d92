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
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from mofan.accounts.access import Actor, actor_for
from mofan.activities.models import ActivityImport, ActivityKind
from mofan.activities.services import RecordInput, activity_records_import
from mofan.audit.services import audit_record
from mofan.core import background
from mofan.core.background import BatchState
from mofan.core.dbfaults import retry_transient
from mofan.organizations.models import PartyOrganization

logger = logging.getLogger(__name__)

ACTIVE = background.ACTIVE
STALE = background.STALE
is_stale = background.is_stale


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
        raise ValidationError(_("表中的部分党组织或活动类型已被删除，请重新导入。"))
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
    job = background.requeue(ActivityImport, job.pk, user_id=actor.user.pk, rows="rows")
    audit_record(
        action="activity.import_retry", actor=actor.user, target=job, committee_id=job.committee_id
    )
    transaction.on_commit(partial(activity_import_task.enqueue, job.pk))
    return job


def activity_imports_recover(*, now: datetime.datetime | None = None) -> int:
    """Fail the imports left queued or running longer than `STALE`. How many."""
    return background.recover(
        ActivityImport,
        queued=_(
            "排队时间过长，后台任务服务可能未在运行；未导入任何记录。请重试，或联系系统管理员。"
        ),
        running=_("导入中断（服务重启或超时），未导入任何记录；请重试。"),
        now=now,
    )


@task()
def activity_import_task(import_id: int) -> str:
    """Record one import's rows (`manage.py db_worker`). Returns its final state (`skipped`
    when it was not queued any more)."""
    what = f"activity import {import_id}"
    if not background.claim(ActivityImport, import_id, what=what):
        return "skipped"
    job = retry_transient(
        lambda: ActivityImport.objects.select_related("requested_by").get(pk=import_id), what=what
    )
    try:
        count = retry_transient(partial(_record, job), what=what)
    except Exception as exc:
        error = background.failure_text(exc, what=what, nothing=_("未导入任何记录"), logger=logger)
        background.finish(
            ActivityImport, import_id, state=BatchState.FAILED, what=what, error=error
        )
        return BatchState.FAILED.value
    background.finish(
        ActivityImport, import_id, state=BatchState.DONE, what=what, imported=count, rows=""
    )
    return BatchState.DONE.value


def _record(job: ActivityImport) -> int:
    records = activity_records_import(
        rows=rows_of(job.rows), source=job.source, actor=actor_for(job.requested_by)
    )
    return len(records)
