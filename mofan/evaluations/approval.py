"""Committee approval (综合审定): veto inputs, results for every unit, freezing, reopening with
a reason, and publishing."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations import results as res
from mofan.evaluations.aggregates import unit_refresh
from mofan.evaluations.models import ConsolidatedScore, SelfScore, UnitResult, VetoInput
from mofan.evaluations.scoring import Totals, max_points, totals_for
from mofan.evaluations.services import enrollment_transition
from mofan.evaluations.summary import result_summary_rebuild
from mofan.indicators.methods import LeafScore
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import walk

S = EnrollmentState


def _check_admin(actor: Actor, campaign: Campaign) -> None:
    if campaign.committee_id not in actor.committees_with(Role.COMMITTEE_ADMIN):
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
        rows.append(
            UnitRow(
                enrollment=e,
                self_totals=Totals(
                    total=t.self_total,
                    level_counts=t.self_level_counts,
                    complete=t.self_complete,
                ),
                review_totals=Totals(
                    total=t.review_total,
                    type_scores=t.type_scores,
                    level_counts=t.level_counts,
                    complete=t.review_complete,
                ),
                veto_inputs=vetoes.get(e.pk, []),
                result=res.Result(
                    unit_id=e.unit_id,
                    name=e.unit.name,
                    score=t.composite,
                    grade=t.grade,
                    rank=t.rank,
                    veto=t.veto,
                    advanced=t.advanced,
                ),
            )
        )
    return rows, max_points(nodes_of(campaign.indicator_version))


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


@transaction.atomic
def campaign_approve(
    *, campaign: Campaign, actor: Actor, today: datetime.date | None = None
) -> list[UnitResult]:
    """Approve every reviewed unit: write its frozen result. All units must be reviewed (or
    already approved) so that ranks and the honours quota are computed over the whole field.

    In the same transaction, every newly frozen result goes to the rectification hook
    (`rectification.auto.results_approved`): a unit graded in `campaign.rectify_grades` gets its
    problem list and a waiting re-review; `today` dates the items' deadlines."""
    from mofan.rectification.auto import results_approved  # rectification builds on this app

    _check_admin(actor, campaign)
    rows, _top = campaign_rows(campaign)
    waiting = [
        r.enrollment.unit.name for r in rows if r.enrollment.state not in (S.REVIEWED, S.APPROVED)
    ]
    if waiting:
        raise ValidationError(
            _("还有 %(n)d 个单位未完成评审：%(u)s。")
            % {"n": len(waiting), "u": "、".join(waiting[:5]) + ("……" if len(waiting) > 5 else "")}
        )
    now = timezone.now()
    written = []
    fresh = []
    for row in rows:
        result = row.result
        assert result is not None
        existing = UnitResult.objects.filter(enrollment=row.enrollment).first()
        values = {
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
        if existing is not None and existing.frozen:
            written.append(existing)
            continue
        before = (
            {k: str(getattr(existing, k)) for k in ("composite", "grade", "rank", "advanced")}
            if existing
            else None
        )
        record, _c = UnitResult.objects.update_or_create(
            enrollment=row.enrollment,
            defaults={
                **values,
                "campaign": campaign,
                "frozen": True,
                "approved_at": now,
                "approved_by": actor.user,
            },
        )
        written.append(record)
        fresh.append(record)
        if row.enrollment.state == S.REVIEWED:
            enrollment_transition(enrollment=row.enrollment, to=S.APPROVED, actor=actor)
        audit_record(
            action="approval.result",
            actor=actor.user,
            target=record,
            before=before,
            after={
                k: str(v) for k, v in values.items() if k not in ("type_scores", "level_counts")
            },
        )
    result_summary_rebuild(campaign=campaign)  # the dashboard's campaign-wide figures
    problems = results_approved(campaign=campaign, results=fresh, today=today)
    audit_record(
        action="approval.campaign",
        actor=actor.user,
        target=campaign,
        extra={"units": len(written), "problems": problems},
    )
    return written


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
