"""The one score write: a leaf's score row saved from a form, for self-evaluation, review and
re-review alike (`score_row_save`), with the helpers the set-wise writers share.

What it does, in the caller's transaction: scores the input with the leaf's method (pure,
`indicators.methods.score_leaf`), checks the version the form showed against the stored row
(optimistic lock: a stale form is refused with the row as it now stands, never overwritten),
updates the row by a guarded UPDATE or creates it (the first-save race answered as a stale
write), and writes the audit entry with before and after. Who may write, and in which state,
the caller checks first: those rules differ per step; the save does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.core.concurrency import StaleWrite, create_first_save
from mofan.indicators.methods import ScoringInputError, score_leaf
from mofan.indicators.models import IndicatorNode


def score_fields(node: IndicatorNode, value: dict[str, Any]) -> dict[str, Any]:
    """The stored figures of a leaf's input: score, level and veto (a Chinese error for bad
    input)."""
    try:
        leaf = score_leaf(node.method, node.points, value, node.rules)
    except ScoringInputError as exc:
        raise ValidationError(str(exc)) from exc
    return {"score": leaf.score, "level": leaf.level or "", "veto": leaf.veto}


def clean_input(value: dict[str, Any]) -> dict[str, Any]:
    """The input as stored (JSON): decimals as strings."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in value.items()}


def shown(record: Any) -> str:
    """A score row as people read it: the score, else the level, else 否决 or —."""
    if record.score is not None:
        return str(record.score)
    return record.level or (_("否决") if record.veto else "—")


def _stale_default(existing: Any) -> str:
    return _("该项已被他人修改为 %(v)s，您的修改未保存。请刷新后再改。") % {"v": shown(existing)}


@dataclass(frozen=True)
class ScoreRow:
    """Which row a save writes and how its step words things.

    `lookup` finds the row (e.g. enrollment and node); `text_field` is the free text beside the
    score (narrative or comment); `writer` the fields naming who wrote (e.g. updated_by);
    `stale` the message when the form showed an older version; `missing` when the form showed
    a version of a row that is not there."""

    model: type[models.Model]
    lookup: dict[str, Any]
    text_field: str
    writer: dict[str, Any] = field(default_factory=dict)
    stale: Callable[[Any], str] = _stale_default
    missing: str = ""
    with_veto: bool = True
    audit_committee_id: int | None = None


def score_row_save(
    *,
    row: ScoreRow,
    node: IndicatorNode,
    value: dict[str, Any],
    text: str,
    expected_version: int | None,
    action: str,
    actor: Actor,
    before_audit: Callable[[], object] | None = None,
) -> Any:
    """Save one leaf's score row; `expected_version` is the version the form showed (None or 0
    for a first save). Call inside the caller's transaction, after its permission checks.

    `before_audit`: the caller's further work in the same transaction (refreshing the unit's
    figures), run after the row is written and before its audit entry is appended. The entry
    takes the audit chain's lock, which PostgreSQL holds until COMMIT (`audit.services`), so
    work done before it does not keep every other audited write of the system waiting."""
    fields = score_fields(node, value)
    if not row.with_veto:
        fields.pop("veto", None)
    existing: Any = row.model._default_manager.filter(**row.lookup).first()
    values = {"input": clean_input(value), row.text_field: text, **row.writer, **fields}
    if existing is None:
        if expected_version not in (None, 0):
            raise StaleWrite(row.missing or _("该项尚未保存，请刷新。"), None)
        before = None
        record: Any = create_first_save(row.model, **row.lookup, **values)
    else:
        if expected_version != existing.version:
            raise StaleWrite(row.stale(existing), existing)
        before = {
            "input": existing.input,
            "score": shown(existing),
            row.text_field: getattr(existing, row.text_field),
        }
        updated = row.model._default_manager.filter(
            pk=existing.pk, version=expected_version
        ).update(updated_at=timezone.now(), version=F("version") + 1, **values)
        if updated != 1:
            existing.refresh_from_db()
            raise StaleWrite(
                _("该项刚被修改为 %(v)s，您的修改未保存。") % {"v": shown(existing)}, existing
            )
        record = row.model._default_manager.get(pk=existing.pk)
    if before_audit is not None:
        before_audit()
    audit_record(
        action=action,
        actor=actor.user,
        target=record,
        committee_id=row.audit_committee_id,
        before=before,
        after={"node": node.code, "input": record.input, "score": shown(record)},
    )
    return record
