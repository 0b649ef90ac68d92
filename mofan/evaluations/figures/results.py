"""The frozen results (`UnitResult`): written at approval from the stored figures, unfrozen on
reopening, and replaced after a re-review. The only writer of `UnitResult` (callers audit)."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations.figures.summary import result_summary_apply, share_of
from mofan.evaluations.models import UnitResult, UnitTotals

RESULT_FIELDS = (
    "self_total",
    "review_total",
    "composite",
    "type_scores",
    "level_counts",
    "grade",
    "rank",
    "veto",
    "advanced",
)
# What a re-review may replace; rank, advanced and veto were decided over the whole field.
REPLACED_FIELDS = ("composite", "review_total", "type_scores", "level_counts", "grade")
BATCH = 500


def frozen_values(totals: UnitTotals) -> dict[str, Any]:
    """A unit's result as approval freezes it: its stored figures."""
    return {name: getattr(totals, name) for name in RESULT_FIELDS}


@dataclass
class Frozen:
    """What `results_freeze` wrote: every unit's result (`written`), and for the newly frozen
    ones the result, its figures before (None when new) and its enrollment's state."""

    written: list[UnitResult] = field(default_factory=list)
    fresh: list[tuple[UnitResult, dict[str, str] | None, str]] = field(default_factory=list)


@transaction.atomic(savepoint=False)
def results_freeze(
    *,
    campaign: Campaign,
    approved_by: User,
    now: datetime.datetime,
    enrollment_ids: Collection[int] | None = None,
) -> Frozen:
    """Freeze the stored figures (`UnitTotals`, just recomputed by the caller) of every unit, or
    of `enrollment_ids`, into its `UnitResult`, in batches; results already frozen stay."""
    existing = {r.enrollment_id: r for r in UnitResult.objects.filter(campaign=campaign)}
    done = Frozen()
    new: list[UnitResult] = []
    changed: list[UnitResult] = []
    frozen = {"frozen": True, "approved_at": now, "approved_by": approved_by}
    # A withdrawn unit (已退出) never has a result.
    chosen = UnitTotals.objects.filter(campaign=campaign).exclude(
        enrollment__state=EnrollmentState.WITHDRAWN
    )
    if enrollment_ids is not None:
        chosen = chosen.filter(enrollment_id__in=enrollment_ids)
    totals = chosen.select_related("enrollment__unit").order_by(
        "enrollment__unit__sort_order", "enrollment_id"
    )
    for stored in totals:
        record = existing.get(stored.enrollment_id)
        if record is not None and record.frozen:
            done.written.append(record)
            continue
        before = (
            {k: str(getattr(record, k)) for k in ("composite", "grade", "rank", "advanced")}
            if record is not None
            else None
        )
        values = {**frozen_values(stored), **frozen}
        if record is None:
            record = UnitResult(enrollment=stored.enrollment, campaign=campaign, **values)
            new.append(record)
        else:
            for name, value in values.items():
                setattr(record, name, value)
            changed.append(record)
        done.written.append(record)
        done.fresh.append((record, before, stored.enrollment.state))
    for start in range(0, len(new), BATCH):
        UnitResult.objects.bulk_create(new[start : start + BATCH])
    UnitResult.objects.bulk_update(
        changed, [*RESULT_FIELDS, "frozen", "approved_at", "approved_by"], batch_size=BATCH
    )
    return done


def results_ranks_sync(*, campaign: Campaign) -> int:
    """The rank and 先进 of every frozen result from the stored figures of the whole field: a
    round of approval freezes a unit's score and grade, while its rank and honour follow the
    field until the campaign's approval is complete (every unit approved, or the rest closed as
    未完成) and the results are published. One UPDATE; returns how many results it wrote."""
    totals = UnitTotals.objects.filter(enrollment_id=OuterRef("enrollment_id"))
    return UnitResult.objects.filter(campaign=campaign, frozen=True).update(
        rank=Subquery(totals.values("rank")[:1]),
        advanced=Coalesce(Subquery(totals.values("advanced")[:1]), Value(False)),
    )


def result_unfreeze(*, enrollment: Enrollment) -> int:
    """Reopening: the result can be written again by the next approval."""
    return UnitResult.objects.filter(enrollment=enrollment).update(frozen=False)


def _decimal(value: Any) -> Decimal | None:
    return Decimal(value) if value is not None else None


@transaction.atomic(savepoint=False)
def result_replace(*, result: UnitResult, after: dict[str, Any]) -> UnitResult:
    """Replace what a re-review may change (`REPLACED_FIELDS`, from `after` as plain JSON) in an
    approved result, version-checked, and adjust the campaign's summary by the difference."""
    replaced = share_of(result)
    values = {
        "composite": _decimal(after.get("composite")),
        "review_total": _decimal(after.get("review_total")),
        "type_scores": after.get("type_scores", {}),
        "level_counts": after.get("level_counts", {}),
        "grade": after.get("grade", ""),
    }
    updated = UnitResult.objects.filter(pk=result.pk, version=result.version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise ValidationError(_("该单位的考评结果已被他人更改，请刷新后重试。"))
    result.refresh_from_db()
    result_summary_apply(campaign=result.campaign, removed=[replaced], added=[share_of(result)])
    return result
