"""Accounts created in bulk as a background task (issue 19 point 1).

An Excel import or "accounts for chosen units" may ask for thousands of accounts. Each initial
password is stored as a PBKDF2 hash that takes about a quarter of a second to make (measured:
0.24 s on this machine), so 5,000 accounts take twenty minutes: no web request may do that. The
request validates every row first (`imports.parse_accounts_sheet`, which reports problems by row
number and creates nothing) and records the validated rows as an `AccountBatch`; it enqueues
`account_batch_task` when its transaction commits and answers at once with the batch's page.

The task makes the passwords and their hashes outside any transaction, counting them in
`prepared` (the page's progress bar), then creates every account or none in one transaction
with `services.accounts_bulk_create`, which checks the roles and the usernames again (another
clerk may have taken a name meanwhile). The initial passwords are kept encrypted on the batch
until its requester collects them (`account_batch_collect`): they then go, as for accounts made
in the request, to the session's one-time display and download (`credentials`), and the batch
forgets them. A failed batch says why in Chinese and can be tried again while it still holds its
rows. A batch left queued or running longer than `STALE` is failed by the next look at it.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from functools import partial

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from mofan.accounts import credentials
from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import AccountBatch, BatchState
from mofan.accounts.passwords import random_password
from mofan.accounts.services import AccountSpec, accounts_bulk_create, check_may_grant
from mofan.audit.services import audit_record
from mofan.core import background
from mofan.core.dbfaults import retry_transient
from mofan.organizations.models import Committee, Unit

logger = logging.getLogger(__name__)

ACTIVE = background.ACTIVE
STALE = background.STALE
is_stale = background.is_stale
PROGRESS_SECONDS = 0.5  # the progress count is written at most this often


def _specs_json(specs: list[AccountSpec]) -> str:
    return json.dumps(
        [
            {
                "username": s.username,
                "full_name": s.full_name,
                "role": s.role,
                "unit": s.unit.pk if s.unit else None,
                "phone": s.phone,
            }
            for s in specs
        ],
        ensure_ascii=False,
    )


def _specs_of(batch: AccountBatch) -> list[AccountSpec]:
    rows = json.loads(batch.specs or "[]")
    unit_ids = {row["unit"] for row in rows if row["unit"]}
    units = Unit.objects.in_bulk(unit_ids)
    if len(units) != len(unit_ids):
        raise ValidationError(_("表中的部分单位已被删除，请重新导入。"))
    return [
        AccountSpec(
            username=row["username"],
            full_name=row["full_name"],
            role=row["role"],
            unit=units[row["unit"]] if row["unit"] else None,
            phone=row["phone"],
        )
        for row in rows
    ]


@transaction.atomic
def account_batch_request(
    *, committee: Committee, specs: list[AccountSpec], source: str, actor: Actor
) -> AccountBatch:
    """Record validated rows as a batch and have a worker create the accounts."""
    if not specs:
        raise ValidationError(_("没有需要创建的账号。"))
    for role in {spec.role for spec in specs}:
        check_may_grant(actor=actor, role=role, committee_id=committee.pk, target=None)
    batch = AccountBatch.objects.create(
        committee=committee,
        requested_by=actor.user,
        source=source[:200],
        total=len(specs),
        specs=_specs_json(specs),
    )
    audit_record(
        action="account.batch_request",
        actor=actor.user,
        target=batch,
        committee_id=committee.pk,
        after={"source": batch.source, "accounts": batch.total},
    )
    transaction.on_commit(partial(account_batch_task.enqueue, batch.pk))
    return batch


@transaction.atomic
def account_batch_retry(*, batch: AccountBatch, actor: Actor) -> AccountBatch:
    """Queue a failed batch again (its rows are still held)."""
    batch = background.requeue(
        AccountBatch, batch.pk, user_id=actor.user.pk, rows="specs", prepared=0
    )
    audit_record(action="account.batch_retry", actor=actor.user, target=batch)
    transaction.on_commit(partial(account_batch_task.enqueue, batch.pk))
    return batch


@transaction.atomic
def account_batch_collect(*, batch: AccountBatch, actor: Actor) -> list[dict[str, str]]:
    """The batch's initial passwords, for its requester, once; the batch forgets them."""
    batch = AccountBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.requested_by_id != actor.user.pk:
        raise PermissionDenied(_("初始密码只交给提交人。"))
    if batch.state != BatchState.DONE or not batch.credentials:
        raise ValidationError(_("初始密码已被取走，或这一批尚未完成。"))
    rows: list[dict[str, str]] = json.loads(batch.credentials)
    batch.credentials = ""
    batch.collected_at = timezone.now()
    batch.save(update_fields=["credentials", "collected_at"])
    audit_record(
        action="account.batch_collect",
        actor=actor.user,
        target=batch,
        after={"accounts": len(rows)},
    )
    return rows


def account_batches_recover(*, now: datetime | None = None) -> int:
    """Fail the batches left queued or running longer than `STALE`. How many."""
    return background.recover(
        AccountBatch,
        queued=_(
            "排队时间过长，后台任务服务可能未在运行；未创建任何账号。请重试，或联系系统管理员。"
        ),
        running=_("创建中断（服务重启或超时），未创建任何账号；请重试。"),
        now=now,
    )


@task()
def account_batch_task(batch_id: int) -> str:
    """Create one batch's accounts (`manage.py db_worker`). Returns the batch's final state
    (`skipped` when it was not queued any more)."""
    what = f"account batch {batch_id}"
    if not background.claim(AccountBatch, batch_id, what=what):
        return "skipped"
    batch = retry_transient(
        lambda: AccountBatch.objects.select_related("committee", "requested_by").get(pk=batch_id),
        what=what,
    )
    try:
        specs = _specs_of(batch)
        passwords = prepare_passwords(batch_id, len(specs))
        rows = retry_transient(partial(_create, batch, specs, passwords), what=what)
    except Exception as exc:
        error = background.failure_text(exc, what=what, nothing=_("未创建任何账号"), logger=logger)
        _finish(batch_id, state=BatchState.FAILED, error=error)
        return BatchState.FAILED.value
    _finish(batch_id, state=BatchState.DONE, rows=rows)
    return BatchState.DONE.value


def prepare_passwords(batch_id: int, count: int) -> list[tuple[str, str]]:
    """A password and its hash for each account, the count written as the progress."""
    prepared: list[tuple[str, str]] = []
    last = time.monotonic()
    for _index in range(count):
        password = random_password()
        prepared.append((password, make_password(password)))
        if time.monotonic() - last >= PROGRESS_SECONDS:
            progress = AccountBatch.objects.filter(pk=batch_id)
            retry_transient(
                partial(progress.update, prepared=len(prepared)),
                what=f"account batch {batch_id}",
            )
            last = time.monotonic()
    return prepared


def _create(
    batch: AccountBatch, specs: list[AccountSpec], passwords: list[tuple[str, str]]
) -> list[dict[str, str]]:
    """Every account or none, with the roles and names checked again; the credentials rows."""
    with transaction.atomic():
        created = accounts_bulk_create(
            committee=batch.committee,
            specs=specs,
            actor=actor_for(batch.requested_by),
            passwords=passwords,
        )
    return [
        credentials.row(
            unit=spec.unit,
            full_name=user.full_name,
            username=user.username,
            role=spec.role,
            initial=password,
        )
        for spec, (user, password) in zip(specs, created, strict=True)
    ]


def _finish(
    batch_id: int, *, state: BatchState, error: str = "", rows: list[dict[str, str]] | None = None
) -> None:
    fields: dict[str, object] = {"error": error}
    if rows is not None:
        fields.update(
            created=len(rows),
            prepared=len(rows),
            specs="",
            credentials=json.dumps(rows, ensure_ascii=False),
        )
    background.finish(
        AccountBatch, batch_id, state=state, what=f"account batch {batch_id}", **fields
    )
