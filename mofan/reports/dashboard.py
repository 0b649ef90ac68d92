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
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations import selectors as scope
from mofan.evaluations.approval import rank_band
from mofan.evaluations.models import ConsolidatedScore, UnitResult
from mofan.evaluations.scoring import max_points
from mofan.indicators.selectors import nodes_of
from mofan.rectification.models import OPEN_STATES, ProblemItem
from mofan.rectification.selectors import overdue_q, problem_items_for, state_counts

STAFF = (Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER)
UNIT_READERS = (Role.UNIT_ADMIN, Role.UNIT_LEADER)
CENT = Decimal("0.01")
HISTOGRAM_BINS = 10
PAGE_SIZE = 50
WEAKEST = 5
UNIT_ITEMS_SHOWN = 20
QUALITATIVE_TOP = Decimal(100)  # qualitative composites are a 0–100 达标 rate (results.py)
STATE_ORDER = [state.value for state in EnrollmentState]


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 30.00 → "30", 3.750 → "3.75"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def as_decimal(raw: Any) -> Decimal | None:
    """A stored score as a finite Decimal; None for levels (定性), blanks and junk."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


# --- pure helpers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    count: int


def progress_counts(rows: Iterable[tuple[str, int]]) -> list[Tally]:
    """Units per enrollment state, every state in workflow order (0 where none)."""
    counts: dict[str, int] = {}
    for state, n in rows:
        counts[state] = counts.get(state, 0) + n
    return [Tally(s.value, str(s.label), counts.get(s.value, 0)) for s in EnrollmentState]


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


def bin_index(value: Decimal, *, top: Decimal, bins: int) -> int:
    """The bin of `value` among `bins` equal bins over [0, top]: [low, high), the last one
    [low, top]; below 0 counts in the first, above `top` (bonus points) in the last. Exact
    (rational arithmetic), so a value on an edge always opens the upper bin."""
    index = math.floor(Fraction(value) * bins / Fraction(top))
    return min(max(index, 0), bins - 1)


def histogram(values: Iterable[Decimal], *, top: Decimal, bins: int = HISTOGRAM_BINS) -> list[Bin]:
    """How many values fall into each of `bins` equal bins over [0, top]."""
    if top <= 0 or bins < 1:
        raise ValueError("histogram needs top > 0 and at least one bin")
    counts = [0] * bins
    for value in values:
        counts[bin_index(value, top=top, bins=bins)] += 1
    return [
        Bin(low=top * k / bins, high=top * (k + 1) / bins, count=counts[k], closed=k == bins - 1)
        for k in range(bins)
    ]


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
    sums: dict[str, Decimal] = {code: Decimal(0) for code, _t, _p in types}
    counts: dict[str, int] = {code: 0 for code, _t, _p in types}
    for scores in score_maps:
        for code in sums:
            value = as_decimal(scores.get(code))
            if value is not None:
                sums[code] += value
                counts[code] += 1
    return [
        TypeMean(
            code=code,
            title=title,
            points=points,
            mean=_q(sums[code] / counts[code]) if counts[code] else None,
            units=counts[code],
        )
        for code, title, points in types
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
    return scope.campaigns_for(actor).filter(committee_id__in=actor.committees_with(*STAFF))


def unit_view_enrollments(actor: Actor) -> QuerySet[Enrollment]:
    """Enrollments whose unit view the actor may open: its own unit's (admin, leader) and every
    one of its committee's campaigns (staff). Reviewers and members: none."""
    return scope.enrollments_for(actor).filter(
        Q(unit_id__in=actor.units_with(*UNIT_READERS))
        | Q(campaign__committee_id__in=actor.committees_with(*STAFF))
    )


def sees_everything(actor: Actor, campaign: Campaign) -> bool:
    return campaign.committee_id in actor.committees_with(*STAFF)


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
        return sum(c.count for c in self.progress)

    @property
    def approved(self) -> int:
        return sum(c.count for c in self.progress if c.key == EnrollmentState.APPROVED)

    @property
    def submitted(self) -> int:
        """Units that have handed in their self-evaluation (and may be further along)."""
        return sum(
            c.count
            for c in self.progress
            if c.key not in (EnrollmentState.NOT_STARTED, EnrollmentState.IN_PROGRESS)
        )


def _types(roots: Sequence[Any]) -> list[tuple[str, str, Decimal | None]]:
    return [(root.code, root.title, root.points) for root in roots]


def _top(campaign: Campaign, roots: Sequence[Any]) -> Decimal:
    if campaign.indicator_version.system.scoring == "qualitative":
        return QUALITATIVE_TOP
    top = max_points(roots)
    return top if top and top > 0 else QUALITATIVE_TOP


def campaign_figures(campaign: Campaign, actor: Actor, *, today: datetime.date) -> Figures:
    """The dashboard's aggregates in five queries, whatever the number of units. `campaign` must
    come from `dashboard_campaigns(actor)` with `indicator_version__system` joined."""
    enrollments = scope.enrollments_for(actor).filter(campaign=campaign)
    progress = progress_counts(
        (row["state"], row["n"])
        for row in Enrollment.objects.filter(pk__in=enrollments.values("pk"))
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    deadlines = [(p.name, p.ends_on) for p in campaign.phases.order_by("order", "pk")]
    if campaign.submission_deadline:
        deadlines.append((_("自评提交截止"), timezone.localdate(campaign.submission_deadline)))
    roots = nodes_of(campaign.indicator_version)
    top = _top(campaign, roots)
    results = list(
        UnitResult.objects.filter(enrollment__in=enrollments.values("pk")).values_list(
            "composite", "grade", "type_scores"
        )
    )
    composites = [c for c, _g, _t in results if c is not None]
    grade_rows: dict[str, int] = {}
    for _c, grade, _t in results:
        grade_rows[grade] = grade_rows.get(grade, 0) + 1
    items = problem_items_for(actor).filter(campaign=campaign)
    counted = state_counts(items, today=today)
    return Figures(
        campaign=campaign,
        today=today,
        progress=progress,
        deadlines=days_to(deadlines, today),
        histogram=histogram(composites, top=top),
        top=top,
        grades=grade_counts(grade_rows.items(), [b["label"] for b in campaign.grade_bands]),
        type_means=mean_per_type((t or {} for _c, _g, t in results), _types(roots)),
        items=[Tally(key, str(label), n) for key, label, n in counted["by_state"]],
        items_total=counted["total"],
        items_open=counted["unclosed"],
        items_overdue=counted["overdue"],
        results=len(results),
        mean_composite=_q(sum(composites, Decimal(0)) / len(composites)) if composites else None,
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


# --- the unit table ---------------------------------------------------------------------------


def _result(name: str) -> F:
    return F(f"result__{name}")


SORT_COLUMNS: dict[str, Any] = {
    "unit": None,  # the committee's own order of its units (then the name)
    "state": F("state_rank"),
    "self": _result("self_total"),
    "review": _result("review_total"),
    "composite": _result("composite"),
    "grade": F("grade_rank"),
    "rank": _result("rank"),
    "open": F("open_items"),
    "overdue": F("overdue_items"),
}
DEFAULT_SORT = "unit"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """`composite` → ("composite", False), `-composite` → ("composite", True); unknown → unit."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in SORT_COLUMNS:
        return DEFAULT_SORT, False
    return key, descending


def _count_of(items: QuerySet[ProblemItem]) -> Coalesce:
    counted = items.order_by().values("unit_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), Value(0), output_field=IntegerField())


def unit_rows(
    campaign: Campaign, actor: Actor, *, sort: str = DEFAULT_SORT, today: datetime.date
) -> QuerySet[Enrollment]:
    """The campaign's units for the dashboard table, each with its result and its open and
    overdue problem items (of this campaign), ordered by any column with a stable tiebreaker
    (the unit's order, then the id); empty values sort last either way. One query per page."""
    if not sees_everything(actor, campaign):
        return Enrollment.objects.none()
    key, descending = parse_sort(sort)
    bands = [b["label"] for b in campaign.grade_bands]
    items = problem_items_for(actor).filter(
        campaign=campaign, unit_id=OuterRef("unit_id"), state__in=OPEN_STATES
    )
    rows = (
        Enrollment.objects.filter(pk__in=scope.enrollments_for(actor).filter(campaign=campaign))
        .select_related("unit", "result")
        .annotate(
            state_rank=Case(
                *(When(state=s, then=Value(i)) for i, s in enumerate(STATE_ORDER)),
                default=Value(len(STATE_ORDER)),
                output_field=IntegerField(),
            ),
            grade_rank=Case(
                *(When(result__grade=label, then=Value(i)) for i, label in enumerate(bands)),
                When(result__grade__gt="", then=Value(len(bands))),
                default=Value(None),
                output_field=IntegerField(),
            ),
            open_items=_count_of(items),
            overdue_items=_count_of(items.filter(overdue_q(today))),
        )
    )
    tiebreak = ("unit__sort_order", "unit__name", "pk")
    column = SORT_COLUMNS[key]
    if column is None:
        order = [f"-{f}" if descending else f for f in tiebreak]
    else:
        first = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
        order = [first, *tiebreak]
    return rows.order_by(*order)


def unit_sort_choices() -> list[tuple[str, str]]:
    return [
        ("unit", _("单位")),
        ("state", _("状态")),
        ("self", _("自评得分")),
        ("review", _("评审得分")),
        ("composite", _("综合得分")),
        ("grade", _("等次")),
        ("rank", _("名次")),
        ("open", _("未销号问题")),
        ("overdue", _("逾期问题")),
    ]


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
    """One unit in one campaign, as the actor may see it, in at most eight queries. `enrollment`
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
        field_results = UnitResult.objects.filter(enrollment__campaign=campaign)
        scores = list(field_results.values_list("type_scores", flat=True))
        means = {m.code: m.mean for m in mean_per_type((s or {} for s in scores), roots)}
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
            # As on the unit's campaign page: its quarter of all enrolled units.
            band = rank_band(result.rank, campaign.enrollments.count())
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
    earlier = UnitResult.objects.filter(
        enrollment__in=scope.enrollments_for(actor).values("pk"),
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
