"""The API's roster syncs as background tasks (issue 19 point 1: bulk imports run as tasks).

The request checks the whole sheet (`roster.roster_check`, `roster_orgs.units_check`,
`roster_orgs.orgs_check`: every fault by row number, nothing written) and answers 400 with them,
or keeps the sheet as a `RosterSync` and enqueues `roster_sync_task` when its transaction commits,
answering 202 with the sync's address, which the caller reads until it is done. The worker checks
the sheet again (a colleague may have changed the roster meanwhile) and writes it all or nothing
through the same services as the pages, as the token's account and with the token's name on every
audit entry; then it forgets the rows. A sync left queued or running longer than `STALE` is
failed by the next read of it.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Sequence
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_tasks import task
from ninja import Schema

from mofan.accounts.access import Actor, actor_for
from mofan.api.models import RosterSync, SyncKind
from mofan.api.roster import RosterRefused, roster_check, roster_sync
from mofan.api.roster_orgs import orgs_check, orgs_sync, units_check, units_sync
from mofan.api.schemas import PartyOrgRow, RosterRow, UnitRow
from mofan.audit.services import audit_record
from mofan.core import background
from mofan.core.background import BatchState
from mofan.core.dbfaults import retry_transient
from mofan.core.request_context import api_token_name
from mofan.organizations import selectors as org_selectors
from mofan.organizations.models import Committee, Unit

logger = logging.getLogger(__name__)

ROW_SCHEMAS: dict[str, type[Schema]] = {
    SyncKind.MEMBERS: RosterRow,
    SyncKind.UNITS: UnitRow,
    SyncKind.PARTY_ORGS: PartyOrgRow,
}


def refused_text() -> str:
    """What a sheet refused by row says first (in the active language, when it is said)."""
    return _("导入未执行：请改正以下各行后重新提交。")


def sheet_check(
    *, kind: str, committee: Committee, unit: Unit | None, rows: Sequence[Schema]
) -> None:
    """Every fault of the sheet by row (RosterRefused), as the worker will check it."""
    if kind == SyncKind.UNITS:
        units_check(committee, list(rows))  # type: ignore[arg-type]
    elif kind == SyncKind.MEMBERS and unit is not None:
        roster_check(unit, list(rows))  # type: ignore[arg-type]
    elif unit is not None:
        orgs_check(unit, list(rows))  # type: ignore[arg-type]


def roster_sync_request(
    *,
    kind: str,
    committee: Committee,
    unit: Unit | None,
    rows: Sequence[Schema],
    actor: Actor,
) -> RosterSync:
    """Check a sheet, then keep it and have a worker write it. The caller has checked that the
    actor may sync this unit's (or committee's) roster. The check (seconds for 5,000 rows) runs
    before the transaction: on SQLite a transaction takes the write lock when it begins."""
    sheet_check(kind=kind, committee=committee, unit=unit, rows=rows)
    with transaction.atomic():
        return _handed_over(kind=kind, committee=committee, unit=unit, rows=rows, actor=actor)


def _handed_over(
    *, kind: str, committee: Committee, unit: Unit | None, rows: Sequence[Schema], actor: Actor
) -> RosterSync:
    token = api_token_name.get() or ""
    sync = RosterSync.objects.create(
        kind=kind,
        committee=committee,
        unit=unit,
        requested_by=actor.user,
        source=(_("API 令牌“%(name)s”") % {"name": token})[:200] if token else "API",
        via_token=token[:100],
        total=len(rows),
        rows=json.dumps([row.model_dump() for row in rows], ensure_ascii=False),
    )
    audit_record(
        action="api.roster_sync_request",
        actor=actor.user,
        target=sync,
        committee_id=committee.pk,
        after={"kind": kind, "unit": unit.pk if unit else None, "rows": len(rows)},
    )
    transaction.on_commit(partial(roster_sync_task.enqueue, sync.pk))
    return sync


def syncs_of(actor: Actor) -> QuerySet[RosterSync]:
    """The syncs an account may read: its own."""
    return RosterSync.objects.filter(requested_by=actor.user)


def roster_syncs_recover(*, now: datetime.datetime | None = None) -> int:
    """Fail the syncs left queued or running longer than `STALE`. How many."""
    return background.recover(
        RosterSync,
        queued=_(
            "排队时间过长，后台任务服务可能未在运行；未写入任何数据。请重新提交，或联系系统管理员。"
        ),
        running=_("同步中断（服务重启或超时），未写入任何数据；请重新提交。"),
        now=now,
    )


def recent_syncs(actor: Actor, *, shown: int) -> list[RosterSync]:
    """The actor's latest syncs, newest first, those left behind failed first."""
    latest = syncs_of(actor).select_related("unit").order_by("-created_at", "-pk")
    syncs = list(latest[:shown])
    if any(background.is_stale(sync) for sync in syncs):
        roster_syncs_recover()
        syncs = list(latest[:shown])
    return syncs


def sync_read(actor: Actor, pk: int) -> RosterSync:
    """One of the actor's syncs, failed first if it was left behind (DoesNotExist otherwise)."""
    sync = syncs_of(actor).get(pk=pk)
    if background.is_stale(sync):
        roster_syncs_recover()
        sync = syncs_of(actor).get(pk=pk)
    return sync


@task()
def roster_sync_task(sync_id: int) -> str:
    """Write one sync's sheet (`manage.py db_worker`). Returns its final state (`skipped` when
    it was not queued any more)."""
    what = f"roster sync {sync_id}"
    if not background.claim(RosterSync, sync_id, what=what):
        return "skipped"
    sync = retry_transient(
        lambda: RosterSync.objects.select_related("requested_by", "committee", "unit").get(
            pk=sync_id
        ),
        what=what,
    )
    marker = api_token_name.set(sync.via_token or None)
    try:
        counts = retry_transient(partial(_write, sync), what=what)
    except RosterRefused as refused:
        background.finish(
            RosterSync,
            sync_id,
            state=BatchState.FAILED,
            what=what,
            error=refused_text(),
            errors=refused.errors,
            rows="",
        )
        return BatchState.FAILED.value
    except Exception as exc:
        error = background.failure_text(exc, what=what, nothing=_("未写入任何数据"), logger=logger)
        background.finish(
            RosterSync, sync_id, state=BatchState.FAILED, what=what, error=error, rows=""
        )
        return BatchState.FAILED.value
    finally:
        api_token_name.reset(marker)
    created, updated, unchanged = counts
    background.finish(
        RosterSync,
        sync_id,
        state=BatchState.DONE,
        what=what,
        created=created,
        updated=updated,
        unchanged=unchanged,
        rows="",
    )
    return BatchState.DONE.value


def _write(sync: RosterSync) -> tuple[int, int, int]:
    """(created, updated, unchanged), as the account that sent the sheet may still write it."""
    actor = actor_for(sync.requested_by)
    schema = ROW_SCHEMAS[sync.kind]
    rows = [schema(**row) for row in json.loads(sync.rows or "[]")]
    if not _may_write(actor, sync):
        raise PermissionDenied(_("提交人已无权维护该名册（权限可能已变更）；未写入任何数据。"))
    if sync.kind == SyncKind.UNITS:
        return units_sync(committee=sync.committee, rows=rows, actor=actor)  # type: ignore[arg-type]
    assert sync.unit is not None
    if sync.kind == SyncKind.MEMBERS:
        return roster_sync(unit=sync.unit, rows=rows, actor=actor)  # type: ignore[arg-type]
    created, updated = orgs_sync(unit=sync.unit, rows=rows, actor=actor)  # type: ignore[arg-type]
    return created, updated, 0


def _may_write(actor: Actor, sync: RosterSync) -> bool:
    """The account still administers the committee (units) or edits the unit's roster."""
    if sync.kind == SyncKind.UNITS:
        committees = org_selectors.committees_administered_by(actor)
        return committees.filter(pk=sync.committee_id).exists()
    units = org_selectors.units_whose_roster_editable_by(actor)
    return sync.unit_id is not None and units.filter(pk=sync.unit_id).exists()
