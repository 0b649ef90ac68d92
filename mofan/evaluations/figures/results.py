"""The frozen results (`UnitResult`): written at approval from the stored figures, unfrozen on
reopening, and replaced after a re-review. The only writer of `UnitResult` (callers audit)."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations.figures.summary import result_summary_apply, share_of
from mofan.evaluations.models import UnitResult, UnitTotals
from mofan.organizations.models import Unit

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
# What the audit trail shows of a result's figures before approval froze it again.
BEFORE_FIELDS = ("composite", "grade", "rank", "advanced")
RESULT_TYPE = UnitResult._meta.label_lower  # the results' object type in the audit trail
# The figures an approval's audit entry does not show (and `FreshResult` does not keep: at
# 20,000 units they were a tenth of the approval's memory).
SHOWN_APART = ("type_scores", "level_counts")
# What a re-review may replace; rank, advanced and veto were decided over the whole field.
REPLACED_FIELDS = ("composite", "review_total", "type_scores", "level_counts", "grade")
BATCH = 500
ID_SLICE = 10_000  # ids a statement takes as parameters


SHOWN = tuple(name for name in RESULT_FIELDS if name not in SHOWN_APART)
GRADE_AT, VETO_AT = SHOWN.index("grade"), SHOWN.index("veto")


class FreshResult(NamedTuple):
    """A result `results_freeze` has just frozen: its row, its figures (`SHOWN`, in that order:
    a tuple, not a dict, which at 100,000 units kept the approval under 400 MB), its figures
    before (None when new; as text, for the audit trail) and the state of its enrollment."""

    pk: int
    enrollment_id: int
    figures: tuple[Any, ...]
    before: dict[str, str] | None
    state: str

    @property
    def values(self) -> dict[str, Any]:
        """The figures by name."""
        return dict(zip(SHOWN, self.figures, strict=True))

    @property
    def grade(self) -> str:
        return self.figures[GRADE_AT]

    @property
    def veto(self) -> bool:
        return self.figures[VETO_AT]


@dataclass
class Frozen:
    """What `results_freeze` did: how many of the chosen units have a frozen result now
    (`written`, those frozen before included), and the ones it froze (`fresh`)."""

    written: int = 0
    fresh: list[FreshResult] = field(default_factory=list)


@transaction.atomic(savepoint=False)
def results_freeze(
    *,
    campaign: Campaign,
    approved_by: User,
    now: datetime.datetime,
    enrollment_ids: Collection[int] | None = None,
) -> Frozen:
    """Freeze the stored figures (`UnitTotals`) of every unit, or of `enrollment_ids`, into its
    `UnitResult`; results already frozen stay. A withdrawn unit (已退出) never has a result.

    The new results are copied by the database (`_insert_new`: INSERT … SELECT from the stored
    figures), the few existing unfrozen ones (a reopened unit) updated one by one; what was
    frozen is read back as plain values, without the per-type scores. Built as model instances
    (`bulk_create` of 20,000 results read with their enrollment and unit) this step took a
    quarter of approving 20,000 units; as rows made in Python, a tenth, half of it turning the
    JSON columns into dicts and back."""
    existing = {
        row[0]: row[1:]
        for row in UnitResult.objects.filter(campaign=campaign).values_list(
            "enrollment_id", "pk", "frozen", *BEFORE_FIELDS
        )
    }
    chosen = UnitTotals.objects.filter(campaign=campaign).exclude(
        enrollment__state=EnrollmentState.WITHDRAWN
    )
    # A round's units are matched here rather than sent as up to 20,000 query parameters.
    wanted = set(enrollment_ids) if enrollment_ids is not None else None
    done = Frozen()
    new: list[int] = []
    before: dict[int, dict[str, str]] = {}
    missing = 0  # units taking part without a result, chosen or not
    for enrollment_id in chosen.values_list("enrollment_id", flat=True).iterator(5000):
        record = existing.get(enrollment_id)
        missing += record is None
        if wanted is not None and enrollment_id not in wanted:
            continue
        done.written += 1
        if record is None:
            new.append(enrollment_id)
        elif not record[1]:  # reopened: written again
            before[enrollment_id] = {
                k: str(v) for k, v in zip(BEFORE_FIELDS, record[2:], strict=True)
            }
    frozen = {"frozen": True, "approved_at": now, "approved_by_id": approved_by.pk}
    reopened = list(before)
    for start in range(0, len(reopened), BATCH):
        ids = reopened[start : start + BATCH]
        for enrollment_id, *figures in UnitTotals.objects.filter(enrollment_id__in=ids).values_list(
            "enrollment_id", *RESULT_FIELDS
        ):
            UnitResult.objects.filter(pk=existing[enrollment_id][0]).update(
                **dict(zip(RESULT_FIELDS, figures, strict=True)), **frozen
            )
    # Named only when some unit without a result is left out (a round of some units).
    _insert_new(campaign, None if len(new) == missing else new, frozen)
    rows = (
        UnitResult.objects.filter(campaign=campaign, approved_at=now)
        .order_by("enrollment__unit__sort_order", "enrollment_id")
        .values_list("pk", "enrollment_id", "enrollment__state", *SHOWN)
    )
    done.fresh = [
        FreshResult(pk, eid, tuple(values), before.get(eid), state)
        for pk, eid, state, *values in rows.iterator(5000)
    ]
    return done


def _insert_new(campaign: Campaign, only: list[int] | None, frozen: dict[str, Any]) -> None:
    """INSERT … SELECT: a frozen result for every unit of the campaign taking part (not
    withdrawn) that has none yet, or for those of `only`, from its stored figures, in the order
    of the committee's units. The JSON columns go from table to table without being parsed."""
    ops = connection.ops
    q = ops.quote_name
    result, totals = UnitResult._meta, UnitTotals._meta
    enrollment, unit = Enrollment._meta, Unit._meta
    columns = ["enrollment_id", "campaign_id", *RESULT_FIELDS]
    extra = ["frozen", "approved_at", "approved_by_id", "version"]
    values = [
        *(_field(result, name).get_db_prep_save(frozen[name], connection) for name in extra[:3]),
        1,
    ]
    names = ", ".join(q(_field(result, name).column) for name in (*columns, *extra))
    copied = ", ".join(f"t.{q(_field(totals, name).column)}" for name in columns)
    sql = (
        f"INSERT INTO {q(result.db_table)} ({names}) "  # noqa: S608 (quoted names only)
        f"SELECT {copied}, %s, %s, %s, %s FROM {q(totals.db_table)} t "
        f"JOIN {q(enrollment.db_table)} e ON e.id = t.enrollment_id "
        f"JOIN {q(unit.db_table)} u ON u.id = e.unit_id "
        "WHERE t.campaign_id = %s AND e.state <> %s "
        f"AND NOT EXISTS (SELECT 1 FROM {q(result.db_table)} r "
        "WHERE r.enrollment_id = t.enrollment_id)"
    )
    order = " ORDER BY u.sort_order, t.enrollment_id"
    params = [*values, campaign.pk, EnrollmentState.WITHDRAWN.value]
    with connection.cursor() as cursor:
        if only is None:
            cursor.execute(sql + order, params)
            return
        for start in range(0, len(only), ID_SLICE):  # SQLite: at most 32,766 parameters
            ids = only[start : start + ID_SLICE]
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(f"{sql} AND t.enrollment_id IN ({marks}){order}", [*params, *ids])


def _field(meta: Any, name: str) -> Any:
    """The concrete field `name` (or its `_id` name) of a model's meta."""
    found = meta.get_field(name)
    assert found.concrete and found.column, name
    return found


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


def results_discard(*, campaign: Campaign) -> int:
    """Delete every result of the campaign, unaudited: for `make bench`, which sets its seeded
    campaign back to before its approval inside a transaction it rolls back. No page or
    service calls it. Returns how many rows went."""
    deleted, _by_model = UnitResult.objects.filter(campaign=campaign).delete()
    return deleted


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
