"""Committee approval (综合审定): veto inputs, results for every unit, freezing, reopening with
a reason, and publishing."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record, audit_record_many
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations import events
from mofan.evaluations import results as res
from mofan.evaluations.aggregates import unit_refresh
from mofan.evaluations.models import (
    ConsolidatedScore,
    SelfScore,
    UnitResult,
    UnitTotals,
    VetoInput,
)
from mofan.evaluations.recompute import campaign_recompute
from mofan.evaluations.scoring import Totals, max_points, totals_for
from mofan.evaluations.services import enrollment_transition
from mofan.evaluations.summary import result_summary_rebuild
from mofan.indicators.methods import LeafScore
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import walk

S = EnrollmentState


def _check_admin(actor: Actor, campaign: Campaign) -> None:
    if not rules.administers(actor, campaign.committee_id):
        raise PermissionDenied(_("只有本工委管理员可以审定。"))


@transaction.atomic
def veto_input_record(
    *, enrollment: Enrollment, source: str, vetoed: bool, opinion: str, actor: Actor
) -> VetoInput:
    """The opinion of 纪检监察 / 巡察 / 审计 on one unit (seed 001)."""
    _check_admin(actor, enrollment.campaign)
    if enrollment.state == S.APPROVED:
        raise ValidationError(_("结果已审定；如需修改请先重新打开。"))
    if vetoed and not opinion.strip():
        raise ValidationError(_("否决须写明意见。"))
    existing = VetoInput.objects.filter(enrollment=enrollment, source=source).first()
    before = {"vetoed": existing.vetoed, "opinion": existing.opinion} if existing else None
    record, _created = VetoInput.objects.update_or_create(
        enrollment=enrollment,
        source=source,
        defaults={"vetoed": vetoed, "opinion": opinion, "recorded_by": actor.user},
    )
    unit_refresh(enrollment=enrollment)
    audit_record(
        action="approval.veto_input",
        actor=actor.user,
        target=record,
        before=before,
        after={"source": source, "vetoed": vetoed, "opinion": opinion},
    )
    return record


@dataclass
class UnitRow:
    enrollment: Enrollment
    self_totals: Totals
    review_totals: Totals
    veto_inputs: list[str]
    result: res.Result | None = None


def _leaf_scores(
    rows: list[dict[str, Any]], code_of: dict[int, str]
) -> dict[int, dict[str, LeafScore]]:
    scores: dict[int, dict[str, LeafScore]] = defaultdict(dict)
    for row in rows:
        scores[row["enrollment_id"]][code_of[row["node_id"]]] = LeafScore(
            score=row["score"], level=row["level"] or None, veto=row["veto"]
        )
    return scores


def _unit_score(row: UnitRow, top: Decimal | None) -> res.UnitScore:
    reviewed = row.enrollment.state in (S.REVIEWED, S.APPROVED)
    return res.UnitScore(
        unit_id=row.enrollment.unit_id,
        name=row.enrollment.unit.name,
        self_score=row.self_totals.total,
        review_score=row.review_totals.total if reviewed else None,
        veto=row.review_totals.veto or bool(row.veto_inputs),
        max_points=top,
        level_counts=row.review_totals.level_counts if reviewed else {},
    )


def _compute(campaign: Campaign, rows: list[UnitRow], top: Decimal | None, enrolled: int) -> None:
    """The pure results code over the rows, with the campaign's settings; sets `row.result`."""
    qualitative = campaign.indicator_version.system.scoring == "qualitative" or top is None
    computed = res.compute_results(
        [_unit_score(row, top) for row in rows],
        weights={k: Decimal(str(v)) for k, v in campaign.composite_weights.items()},
        bands=[res.Band(b["label"], Decimal(str(b["min_ratio"]))) for b in campaign.grade_bands],
        veto_blocks=[b for b in campaign.veto_blocks if b != "advanced"],
        quota_ratio=campaign.honours_quota,
        qualitative=qualitative,
        enrolled=enrolled,
        eligible_grades=("优秀",),
    )
    by_unit = {r.unit_id: r for r in computed}
    for row in rows:
        result = by_unit[row.enrollment.unit_id]
        if result.veto and "advanced" in campaign.veto_blocks:
            result.advanced = False
        row.result = result


def campaign_rows(campaign: Campaign) -> tuple[list[UnitRow], Decimal | None]:
    """Every enrolled unit's self and review totals and its result as it would be approved now,
    in a fixed number of queries whatever the number of units."""
    roots = nodes_of(campaign.indicator_version)
    code_of = {node.pk: node.code for node, _d in walk(roots) if node.pk is not None}
    enrollments = list(
        Enrollment.objects.filter(campaign=campaign)
        .select_related("unit")
        .order_by("unit__sort_order", "pk")
    )
    fields = ("enrollment_id", "node_id", "score", "level", "veto")
    own = _leaf_scores(
        list(SelfScore.objects.filter(enrollment__campaign=campaign).values(*fields)), code_of
    )
    reviewed = _leaf_scores(
        list(ConsolidatedScore.objects.filter(enrollment__campaign=campaign).values(*fields)),
        code_of,
    )
    vetoes: dict[int, list[str]] = defaultdict(list)
    for enrollment_id, source in VetoInput.objects.filter(
        enrollment__campaign=campaign, vetoed=True
    ).values_list("enrollment_id", "source"):
        vetoes[enrollment_id].append(source)
    rows = [
        UnitRow(
            enrollment=e,
            self_totals=totals_for(roots, own.get(e.pk, {})),
            review_totals=totals_for(roots, reviewed.get(e.pk, {})),
            veto_inputs=vetoes.get(e.pk, []),
        )
        for e in enrollments
    ]
    top = max_points(roots)
    _compute(campaign, rows, top, enrolled=len(rows))
    return rows, top


def row_from_totals(enrollment: Enrollment, t: UnitTotals, vetoes: list[str]) -> UnitRow:
    """A unit's row as `campaign_rows` gives it, from its stored figures (`UnitTotals`)."""
    return UnitRow(
        enrollment=enrollment,
        self_totals=Totals(
            total=t.self_total, level_counts=t.self_level_counts, complete=t.self_complete
        ),
        review_totals=Totals(
            total=t.review_total,
            type_scores=t.type_scores,
            level_counts=t.level_counts,
            complete=t.review_complete,
        ),
        veto_inputs=vetoes,
        result=res.Result(
            unit_id=enrollment.unit_id,
            name=enrollment.unit.name,
            score=t.composite,
            grade=t.grade,
            rank=t.rank,
            veto=t.veto,
            advanced=t.advanced,
        ),
    )


def stored_rows(campaign: Campaign) -> tuple[list[UnitRow], Decimal | None] | None:
    """`campaign_rows` read from the precomputed `UnitTotals` (issue 7) instead of rolling
    every unit up: the same figures when every enrolled unit has its row, in a fixed number of
    queries; None when some unit has none yet (rows written around the services before a
    `recompute_results`), so the caller falls back to `campaign_rows`."""
    enrollments = list(
        Enrollment.objects.filter(campaign=campaign)
        .select_related("unit", "totals")
        .order_by("unit__sort_order", "pk")
    )
    vetoes: dict[int, list[str]] = defaultdict(list)
    for enrollment_id, source in VetoInput.objects.filter(
        enrollment__campaign=campaign, vetoed=True
    ).values_list("enrollment_id", "source"):
        vetoes[enrollment_id].append(source)
    rows = []
    for e in enrollments:
        t = getattr(e, "totals", None)
        if t is None:
            return None
        rows.append(row_from_totals(e, t, vetoes.get(e.pk, [])))
    return rows, max_points(nodes_of(campaign.indicator_version))


def approval_figures(campaign: Campaign) -> tuple[list[UnitRow], Decimal | None]:
    """Every unit's figures as approval freezes them: recomputed set-wise from the leaf scores
    (`recompute.campaign_recompute`, the same pure results code as `campaign_rows`, which the
    tests hold equal) and read back from the stored figures. Seconds at 20,000 units, where
    rolling each unit up through `campaign_rows` takes half a minute and a gigabyte."""
    campaign_recompute(campaign=campaign)
    rows = stored_rows(campaign)
    assert rows is not None  # every enrolled unit has just been written
    return rows


def unit_row_with(enrollment: Enrollment, replace: Mapping[int, LeafScore]) -> UnitRow:
    """One unit's totals and result as approval computes them, with the consolidated scores of
    some leaves (`replace`, by node id) replaced, e.g. by a re-review (复核). The same pure code
    as `campaign_rows`, for this unit alone: its grade and score are meaningful, its rank and
    advanced flag are not (they need the whole field)."""
    campaign = enrollment.campaign
    roots = nodes_of(campaign.indicator_version)
    code_of = {node.pk: node.code for node, _d in walk(roots) if node.pk is not None}
    fields = ("enrollment_id", "node_id", "score", "level", "veto")
    own = _leaf_scores(
        list(SelfScore.objects.filter(enrollment=enrollment).values(*fields)), code_of
    )
    reviewed = _leaf_scores(
        list(ConsolidatedScore.objects.filter(enrollment=enrollment).values(*fields)), code_of
    ).get(enrollment.pk, {})
    reviewed = {**reviewed, **{code_of[pk]: score for pk, score in replace.items()}}
    row = UnitRow(
        enrollment=enrollment,
        self_totals=totals_for(roots, own.get(enrollment.pk, {})),
        review_totals=totals_for(roots, reviewed),
        veto_inputs=list(
            VetoInput.objects.filter(enrollment=enrollment, vetoed=True).values_list(
                "source", flat=True
            )
        ),
    )
    _compute(campaign, [row], max_points(roots), enrolled=1)
    return row


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
BATCH = 500


def _result_values(row: UnitRow) -> dict[str, Any]:
    result = row.result
    assert result is not None
    return {
        "self_total": row.self_totals.total,
        "review_total": row.review_totals.total,
        "composite": result.score,
        "type_scores": row.review_totals.type_scores,
        "level_counts": row.review_totals.level_counts,
        "grade": result.grade,
        "rank": result.rank,
        "veto": result.veto,
        "advanced": result.advanced,
    }


def _shown(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if k not in ("type_scores", "level_counts")}


def _check_all_reviewed(campaign: Campaign) -> None:
    """Refuses approval while some unit is not reviewed, naming the first five."""
    pending = Enrollment.objects.filter(campaign=campaign).exclude(
        state__in=(S.REVIEWED, S.APPROVED)
    )
    waiting = pending.count()
    if waiting:
        names = list(
            pending.order_by("unit__sort_order", "pk").values_list("unit__name", flat=True)[:5]
        )
        raise ValidationError(
            _("还有 %(n)d 个单位未完成评审：%(u)s。")
            % {"n": waiting, "u": "、".join(names) + ("……" if waiting > 5 else "")}
        )


@transaction.atomic
def campaign_approve(
    *, campaign: Campaign, actor: Actor, today: datetime.date | None = None
) -> list[UnitResult]:
    """Approve every reviewed unit: write its frozen result. All units must be reviewed (or
    already approved) so that ranks and the honours quota are computed over the whole field.

    Set-wise, so that a province's 20,000 units approve in seconds rather than minutes: the
    figures recomputed in one pass (`approval_figures`), the results inserted and updated in
    batches, the reviewed enrollments moved to APPROVED by one guarded UPDATE, and for each
    unit the same two audit entries as one-by-one approval wrote (`enrollment.approve` and
    `approval.result` with before and after), appended to the chain in order in one go.

    In the same transaction, the newly frozen results are announced (`events.results_approved`);
    rectification receives them: a unit graded in `campaign.rectify_grades` gets its problem
    list and a waiting re-review; `today` dates the items' deadlines."""
    _check_admin(actor, campaign)
    _check_all_reviewed(campaign)
    rows, _top = approval_figures(campaign)
    existing = {
        r.enrollment_id: r for r in UnitResult.objects.filter(enrollment__campaign=campaign)
    }
    now = timezone.now()
    written: list[UnitResult] = []
    fresh: list[tuple[UnitResult, dict[str, str] | None, bool]] = []  # result, before, moved
    new: list[UnitResult] = []
    changed: list[UnitResult] = []
    frozen = {"frozen": True, "approved_at": now, "approved_by": actor.user}
    for row in rows:
        values = _result_values(row)
        record = existing.get(row.enrollment.pk)
        if record is not None and record.frozen:
            written.append(record)
            continue
        before = (
            {k: str(getattr(record, k)) for k in ("composite", "grade", "rank", "advanced")}
            if record is not None
            else None
        )
        if record is None:
            record = UnitResult(enrollment=row.enrollment, campaign=campaign, **values, **frozen)
            new.append(record)
        else:
            for name, value in {**values, **frozen}.items():
                setattr(record, name, value)
            changed.append(record)
        written.append(record)
        fresh.append((record, before, row.enrollment.state == S.REVIEWED))
    for start in range(0, len(new), BATCH):
        UnitResult.objects.bulk_create(new[start : start + BATCH])
    UnitResult.objects.bulk_update(
        changed, [*RESULT_FIELDS, "frozen", "approved_at", "approved_by"], batch_size=BATCH
    )
    moving = sum(1 for _r, _b, moved in fresh if moved)
    if moving:
        # REVIEWED and APPROVED count alike in the stored figures: nothing to refresh.
        updated = Enrollment.objects.filter(campaign=campaign, state=S.REVIEWED).update(
            state=S.APPROVED, version=F("version") + 1
        )
        if updated != moving:
            raise ValidationError(_("状态已被他人更改，请刷新后重试。"))
    audit_record_many(entries=_approval_entries(fresh, actor))
    result_summary_rebuild(campaign=campaign)  # the dashboard's campaign-wide figures
    problems = events.count_made(
        events.results_approved.send(
            sender=UnitResult, campaign=campaign, results=[r for r, _b, _m in fresh], today=today
        )
    )
    audit_record(
        action="approval.campaign",
        actor=actor.user,
        target=campaign,
        extra={"units": len(written), "problems": problems},
    )
    return written


def _approval_entries(
    fresh: list[tuple[UnitResult, dict[str, str] | None, bool]], actor: Actor
) -> Iterator[dict[str, Any]]:
    """Per unit, what `enrollment_transition` and the result's write audit one by one."""
    for record, before, moved in fresh:
        if moved:
            yield {
                "action": "enrollment.approve",
                "actor": actor.user,
                "object_type": Enrollment._meta.label_lower,
                "object_id": record.enrollment_id,
                "before": {"state": S.REVIEWED.value},
                "after": {"state": S.APPROVED.value},
            }
        yield {
            "action": "approval.result",
            "actor": actor.user,
            "target": record,
            "before": before,
            "after": _shown({k: getattr(record, k) for k in RESULT_FIELDS}),
        }


@transaction.atomic
def result_reopen(*, enrollment: Enrollment, reason: str, actor: Actor) -> Enrollment:
    """Unfreeze one approved result so it can be changed; the reason is audited."""
    _check_admin(actor, enrollment.campaign)
    enrollment = enrollment_transition(
        enrollment=enrollment, to=S.REVIEWED, actor=actor, reason=reason
    )
    UnitResult.objects.filter(enrollment=enrollment).update(frozen=False)
    return enrollment


@transaction.atomic
def campaign_publish(*, campaign: Campaign, actor: Actor, ranking: bool = False) -> Campaign:
    """Each unit then sees its own final score, grade, per-type scores and rank band; the full
    ranking only when `ranking`."""
    _check_admin(actor, campaign)
    if Enrollment.objects.filter(campaign=campaign).exclude(state=S.APPROVED).exists():
        raise ValidationError(_("还有单位的结果未审定，不能公布。"))
    before = {
        "results_published": campaign.results_published,
        "ranking_published": campaign.ranking_published,
    }
    campaign.results_published = True
    campaign.ranking_published = ranking
    campaign.save(update_fields=["results_published", "ranking_published"])
    audit_record(
        action="approval.publish",
        actor=actor.user,
        target=campaign,
        before=before,
        after={"results_published": True, "ranking_published": ranking},
        extra={"ranking": ranking},
    )
    return campaign


def rank_band(rank: int | None, enrolled: int) -> str:
    """What a unit sees of its rank before the ranking is published: its quarter of the field."""
    if rank is None or enrolled == 0:
        return ""
    share = Decimal(rank) / Decimal(enrolled)
    if share <= Decimal("0.25"):
        return _("前 25%")
    if share <= Decimal("0.5"):
        return _("前 50%")
    if share <= Decimal("0.75"):
        return _("后 50%")
    return _("后 25%")
