"""The committee's campaign dashboard and a unit's own view: who may see them, and the figures
behind their charts and tables.

Pure helpers over plain data come first (progress counts, days to each deadline, the score
histogram, the mean score per indicator type, grade counts, the weakest indicators); the
database reads after them each take an `Actor` and run a fixed number of queries whatever the
number of units (GROUP BY / aggregate, or one `values()` read for what has to be parsed in
Python, like the per-type scores stored as JSON).

Visibility (mirrors the campaign, score-sheet and re-review pages):

- the dashboard is for the committee staff (admin, leader) of the campaign's committee only;
- the unit view is for the unit's own admin and leader, and for that committee's staff;
- a unit sees its own scores, grade and rank, and aggregates such as the campaign mean per type,
  only once the campaign's results are published; its rank itself only once the ranking is
  published (before that its quarter of the field, as on its campaign page); its earlier years
  only from published campaigns. Its own open problem items it always sees.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.campaigns.selectors import taking_part
from mofan.evaluations import selectors as scope
from mofan.evaluations.approval import rank_band
from mofan.evaluations.figures.summary import (
    HISTOGRAM_BINS,
    QUALITATIVE_TOP,
    as_decimal,
    bin_index,
    campaign_tally,
    histogram_top,
    tally_of,
)
from mofan.evaluations.figures.summary import Tally as ResultTally
from mofan.evaluations.models import ConsolidatedScore, UnitResult
from mofan.indicators.selectors import nodes_of
from mofan.rectification.models import OPEN_STATES, ProblemItem
from mofan.rectification.selectors import overdue_q, problem_items_for, state_counts

__all__ = ["HISTOGRAM_BINS", "QUALITATIVE_TOP", "as_decimal", "bin_index"]  # shared, re-exported

CENT = Decimal("0.01")
PAGE_SIZE = 50
WEAKEST = 5
UNIT_ITEMS_SHOWN = 20


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 30.00 → "30", 3.750 → "3.75"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# --- pure helpers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    count: int


def progress_counts(rows: Iterable[tuple[str, int]]) -> list[Tally]:
    """Units per enrollment state, every state of the workflow in order (0 where none); 未完成
    (units left when the committee closed the approval) and 已退出 (units withdrawn before they
    submitted) only when there are some."""
    counts: dict[str, int] = {}
    for state, n in rows:
        counts[state] = counts.get(state, 0) + n
    return [
        Tally(s.value, str(s.label), counts.get(s.value, 0))
        for s in EnrollmentState
        if s not in OPTIONAL_STATES or counts.get(s.value)
    ]


# States shown only when some unit is in them.
OPTIONAL_STATES = (EnrollmentState.INCOMPLETE, EnrollmentState.WITHDRAWN)


@dataclass(frozen=True)
class Deadline:
    name: str
    date: datetime.date | None
    days: int | None  # days from today; negative once passed; None without a date

    @property
    def passed(self) -> bool:
        return self.days is not None and self.days < 0

    @property
    def days_passed(self) -> int:
        return -self.days if self.days is not None and self.days < 0 else 0


def days_to(
    deadlines: Iterable[tuple[str, datetime.date | None]], today: datetime.date
) -> list[Deadline]:
    return [Deadline(name, day, (day - today).days if day else None) for name, day in deadlines]


@dataclass(frozen=True)
class Bin:
    low: Decimal
    high: Decimal
    count: int
    closed: bool  # the last bin includes its upper edge

    @property
    def label(self) -> str:
        return f"{plain(self.low)}–{plain(self.high)}"


def histogram(values: Iterable[Decimal], *, top: Decimal, bins: int = HISTOGRAM_BINS) -> list[Bin]:
    """How many values fall into each of `bins` equal bins over [0, top] (counted by the same
    `Tally` as the stored summary)."""
    return tally_histogram(tally_of(((v, "", None) for v in values), top=top, bins=bins))


@dataclass(frozen=True)
class TypeMean:
    code: str
    title: str
    points: Decimal | None
    mean: Decimal | None  # None when no unit has a numeric score for the type
    units: int  # how many units the mean is over


def mean_per_type(
    score_maps: Iterable[Mapping[str, Any]], types: Sequence[tuple[str, str, Decimal | None]]
) -> list[TypeMean]:
    """The mean score of each indicator type (top-level node) over the units' results, rounded
    half up to 0.01. `score_maps` are `UnitResult.type_scores` (code → score as text; a level
    for a qualitative type, which does not count); `types` are (code, title, points)."""
    tally = tally_of(((None, "", scores) for scores in score_maps), top=QUALITATIVE_TOP)
    return type_means(tally.type_sums, tally.type_counts, types)


def type_means(
    sums: Mapping[str, Decimal],
    counts: Mapping[str, int],
    types: Sequence[tuple[str, str, Decimal | None]],
) -> list[TypeMean]:
    """Each type's mean from the sum and count of its numeric scores (as stored per campaign
    in `ResultSummary`)."""
    return [
        TypeMean(
            code=code,
            title=title,
            points=points,
            mean=_q(sums[code] / counts[code]) if counts.get(code) else None,
            units=counts.get(code, 0),
        )
        for code, title, points in types
    ]


def tally_histogram(tally: ResultTally) -> list[Bin]:
    """The stored bin counts as bins over [0, top]."""
    top, bins = tally.top, tally.bins_count
    return [
        Bin(
            low=top * k / bins, high=top * (k + 1) / bins, count=tally.bins[k], closed=k == bins - 1
        )
        for k in range(bins)
    ]


def grade_counts(rows: Iterable[tuple[str, int]], bands: Sequence[str]) -> list[Tally]:
    """Units per grade: the campaign's bands best first (0 where none), then any other grade
    found, then the ungraded."""
    counts: dict[str, int] = {}
    for grade, n in rows:
        counts[grade or ""] = counts.get(grade or "", 0) + n
    ordered = [Tally(label, label, counts.pop(label, 0)) for label in bands]
    ungraded = counts.pop("", 0)
    ordered += [Tally(label, label, counts[label]) for label in sorted(counts)]
    if ungraded:
        ordered.append(Tally("", _("未定等次"), ungraded))
    return ordered


@dataclass(frozen=True)
class Leaf:
    code: str
    title: str
    score: Decimal
    points: Decimal
    order: int

    @property
    def ratio(self) -> Decimal:
        return self.score / self.points

    @property
    def percent(self) -> Decimal:
        return _q(self.ratio * 100)


def weakest(leaves: Iterable[Leaf], limit: int = WEAKEST) -> list[Leaf]:
    """The leaves with the lowest final score ratio (score / points), lowest first; ties in
    indicator order. Leaves without points (veto, bonus) never count."""
    scored = [leaf for leaf in leaves if leaf.points > 0]
    return sorted(scored, key=lambda leaf: (leaf.ratio, leaf.order, leaf.code))[:limit]


# --- who sees what ----------------------------------------------------------------------------


def dashboard_campaigns(actor: Actor) -> QuerySet[Campaign]:
    """Campaigns whose dashboard the actor may open: its own committee's, as staff."""
    return scope.campaigns_for(actor).filter(
        committee_id__in=actor.committees_with(*COMMITTEE_STAFF)
    )


def unit_view_enrollments(actor: Actor) -> QuerySet[Enrollment]:
    """Enrollments whose unit view the actor may open: its own unit's (admin, leader) and every
    one of its committee's campaigns (staff). Reviewers and members: none."""
    return scope.enrollments_for(actor).filter(
        Q(unit_id__in=actor.units_with(*UNIT_READERS))
        | Q(campaign__committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
    )


def sees_everything(actor: Actor, campaign: Campaign) -> bool:
    return rules.is_staff_of(actor, campaign.committee_id)


def sees_scores(actor: Actor, campaign: Campaign) -> bool:
    """Scores, grades and aggregates: the committee's staff always, a unit once published."""
    return sees_everything(actor, campaign) or campaign.results_published


# --- the committee dashboard ------------------------------------------------------------------


@dataclass
class Figures:
    """Everything the dashboard's charts and summary tables show."""

    campaign: Campaign
    today: datetime.date
    progress: list[Tally]
    deadlines: list[Deadline]
    histogram: list[Bin]
    top: Decimal
    grades: list[Tally]
    type_means: list[TypeMean]
    items: list[Tally]
    items_total: int
    items_open: int
    items_overdue: int
    results: int
    mean_composite: Decimal | None

    @property
    def enrolled(self) -> int:
        """The units taking part: a withdrawn unit (已退出) left before it ever submitted, so it
        did not take part ("共有N个单位参加" does not count it); it is shown as its own state."""
        return sum(c.count for c in self.progress if c.key != EnrollmentState.WITHDRAWN)

    @property
    def withdrawn(self) -> int:
        return sum(c.count for c in self.progress if c.key == EnrollmentState.WITHDRAWN)

    @property
    def approved(self) -> int:
        return sum(c.count for c in self.progress if c.key == EnrollmentState.APPROVED)

    @property
    def submitted(self) -> int:
        """Units that have handed in their self-evaluation (and may be further along)."""
        return sum(
            c.count
            for c in self.progress
            if c.key
            not in (
                EnrollmentState.NOT_STARTED,
                EnrollmentState.IN_PROGRESS,
                EnrollmentState.WITHDRAWN,
            )
        )


def _types(roots: Sequence[Any]) -> list[tuple[str, str, Decimal | None]]:
    return [(root.code, root.title, root.points) for root in roots]


def _top(campaign: Campaign, roots: Sequence[Any]) -> Decimal:
    return histogram_top(campaign.indicator_version.system.scoring, roots)


def campaign_figures(campaign: Campaign, actor: Actor, *, today: datetime.date) -> Figures:
    """The dashboard's aggregates in five queries, whatever the number of units: the results'
    figures are the campaign's stored `ResultSummary` (computed from the results only while a
    campaign has none yet). `campaign` must come from `dashboard_campaigns(actor)` (so the
    actor is its committee's staff, who see all its enrollments and items) with
    `indicator_version__system` joined."""
    progress = progress_counts(
        (row["state"], row["n"])
        for row in Enrollment.objects.filter(campaign=campaign)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    deadlines = [(p.name, p.ends_on) for p in campaign.phases.order_by("order", "pk")]
    if campaign.submission_deadline:
        deadlines.append((_("自评提交截止"), timezone.localdate(campaign.submission_deadline)))
    roots = nodes_of(campaign.indicator_version)
    tally = campaign_tally(campaign, top=_top(campaign, roots))
    items = problem_items_for(actor).filter(campaign=campaign)
    counted = state_counts(items, today=today)
    return Figures(
        campaign=campaign,
        today=today,
        progress=progress,
        deadlines=days_to(deadlines, today),
        histogram=tally_histogram(tally),
        top=tally.top,
        grades=grade_counts(tally.grades.items(), [b["label"] for b in campaign.grade_bands]),
        type_means=type_means(tally.type_sums, tally.type_counts, _types(roots)),
        items=[Tally(key, str(label), n) for key, label, n in counted["by_state"]],
        items_total=counted["total"],
        items_open=counted["unclosed"],
        items_overdue=counted["overdue"],
        results=tally.results,
        mean_composite=_q(tally.composite_sum / tally.composites) if tally.composites else None,
    )


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def figures_json(figures: Figures) -> dict[str, Any]:
    """The charts' datasets: labels and values, and whether there is anything to draw."""
    dated = [d for d in figures.deadlines if d.days is not None]
    means = [t for t in figures.type_means if t.mean is not None]
    return {
        "progress": {
            "empty": figures.enrolled == 0,
            "labels": [c.label for c in figures.progress],
            "keys": [c.key for c in figures.progress],
            "values": [c.count for c in figures.progress],
        },
        "deadlines": {
            "empty": not dated,
            "labels": [d.name for d in dated],
            "dates": [d.date.isoformat() for d in dated if d.date],
            "values": [d.days for d in dated],
            "today": figures.today.isoformat(),
        },
        "histogram": {
            "empty": figures.results == 0,
            "labels": [b.label for b in figures.histogram],
            "values": [b.count for b in figures.histogram],
            "top": float(figures.top),
        },
        "grades": {
            "empty": figures.results == 0,
            "labels": [c.label for c in figures.grades],
            "values": [c.count for c in figures.grades],
        },
        "type_means": {
            "empty": not means,
            "labels": [f"{t.code} {t.title}" for t in means],
            "values": [_number(t.mean) for t in means],
            "max": [_number(t.points) for t in means],
        },
        "items": {
            "empty": figures.items_total == 0,
            "labels": [c.label for c in figures.items],
            "keys": [c.key for c in figures.items],
            "values": [c.count for c in figures.items],
            "overdue": figures.items_overdue,
        },
    }


# --- the unit view ----------------------------------------------------------------------------


@dataclass
class YearResult:
    year: int
    campaign: str
    composite: Decimal | None
    grade: str
    current: bool
    type_scores: dict[str, Any] = field(default_factory=dict)


@dataclass
class TypeRow:
    code: str
    title: str
    points: Decimal | None
    score: Any  # Decimal, a level (定性) or None
    mean: Decimal | None


@dataclass
class UnitFigures:
    enrollment: Enrollment
    show_scores: bool
    show_rank: bool
    result: UnitResult | None
    rank_band: str
    types: list[TypeRow]
    years: list[YearResult]
    weakest: list[Leaf]
    items: list[ProblemItem]
    items_open: int
    items_overdue: int
    today: datetime.date

    @property
    def has_result(self) -> bool:
        return self.show_scores and self.result is not None


def _score(raw: Any) -> Any:
    """A type score as stored: a number, or a level (定性) as text, or None."""
    value = as_decimal(raw)
    return value if value is not None else (raw or None)


def unit_figures(enrollment: Enrollment, actor: Actor, *, today: datetime.date) -> UnitFigures:
    """One unit in one campaign, as the actor may see it, in at most eight queries (the field's
    means from the campaign's stored `ResultSummary`, not from every unit). `enrollment`
    must come from `unit_view_enrollments(actor)` with `campaign__indicator_version__system`
    and `unit` joined."""
    campaign = enrollment.campaign
    show = sees_scores(actor, campaign)
    result = UnitResult.objects.filter(enrollment=enrollment).first() if show else None
    types: list[TypeRow] = []
    weak: list[Leaf] = []
    band = ""
    if show:
        roots = [
            (n.code, n.title, n.points)
            for n in campaign.indicator_version.nodes.filter(parent__isnull=True).order_by(
                "order", "pk"
            )
        ]
        field = campaign_tally(campaign, top=None)  # stored: the means need no bins
        means = {m.code: m.mean for m in type_means(field.type_sums, field.type_counts, roots)}
        own = result.type_scores if result else {}
        types = [
            TypeRow(
                code=code,
                title=title,
                points=points,
                score=_score(own.get(code)),
                mean=means.get(code),
            )
            for code, title, points in roots
        ]
        if result is not None:
            # As on the unit's campaign page: its quarter of the units taking part.
            band = rank_band(result.rank, taking_part(campaign).count())
            weak = weakest(_final_leaves(enrollment))
    years = _years(enrollment, actor, result)
    items = problem_items_for(actor).filter(unit_id=enrollment.unit_id)
    counts = items.aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=overdue_q(today)),
    )
    shown = list(
        items.filter(state__in=OPEN_STATES)
        .select_related("campaign", "node")
        .order_by("deadline", "pk")[:UNIT_ITEMS_SHOWN]
    )
    for item in shown:
        item.is_overdue = item.deadline < today  # type: ignore[attr-defined]
    return UnitFigures(
        enrollment=enrollment,
        show_scores=show,
        show_rank=sees_everything(actor, campaign) or campaign.ranking_published,
        result=result,
        rank_band=band,
        types=types,
        years=years,
        weakest=weak,
        items=shown,
        items_open=counts["open"],
        items_overdue=counts["overdue"],
        today=today,
    )


def _final_leaves(enrollment: Enrollment) -> list[Leaf]:
    """The unit's leaves with a final (consolidated) score and points, in one query."""
    leaves = []
    for code, title, points, order, score in ConsolidatedScore.objects.filter(
        enrollment=enrollment, score__isnull=False, node__points__isnull=False
    ).values_list("node__code", "node__title", "node__points", "node__order", "score"):
        if score is not None and points is not None:
            leaves.append(Leaf(code=code, title=title, score=score, points=points, order=order))
    return leaves


def _years(enrollment: Enrollment, actor: Actor, current: UnitResult | None) -> list[YearResult]:
    """The unit's results in the committee's earlier campaigns (published ones only, unless the
    actor is the committee's staff), oldest first, then this campaign's if shown."""
    campaign = enrollment.campaign
    # The unit's own enrollments first, so the scope's subquery reads a handful of rows
    # (by the unit index) rather than every enrollment of the committee.
    own = scope.enrollments_for(actor).filter(unit_id=enrollment.unit_id)
    earlier = UnitResult.objects.filter(
        enrollment__in=own.values("pk"),
        enrollment__unit_id=enrollment.unit_id,
        enrollment__campaign__committee_id=campaign.committee_id,
    ).filter(
        Q(enrollment__campaign__year__lt=campaign.year)
        | Q(enrollment__campaign__year=campaign.year, enrollment__campaign_id__lt=campaign.pk)
    )
    if not sees_everything(actor, campaign):
        earlier = earlier.filter(enrollment__campaign__results_published=True)
    years = [
        YearResult(
            year=row["enrollment__campaign__year"],
            campaign=row["enrollment__campaign__name"],
            composite=row["composite"],
            grade=row["grade"],
            current=False,
            type_scores=row["type_scores"] or {},
        )
        for row in earlier.order_by("enrollment__campaign__year", "enrollment__campaign_id").values(
            "enrollment__campaign__year",
            "enrollment__campaign__name",
            "composite",
            "grade",
            "type_scores",
        )
    ]
    if current is not None:
        years.append(
            YearResult(
                year=campaign.year,
                campaign=campaign.name,
                composite=current.composite,
                grade=current.grade,
                current=True,
                type_scores=current.type_scores or {},
            )
        )
    return years


def unit_json(figures: UnitFigures) -> dict[str, Any]:
    """The unit view's datasets. Nothing of the scores leaves the server unless they may be
    shown (`show_scores`)."""
    radar = [t for t in figures.types if isinstance(t.score, Decimal) and t.points]
    return {
        "radar": {
            "empty": not figures.has_result or not radar,
            "indicators": [{"name": f"{t.code} {t.title}", "max": _number(t.points)} for t in radar]
            if figures.has_result
            else [],
            "unit": [_number(t.score) for t in radar] if figures.has_result else [],
            "mean": [_number(t.mean) for t in radar] if figures.has_result else [],
            "unit_label": _("本单位"),
            "mean_label": _("全体参评单位平均"),
        },
        "years": {
            "empty": not any(y.composite is not None for y in figures.years),
            "labels": [str(y.year) for y in figures.years],
            "values": [_number(y.composite) for y in figures.years],
            "grades": [y.grade for y in figures.years],
        },
        "weakest": {
            "empty": not figures.weakest,
            "labels": [f"{leaf.code} {leaf.title}" for leaf in figures.weakest],
            "values": [float(leaf.percent) for leaf in figures.weakest],
        },
    }
