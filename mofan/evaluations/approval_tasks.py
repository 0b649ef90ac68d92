"""Approval as a background task (issue 19 point 1, issue 20 point 2).

Approving a province's campaign recomputes and freezes 20,000 units' results: seconds of work
that do not belong in a web request. The request only checks what needs the person (the
leader's password and dynamic code: `approval_rounds.check_signer`; the admin's role), records
an `ApprovalRun` and enqueues `approval_task` on Django's Tasks framework when its transaction
commits; it answers at once with the run's page, which polls the run's state. A worker
(`manage.py db_worker`) takes the task and runs the existing approval service
(`approval_rounds.approval_sign_confirmed`, or `approval.campaign_approve`), which checks the
roles again, writes the results and the audit trail in one transaction; the run records the
outcome, or why it failed (in Chinese) so that it can be tried again.

Progress: the approval is one all-or-nothing transaction, so nothing it writes is visible to
other connections before it ends; the page shows the run's stages (queued, approving N units
since HH:MM, done or failed) rather than a percentage it could not know.

One active run per campaign (a partial unique constraint). A run left queued or running for
longer than `STALE` (no worker running, a worker killed) is failed by the next request
(`approval_runs_recover`), with a message saying so; nothing was written by it.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from mofan.accounts.access import Actor, actor_for
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.campaigns.selectors import taking_part
from mofan.core.dbfaults import retry_transient, transient_alias
from mofan.evaluations import approval
from mofan.evaluations.approval_rounds import approval_sign_confirmed, check_signer
from mofan.evaluations.models import ApprovalBatch, ApprovalRun, RunKind, RunState
from mofan.evaluations.selectors import campaigns_staffed_by

logger = logging.getLogger(__name__)

ACTIVE = (RunState.QUEUED, RunState.RUNNING)
STALE = timedelta(hours=1)


def approval_runs_for(actor: Actor) -> QuerySet[ApprovalRun]:
    """The runs of the campaigns the actor staffs (the committee's admins and leaders)."""
    return ApprovalRun.objects.filter(campaign__in=campaigns_staffed_by(actor))


def active_run(campaign: Campaign) -> ApprovalRun | None:
    return ApprovalRun.objects.filter(campaign=campaign, state__in=ACTIVE).first()


def latest_run(campaign: Campaign) -> ApprovalRun | None:
    return ApprovalRun.objects.filter(campaign=campaign).order_by("-created_at", "-pk").first()


@transaction.atomic
def approval_sign_request(
    *, batch: ApprovalBatch, actor: Actor, password: str, code: str = ""
) -> ApprovalRun:
    """The leader signs a prepared round: re-authenticated here, approved by the task."""
    batch = (
        ApprovalBatch.objects.select_for_update()
        .select_related("campaign")
        .defer("figures")  # read by the task, when it signs
        .get(pk=batch.pk)
    )
    how = check_signer(actor, batch, password, code)
    return _run_create(
        campaign=batch.campaign,
        batch=batch,
        kind=RunKind.SIGN,
        actor=actor,
        how=how,
        units=len(batch.enrollments),
    )


@transaction.atomic
def campaign_approve_request(*, campaign: Campaign, actor: Actor) -> ApprovalRun:
    """The committee admin approves every reviewed unit of the campaign, by the task."""
    approval.check_admin(actor, campaign)
    approval.check_all_reviewed(campaign)
    return _run_create(
        campaign=campaign,
        batch=None,
        kind=RunKind.CAMPAIGN,
        actor=actor,
        how="",
        units=taking_part(campaign).count(),
    )


def _run_create(
    *,
    campaign: Campaign,
    batch: ApprovalBatch | None,
    kind: RunKind,
    actor: Actor,
    how: str,
    units: int,
) -> ApprovalRun:
    approval_runs_recover(campaign=campaign)
    busy = _("本活动已有一项审定正在后台进行，请等其完成。")
    if active_run(campaign) is not None:
        raise ValidationError(busy)
    try:
        with transaction.atomic():
            run = ApprovalRun.objects.create(
                campaign=campaign,
                batch=batch,
                kind=kind,
                requested_by=actor.user,
                reauthenticated=how,
                units=units,
            )
    except IntegrityError:  # another request won the race for the campaign's one active run
        raise ValidationError(busy) from None
    audit_record(
        action="approval.run_request",
        actor=actor.user,
        target=run,
        committee_id=campaign.committee_id,
        after={"kind": run.kind, "units": units, "batch": batch.pk if batch else None},
        extra={"reauthenticated": how} if how else None,
    )
    transaction.on_commit(partial(approval_task.enqueue, run.pk))
    return run


def approval_runs_recover(*, campaign: Campaign | None = None, now: datetime | None = None) -> int:
    """Fail the runs left queued or running longer than `STALE`. How many."""
    now = now or timezone.now()
    stale = ApprovalRun.objects.filter(created_at__lt=now - STALE)
    if campaign is not None:
        stale = stale.filter(campaign=campaign)
    failed = stale.filter(state=RunState.QUEUED).update(
        state=RunState.FAILED,
        finished_at=now,
        error=_("排队时间过长，后台任务服务可能未在运行；请重试，或联系系统管理员。"),
    )
    failed += stale.filter(state=RunState.RUNNING, started_at__lt=now - STALE).update(
        state=RunState.FAILED,
        finished_at=now,
        error=_("审定中断（服务重启或超时），未写入任何结果；请重试。"),
    )
    return failed


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:task"[:100]


@task()
def approval_task(run_id: int) -> str:
    """Run one approval (`manage.py db_worker`). Returns the run's final state (`skipped` when
    it was not queued any more). The approval's own failure is the run's, said in Chinese. A
    transient database fault (a lost connection, a lock) is ridden out: the approval is one
    transaction, rolled back by the fault, and runs again after a growing pause."""
    started = timezone.now()
    claimed = retry_transient(
        lambda: ApprovalRun.objects.filter(pk=run_id, state=RunState.QUEUED).update(
            state=RunState.RUNNING, started_at=started, worker=worker_name()
        ),
        what=f"approval run {run_id}",
    )
    if not claimed:
        return "skipped"
    run = retry_transient(
        lambda: ApprovalRun.objects.select_related("campaign", "batch", "requested_by").get(
            pk=run_id
        ),
        what=f"approval run {run_id}",
    )
    try:
        written = retry_transient(partial(_approve, run), what=f"approval run {run_id}")
    except Exception as exc:
        message = failure_message(exc, run)[:2000]
        _finish(run_id, state=RunState.FAILED, error=message)
        return RunState.FAILED.value
    _finish(run_id, state=RunState.DONE, approved=written)
    return RunState.DONE.value


def _approve(run: ApprovalRun) -> int:
    """The approval itself (one transaction, with the roles checked again). How many units."""
    actor = actor_for(run.requested_by)
    if run.kind == RunKind.SIGN:
        if run.batch is None:
            raise ValidationError(_("这一轮审定已不存在。"))
        return approval_sign_confirmed(batch=run.batch, actor=actor, how=run.reauthenticated)
    return approval.campaign_approve(campaign=run.campaign, actor=actor)


def _finish(run_id: int, *, state: RunState, error: str = "", approved: int | None = None) -> None:
    fields: dict[str, object] = {"state": state, "finished_at": timezone.now()}
    if error:
        fields["error"] = error
    if approved is not None:
        fields["approved"] = approved
    retry_transient(
        lambda: ApprovalRun.objects.filter(pk=run_id, state=RunState.RUNNING).update(**fields),
        what=f"approval run {run_id}",
    )


def failure_message(exc: BaseException, run: ApprovalRun) -> str:
    """What the page says when a run fails (Chinese; internals go to the log only)."""
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("您无权审定（权限可能已变更）。")
    if transient_alias(exc) is not None:
        logger.warning("approval run %s gave up on a database fault", run.pk, exc_info=exc)
        return _("数据库暂时不可用，多次重试仍未成功；未写入任何结果。请稍后重试。")
    logger.error("approval run %s failed", run.pk, exc_info=exc)
    return _(
        "审定失败：程序出错，已记录在系统日志中；未写入任何结果。请稍后重试，或联系系统管理员。"
    )
