"""Writing, verifying and purging the audit trail.

`audit_record` is called by every service inside the transaction of the change it records: if the
entry cannot be written, the change rolls back with it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from mofan.audit import chain, triggers
from mofan.audit.models import AuditCheckpoint, AuditEntry, AuditResult, DeniedThrottle
from mofan.core.bulk import BATCH, rows_insert
from mofan.core.request_context import api_token_name
from mofan.core.request_context import client_ip as current_client_ip

MIN_RETENTION_DAYS = 183

# Any constant works; it names the advisory lock that serialises appends on PostgreSQL.
_PG_LOCK_ID = 0x6D6F66616E


def _lock_chain() -> None:
    """Serialise appends. SQLite's IMMEDIATE transactions already hold the write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_ID])


def _chain_tail() -> tuple[int, str]:
    last = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()
    if last is not None:
        return last
    checkpoint = AuditCheckpoint.objects.order_by("-through_id").first()
    if checkpoint is not None:
        return checkpoint.through_id, checkpoint.through_mac
    return 0, chain.GENESIS


def _committee_of(obj: Any) -> int | None:
    """The committee an actor or an object belongs to, where it says so."""
    if obj is None:
        return None
    for attribute in ("committee_id",):
        value = getattr(obj, attribute, None)
        if isinstance(value, int):
            return value
    unit = getattr(obj, "unit", None) if hasattr(obj, "unit_id") else None
    value = getattr(unit, "committee_id", None)
    return value if isinstance(value, int) else None


def _actor_parts(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return actor.pk, actor.get_username()


@functools.lru_cache(maxsize=64)
def _limit(model: type[models.Model], field: str) -> int | None:
    return model._meta.get_field(field).max_length  # type: ignore[union-attr]


def _bounded(value: str, model: type[models.Model], field: str) -> str:
    limit = _limit(model, field)
    return value[:limit] if limit else value


@dataclass(frozen=True)
class Pending:
    """One entry to append, before its place in the chain is known."""

    action: str
    actor_id: int | None
    actor_name: str
    result: str
    object_type: str
    object_id: str
    data: dict[str, Any]
    committee_id: int | None


def _pending(
    *,
    action: str,
    actor: Any = None,
    result: str = AuditResult.SUCCESS,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: Any = None,
    after: Any = None,
    extra: Any = None,
    actor_name: str = "",
    committee_id: int | None = None,
) -> Pending:
    if committee_id is None:
        committee_id = _committee_of(actor) or _committee_of(target)
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    data: dict[str, Any] = {}
    if before is not None:
        data["before"] = before
    if after is not None:
        data["after"] = after
    if extra is not None:
        data["extra"] = extra
    via_token = api_token_name.get()
    if via_token is not None:
        data["via_api"] = via_token  # not "…token…": that key would be masked
    actor_id, name = _actor_parts(actor)
    # Bounded to the column sizes before the MAC is computed: free text such as a username typed
    # into the login form must neither overflow a column (PostgreSQL refuses, SQLite does not)
    # nor make the stored entry differ from the one that was signed.
    return Pending(
        action=action,
        actor_id=actor_id,
        actor_name=_bounded(name or actor_name, AuditEntry, "actor_name"),
        result=str(result),
        object_type=_bounded(object_type, AuditEntry, "object_type"),
        object_id=_bounded(str(object_id), AuditEntry, "object_id"),
        data=chain.mask_secrets(data),
        committee_id=committee_id,
    )


def _chained(
    pending: Pending,
    *,
    id: int,
    prev_mac: str,
    now: datetime,
    client_ip: str | None,
    algorithm: str,
) -> dict[str, Any]:
    """The column values of the entry at position `id` after the entry whose MAC is
    `prev_mac`."""
    fields = chain.entry_fields(
        id=id,
        created_at=now,
        actor_id=pending.actor_id,
        actor_name=pending.actor_name,
        client_ip=client_ip,
        action=pending.action,
        result=pending.result,
        object_type=pending.object_type,
        object_id=pending.object_id,
        data=pending.data,
        committee_id=pending.committee_id,
    )
    return {
        "id": fields["id"],
        "created_at": now,
        "actor_id": pending.actor_id,
        "actor_name": fields["actor_name"],
        "client_ip": fields["client_ip"],
        "action": pending.action,
        "result": fields["result"],
        "object_type": pending.object_type,
        "object_id": fields["object_id"],
        "data": pending.data,
        "committee_id": pending.committee_id,
        "algorithm": algorithm,
        "prev_mac": prev_mac,
        "mac": chain.compute_mac(settings.MOFAN_AUDIT_KEY, algorithm, prev_mac, fields),
    }


class EntryDetails(TypedDict, total=False):
    """What an entry says besides its action: the parameters of `_pending`, which holds their
    defaults (no actor, success, no target, no data, the committee worked out)."""

    actor: Any
    result: str
    target: models.Model | None
    object_type: str
    object_id: str | int
    before: Any
    after: Any
    extra: Any
    actor_name: str
    committee_id: int | None


def audit_record(*, action: str, **details: Unpack[EntryDetails]) -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction.

    The entry belongs to a committee (so that each committee's auditor reads only its own
    trail): the one given, else the actor's, else the target's when it has one."""
    _count, row = _append([_pending(action=action, **details)])
    entry = AuditEntry(**row)  # type: ignore[arg-type]
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


@transaction.atomic
def audit_delete(*, target: models.Model, action: str, actor: Any, before: Any) -> None:
    """Delete `target` and record it (its type, its former id, `before`) in the caller's
    transaction."""
    pk = target.pk
    target.delete()
    audit_record(
        action=action,
        actor=actor,
        object_type=target._meta.label_lower,
        object_id=pk,
        before=before,
    )


BULK_BATCH = BATCH  # entries per INSERT (`core.bulk`)


def _append(pending: Iterable[Pending]) -> tuple[int, dict[str, Any] | None]:
    """Chain `pending` after the last entry, in order, under one lock of the chain; returns
    how many entries were appended and the column values of the last one.

    Inserted as plain rows, batch by batch as `pending` is read (`core.bulk.rows_insert`):
    building a model instance per entry and letting `bulk_create` prepare every value took
    most of the time of approving 20,000 units (two entries each), and holding every entry
    until the end most of its memory."""
    with transaction.atomic():
        _lock_chain()
        last_id, prev_mac = _chain_tail()
        now = timezone.now()
        client_ip = current_client_ip.get()
        algorithm = chain.preferred_algorithm()
        shared = {"created_at": now, "client_ip": client_ip}  # one time and address per call
        rows: list[dict[str, Any]] = []
        count, row = 0, None
        for count, item in enumerate(pending, start=1):
            row = _chained(
                item,
                id=last_id + count,
                prev_mac=prev_mac,
                now=now,
                client_ip=client_ip,
                algorithm=algorithm,
            )
            rows.append(row)
            prev_mac = row["mac"]
            if len(rows) == BULK_BATCH:
                rows_insert(AuditEntry, rows, same=shared)
                rows = []
        rows_insert(AuditEntry, rows, same=shared)
    return count, row


def audit_record_many(*, entries: Iterable[dict[str, Any]]) -> int:
    """Append many entries at once, each exactly as `audit_record(**entry)` would, in order,
    under one lock of the chain and with batched inserts: for the set-wise writes that touch
    thousands of records (approving a province's results) and still owe one entry each.
    Returns how many were written. `entries` is read as the chain is written (a generator
    keeps only one batch in memory)."""
    stream = iter(entries)
    first = next(stream, None)
    if first is None:
        return 0
    count, _last = _append(_pending(**entry) for entry in itertools.chain([first], stream))
    return count


# Refusals (403s, CSRF failures, locked logins, refused second factors) are audited, but an
# attack must not flood the trail: per source (account, else client address) one entry per
# action and path in a window, and at most DENIED_PER_SOURCE entries per window in all. What is
# held back is counted and reported by the source's next entry for that action and path.
DENIED_WINDOW = timedelta(minutes=10)
DENIED_PER_SOURCE = 30


def _denied_source(actor: Any, actor_name: str) -> str:
    actor_id, _name = _actor_parts(actor)
    if actor_id is not None:
        return f"user:{actor_id}"
    ip = current_client_ip.get()
    return f"ip:{ip}" if ip else f"name:{actor_name.strip().lower()[:150]}"


def audit_denied(
    *,
    action: str,
    path: str,
    actor: Any = None,
    actor_name: str = "",
    object_type: str = "",
    object_id: str | int = "",
    extra: dict[str, Any] | None = None,
    committee_id: int | None = None,
) -> AuditEntry | None:
    """Record a refusal (result "denied"), rate-limited per source as described above.

    `path` is what the limit is kept for: the route (view name) rather than the raw URL, so a
    sweep over many ids counts as one place. Returns the entry, or None when held back."""
    source = _denied_source(actor, actor_name)
    keys = [f"{source}|{action}|{path}"[:300], f"{source}|*"[:300]]
    now = timezone.now()
    with transaction.atomic():
        DeniedThrottle.objects.bulk_create(
            [DeniedThrottle(key=key, window_start=now) for key in keys], ignore_conflicts=True
        )
        rows = {
            row.key: row for row in DeniedThrottle.objects.select_for_update().filter(key__in=keys)
        }
        place, overall = rows[keys[0]], rows[keys[1]]
        for row in (place, overall):
            if now - row.window_start > DENIED_WINDOW:
                row.window_start, row.entries = now, 0
        if place.entries >= 1 or overall.entries >= DENIED_PER_SOURCE:
            place.suppressed += 1
            place.save(update_fields=["window_start", "entries", "suppressed"])
            overall.save(update_fields=["window_start", "entries"])
            return None
        held_back, place.suppressed = place.suppressed, 0
        place.entries += 1
        overall.entries += 1
        place.save(update_fields=["window_start", "entries", "suppressed"])
        overall.save(update_fields=["window_start", "entries"])
        DeniedThrottle.objects.filter(
            window_start__lt=now - 2 * DENIED_WINDOW, suppressed=0
        ).delete()
        details: dict[str, Any] = {"path": path, **(extra or {})}
        if held_back:
            details["held_back"] = held_back
        return audit_record(
            action=action,
            actor=actor,
            actor_name=actor_name,
            result=AuditResult.DENIED,
            object_type=object_type,
            object_id=object_id,
            extra=details,
            committee_id=committee_id,
        )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head: str
    head_id: int
    bad_id: int | None = None
    reason: str = ""


def _fields_of(entry: AuditEntry) -> dict[str, Any]:
    return chain.entry_fields(
        id=entry.id,
        created_at=entry.created_at,
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        client_ip=entry.client_ip,
        action=entry.action,
        result=entry.result,
        object_type=entry.object_type,
        object_id=entry.object_id,
        data=entry.data,
        committee_id=entry.committee_id,
    )


def _checkpoint_fields(cp: AuditCheckpoint) -> dict[str, Any]:
    return {
        "created_at": chain.utc_iso(cp.created_at),
        "through_id": cp.through_id,
        "through_mac": cp.through_mac,
        "purged_count": cp.purged_count,
    }


def audit_verify(*, using: str = "default") -> VerifyResult:
    """Recompute the chain; name the first entry that was edited, removed or inserted."""
    key = settings.MOFAN_AUDIT_KEY
    expected_id, expected_prev = 1, chain.GENESIS
    checkpoint = AuditCheckpoint.objects.using(using).order_by("-through_id").first()
    if checkpoint is not None:
        cp_mac = chain.compute_mac(
            key, checkpoint.algorithm, chain.GENESIS, _checkpoint_fields(checkpoint)
        )
        if cp_mac != checkpoint.mac:
            return VerifyResult(False, 0, "", 0, checkpoint.through_id, "清理检查点被篡改")
        expected_id, expected_prev = checkpoint.through_id + 1, checkpoint.through_mac
    count = 0
    head, head_id = expected_prev, expected_id - 1
    entries = AuditEntry.objects.using(using).order_by("id").iterator(chunk_size=2000)
    for entry in entries:
        if entry.id != expected_id:
            if entry.id > expected_id:
                reason = f"记录 #{expected_id} 至 #{entry.id - 1} 缺失（被删除）"
                return VerifyResult(False, count, head, head_id, expected_id, reason)
            return VerifyResult(False, count, head, head_id, entry.id, "记录编号异常（被插入）")
        if entry.prev_mac != expected_prev:
            return VerifyResult(
                False, count, head, head_id, entry.id, "与前一条记录的链接不符（前序被删除或插入）"
            )
        mac = chain.compute_mac(key, entry.algorithm, entry.prev_mac, _fields_of(entry))
        if mac != entry.mac:
            return VerifyResult(
                False, count, head, head_id, entry.id, "校验码不符（记录被修改或伪造）"
            )
        count += 1
        expected_id, expected_prev = entry.id + 1, entry.mac
        head, head_id = entry.mac, entry.id
    return VerifyResult(True, count, head, head_id)


def audit_purge(*, before: datetime, actor: Any = None) -> int:
    """Remove entries older than `before`, never younger than the retention period.

    The append-only triggers are lifted only inside this transaction, and a MAC-signed checkpoint
    records where the remaining chain starts, so verification still proves what is left.
    """
    # GB/T 22239-2019 asks for at least six months, whatever the configuration says.
    retention = timedelta(days=max(MIN_RETENTION_DAYS, settings.MOFAN_AUDIT_RETENTION_DAYS))
    cutoff = min(before, timezone.now() - retention)
    with transaction.atomic():
        _lock_chain()
        doomed = AuditEntry.objects.filter(created_at__lt=cutoff).order_by("id")
        last = doomed.values_list("id", "mac").last()
        if last is None:
            return 0
        # Only a prefix of the chain can go: stop before the first entry that must stay.
        first_kept = (
            AuditEntry.objects.filter(created_at__gte=cutoff).order_by("id").values("id").first()
        )
        if first_kept is not None and first_kept["id"] < last[0]:
            last = (
                AuditEntry.objects.filter(id__lt=first_kept["id"])
                .order_by("id")
                .values_list("id", "mac")
                .last()
            )
            if last is None:
                return 0
        with triggers.lifted(connection):
            count, _ = AuditEntry.objects.filter(id__lte=last[0]).delete()
        checkpoint = AuditCheckpoint(
            created_at=timezone.now(),
            through_id=last[0],
            through_mac=last[1],
            purged_count=count,
            algorithm=chain.preferred_algorithm(),
        )
        checkpoint.mac = chain.compute_mac(
            settings.MOFAN_AUDIT_KEY,
            checkpoint.algorithm,
            chain.GENESIS,
            _checkpoint_fields(checkpoint),
        )
        checkpoint.save()
        audit_record(
            action="audit.purge",
            actor=actor,
            extra={"through_id": last[0], "count": count, "cutoff": chain.utc_iso(cutoff)},
        )
    return count
