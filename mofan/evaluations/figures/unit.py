"""Precomputed figures (issue 7): every enrolled unit's totals, per-node totals, composite,
grade and provisional rank, stored in `UnitTotals` so that pages never roll the tree up per view.

Two ways in, one pure core
--------------------------
* `unit_refresh(enrollment=...)` — incremental: called inside the transaction of every write
  that changes one unit's figures (a self score, the consolidated scores, a veto input, the
  enrollment entering or leaving the reviewed states). It reads that unit's rows only and
  rewrites its one `UnitTotals` row; its query count does not depend on the number of units.
* `campaign_recompute(campaign=...)` — full, in `evaluations.figures.setwise`: reads the campaign's
  leaf scores in one ordered stream per kind, computes every unit with the same pure code, and
  rewrites the campaign's rows in one transaction (`manage.py recompute_results`).

Both compute with the very functions approval uses (`indicators.rollup`,
`evaluations.results`): `unit_figures` (pure over plain data) for one unit, a flattened
equivalent of the roll-up (`Compiled`) for the whole field, and the ranking of `results.rank`
(in Python for the full recompute, as a window function for the incremental re-rank). Tests
hold them equal to each other for the same data.

Ranks: chosen eagerly, set-based, in the database. A unit's grade depends on its own score only;
its rank and its "advanced" flag depend on the whole field. When an incremental refresh changes a
unit's composite, grade or veto, `ranks_refresh` re-ranks the campaign with one UPDATE using a
window function (RANK() OVER (ORDER BY composite DESC), SQLite ≥ 3.33 and PostgreSQL) that writes
only the ranks that moved, then picks the honours among the few candidates graded 优秀.
Self-evaluation saves — the deadline rush — never change the composite (a unit has one only once
its review is consolidated, issue 14), so they never pay for it; consolidation (once per unit) and
veto inputs do. Measured on this machine (2 cores, load average ≈ 5 from other work), SQLite,
20,000 units × 53 leaves: a refresh after a self score 11–25 ms (9 queries), after a consolidated
change that re-ranks the field 0.25–0.3 s (14 queries). The first design — one Python pass over
(id, composite) with `bulk_update` of the moved rows — took 2–4.7 s when a unit fell from first to
last (every rank moves) and 0.9 s when nothing moved, which is why the pass is SQL now. A lazy
"dirty flag, rank on next read" design was rejected: it moves the same pass into a page view and
needs a lock against two readers re-ranking at once.

Full recompute, same machine and data (1.06 M self + 1.06 M consolidated rows): 4.5–5.1 s
(2,000 units: 0.5–0.6 s) when it read three columns per leaf row straight from the cursor.
When every weight is whole it now reads one row per unit, the unit's leaf keys (leaf and score
in cents) listed by the database, adds them up packed into one integer per unit in C
(`setwise._read_keyed`) and rolls up only the inner levels (`Compiled.evaluate_grouped`);
otherwise it reads every row and sums in Decimal. It
grades with a memo keyed by the grading inputs, and writes with one executemany INSERT per
1,000 units after deleting the campaign's rows. Reproduce:
`DATABASE_URL=sqlite:////tmp/agg/db.sqlite3 python -m tests.evaluations.bench_recompute 2000`.

Frozen results: approved `UnitResult` rows are never written here but by `figures.results` (at
approval, reopening and re-review). `UnitTotals` of an approved unit still shows what approval
would compute now from the stored scores; the ranking shows the frozen result
(`evaluations.selectors_ranking`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState, QuotaTiePolicy
from mofan.campaigns.selectors import taking_part
from mofan.evaluations import external
from mofan.evaluations import results as res
from mofan.evaluations.models import (
    ConsolidatedScore,
    QuotaTieDecision,
    SelfScore,
    UnitTotals,
    VetoInput,
)
from mofan.indicators.methods import LeafScore
from mofan.indicators.models import IndicatorVersion
from mofan.indicators.rollup import grand_total, rollup
from mofan.indicators.selectors import nodes_of
from mofan.indicators.tree import NodeData, tree_leaf_total, walk

CENT = Decimal("0.01")
REVIEWED_STATES = (EnrollmentState.REVIEWED, EnrollmentState.APPROVED)
BATCH = 1000


# --- the pure core ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a campaign's figures depend on besides the scores: its tree and its settings."""

    roots: list[NodeData]
    code_of: dict[int, str]  # node id -> code
    leaves: list[NodeData]
    inner: list[str]  # codes of the nodes with children, in tree order
    top: Decimal | None
    weights: dict[str, Decimal]
    bands: list[res.Band]
    veto_blocks: list[str]
    quota: Decimal
    qualitative: bool
    advanced_blocked_by_veto: bool
    tie_policy: str = QuotaTiePolicy.DECIDE  # a tie on the quota line settled in advance or not


@dataclass(frozen=True)
class _Tree:
    roots: list[NodeData]
    code_of: dict[int, str]
    leaves: list[NodeData]
    inner: list[str]
    top: Decimal | None


# Published versions never change (`IndicatorNode.save` refuses), so their tree is kept in
# memory like `indicators.selectors.published_leaves`: every self-evaluation save refreshes its
# unit, and rebuilding the tree was a third of that refresh. The key holds the publication time
# so that a reused id (a test database, a restore) never hits a stale entry. Nothing here
# modifies the nodes.
_TREE_CACHE: dict[tuple[int, str], _Tree] = {}


def _tree(version: IndicatorVersion) -> _Tree:
    key = None
    if version.is_published and version.published_at is not None:
        key = (version.pk, version.published_at.isoformat())
        cached = _TREE_CACHE.get(key)
        if cached is not None:
            return cached
    roots = nodes_of(version)
    nodes = [node for node, _d in walk(roots)]
    tree = _Tree(
        roots=roots,
        code_of={node.pk: node.code for node in nodes if node.pk is not None},
        leaves=[node for node in nodes if not node.children],
        inner=[node.code for node in nodes if node.children],
        top=tree_leaf_total(roots),
    )
    if key is not None:
        if len(_TREE_CACHE) > 64:
            _TREE_CACHE.clear()
        _TREE_CACHE[key] = tree
    return tree


def context_for(campaign: Campaign) -> Context:
    """One query (the tree, none when its published version is in memory) besides the
    campaign itself."""
    tree = _tree(campaign.indicator_version)
    return Context(
        roots=tree.roots,
        code_of=tree.code_of,
        leaves=tree.leaves,
        inner=tree.inner,
        top=tree.top,
        weights={k: Decimal(str(v)) for k, v in campaign.composite_weights.items()},
        bands=[res.Band(b["label"], Decimal(str(b["min_ratio"]))) for b in campaign.grade_bands],
        veto_blocks=[b for b in campaign.veto_blocks if b != "advanced"],
        quota=campaign.honours_quota,
        qualitative=campaign.indicator_version.system.scoring == "qualitative" or tree.top is None,
        advanced_blocked_by_veto="advanced" in campaign.veto_blocks,
        tie_policy=campaign.tie_policy,
    )


@dataclass
class Figures:
    """One unit's stored figures, as plain data (the fields of `UnitTotals` but the rank)."""

    self_total: Decimal | None
    review_total: Decimal | None
    composite: Decimal | None
    self_nodes: dict[str, str]
    review_nodes: dict[str, str]
    type_scores: dict[str, str]
    level_counts: dict[str, int]
    self_level_counts: dict[str, int]
    self_complete: bool
    review_complete: bool
    grade: str
    veto: bool
    rank: int | None = None
    advanced: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _shown(result: Any) -> str | None:
    if result.score is not None:
        return str(result.score)
    return str(result.level) if result.level else None


def _kind(
    ctx: Context, leaves: Mapping[str, LeafScore]
) -> tuple[Decimal | None, dict[str, str], dict[str, str], dict[str, int], bool, bool]:
    """(total, inner node map, type scores, level counts, veto, complete) — `scoring.totals_for`
    plus the inner nodes, from one roll-up."""
    results = rollup(ctx.roots, leaves)
    nodes = {}
    for code in ctx.inner:
        shown = _shown(results[code])
        if shown is not None:
            nodes[code] = shown
    types = {}
    for root in ctx.roots:
        shown = _shown(results[root.code])
        if shown is not None:
            types[root.code] = shown
    counts: Counter[str] = Counter()
    complete = True
    for leaf in ctx.leaves:
        score = leaves.get(leaf.code)
        if score is None:
            complete = False
        elif score.level and leaf.method_type == "qualitative":
            counts[score.level] += 1
    veto = any(r.veto for r in results.values())
    return grand_total(ctx.roots, results), nodes, types, dict(counts), veto, complete


def unit_figures(
    ctx: Context,
    *,
    own: Mapping[str, LeafScore],
    reviewed_scores: Mapping[str, LeafScore],
    vetoed_by_input: bool,
    reviewed: bool,
    survey: Decimal | None = None,
) -> Figures:
    """One unit's figures from its leaf scores (by node code), exactly as approval computes
    them (`approval._unit_score` and `_compute`), but its rank and advanced flag; `survey` is
    its figure of the survey slot (`external.py`) on the scores' scale."""
    return figures_from_rollups(
        ctx,
        _kind(ctx, own),
        _kind(ctx, reviewed_scores),
        vetoed_by_input,
        reviewed,
        survey=survey,
    )


def campaign_ranks(
    ctx: Context,
    field_: Iterable[tuple[int, Decimal | None, str, bool]],
    enrolled: int | None = None,
    decision: res.Decision | None = None,
) -> dict[int, tuple[int | None, bool]]:
    """{key: (rank, advanced)} over the whole field of (key, composite, grade, veto): the
    ranking and honours of `results.compute_results` (competition ranking; strict quota of
    the `enrolled` units, default the field, a tie across the quota line as the committee
    decided it, `decision` keyed like the field), given the per-unit grades it would compute."""
    rows = list(field_)
    ranks = res.rank([(key, composite) for key, composite, _g, _v in rows])
    candidates = [
        res.Result(unit_id=key, name="", score=composite, grade=grade, rank=None, veto=veto)
        for key, composite, grade, veto in rows
    ]
    chosen = set(_advanced(ctx, candidates, len(rows) if enrolled is None else enrolled, decision))
    return {
        key: (ranks[key], key in chosen and not (veto and ctx.advanced_blocked_by_veto))
        for key, _c, _g, veto in rows
    }


ELIGIBLE = ("优秀",)


def _advanced(
    ctx: Context, candidates: list[res.Result], enrolled: int, decision: res.Decision | None
) -> list[int]:
    tie = res.quota_tie(candidates, ctx.quota, enrolled, ELIGIBLE)
    admitted = res.admitted_for(tie, decision)
    if admitted is None and tie is not None and ctx.tie_policy != QuotaTiePolicy.DECIDE:
        # No decision about this very tie: the campaign's policy settles it.
        admitted = set(tie.tied) if ctx.tie_policy == QuotaTiePolicy.ALL else set()
    return res.select_advanced(candidates, ctx.quota, enrolled, ELIGIBLE, admitted=admitted)


def _candidates(campaign: Campaign) -> tuple[list[res.Result], int]:
    """The units that could be 先进 (a composite, no veto, graded 优秀), keyed by enrollment,
    and the number taking part (enrolled, not withdrawn): the quota's base."""
    return _candidate_results(campaign), taking_part(campaign).count()


def _candidate_results(campaign: Campaign) -> list[res.Result]:
    return [
        res.Result(unit_id=key, name="", score=composite, grade=grade, rank=None, veto=False)
        for key, composite, grade in UnitTotals.objects.filter(
            campaign=campaign, composite__isnull=False, veto=False, grade__in=ELIGIBLE
        ).values_list("enrollment_id", "composite", "grade")
    ]


def current_tie(campaign: Campaign, enrolled: int | None = None) -> res.Tie | None:
    """The tie across the 先进 quota line among the stored figures now (keyed by enrollment),
    decided or not: `results.quota_tie` computed in the database, since at a province's scale
    the candidates graded 优秀 are thousands. The quota's last place and the next one share a
    score exactly when a tie straddles the line. A few indexed queries (one more without
    `enrolled`)."""
    if enrolled is None:
        enrolled = taking_part(campaign).count()
    quota = res.quota_for(enrolled, campaign.honours_quota)
    pool = UnitTotals.objects.filter(
        campaign=campaign, composite__isnull=False, veto=False, grade__in=ELIGIBLE
    )
    # Read even when the quota is 0, so that the page's query count does not depend on it.
    first = max(quota - 1, 0)
    edge = list(pool.order_by("-composite").values_list("composite", flat=True)[first : first + 2])
    if quota <= 0 or len(edge) < 2 or edge[0] != edge[1] or edge[0] is None:
        return None
    score = edge[0]
    tied = tuple(sorted(pool.filter(composite=score).values_list("enrollment_id", flat=True)))
    return res.Tie(score, tied, quota - pool.filter(composite__gt=score).count())


def tie_decision(campaign: Campaign) -> res.Decision | None:
    """The committee's recorded decision on a quota tie (keyed by enrollment), if any."""
    found = QuotaTieDecision.objects.filter(campaign=campaign).first()
    return found.as_decision() if found is not None else None


def leaf_score(score: Decimal | None, level: str | None, veto: bool) -> LeafScore:
    """A stored leaf row as approval reads it (`approval._leaf_scores`)."""
    return LeafScore(score=score, level=level or None, veto=veto)


# --- storage ------------------------------------------------------------------------------------

FIGURE_FIELDS = (
    "self_total",
    "review_total",
    "composite",
    "self_nodes",
    "review_nodes",
    "type_scores",
    "level_counts",
    "self_level_counts",
    "self_complete",
    "review_complete",
    "grade",
    "veto",
)


def stored_values(figures: Figures) -> dict[str, Any]:
    """The fields of `UnitTotals` from a unit's figures."""
    return {name: getattr(figures, name) for name in FIGURE_FIELDS}


def _leaf_rows(model: Any, **filters: Any) -> dict[int, LeafScore]:
    return {
        node_id: leaf_score(score, level, veto)
        for node_id, score, level, veto in model.objects.filter(**filters).values_list(
            "node_id", "score", "level", "veto"
        )
    }


def _survey_points(ctx: Context, enrollment: Enrollment) -> Decimal | None:
    """The unit's figure of the survey slot (`external.py`), when the campaign weighs it."""
    return external.points(
        "survey",
        campaign_id=enrollment.campaign_id,
        unit_ids=[enrollment.unit_id],
        weights=ctx.weights,
        top=ctx.top,
    ).get(enrollment.unit_id)


def unit_figures_with(enrollment: Enrollment, replace: Mapping[int, LeafScore]) -> Figures:
    """One unit's figures as approval would freeze them, with the consolidated scores of some
    leaves (`replace`, by node id) replaced, e.g. by a re-review (复核): the same pure step as
    `unit_refresh`, written nowhere. Its rank and advanced flag are not computed (they need the
    whole field)."""
    ctx = context_for(enrollment.campaign)
    code = ctx.code_of
    own = {code[k]: v for k, v in _leaf_rows(SelfScore, enrollment=enrollment).items()}
    reviewed = {
        code[k]: v
        for k, v in {
            **_leaf_rows(ConsolidatedScore, enrollment=enrollment),
            **replace,
        }.items()
    }
    return unit_figures(
        ctx,
        own=own,
        reviewed_scores=reviewed,
        vetoed_by_input=VetoInput.objects.filter(enrollment=enrollment, vetoed=True).exists(),
        reviewed=True,
        survey=_survey_points(ctx, enrollment),
    )


@transaction.atomic(savepoint=False)
def unit_refresh(*, enrollment: Enrollment | int, loaded: bool = False) -> UnitTotals:
    """Recompute one unit's stored figures from its own rows (call it inside the transaction
    of the write); re-rank the campaign when its composite, grade or veto changed.

    `loaded=True`: the caller read `enrollment` with its campaign, indicator version and system
    inside this transaction and has not changed its state since, so it is not read again.
    No savepoint of its own: a failure here fails the write that called it."""
    if not (loaded and isinstance(enrollment, Enrollment)):
        pk = enrollment if isinstance(enrollment, int) else enrollment.pk
        enrollment = Enrollment.objects.select_related("campaign__indicator_version__system").get(
            pk=pk
        )
    campaign = enrollment.campaign
    # Lock the unit's row first: two writes to the same unit (two tabs) then refresh one after
    # the other, the second reading the first one's committed scores (PostgreSQL; SQLite
    # already runs one write transaction at a time).
    stored = UnitTotals.objects.select_for_update().filter(enrollment=enrollment).first()
    ctx = context_for(campaign)
    code = ctx.code_of
    own = {code[k]: v for k, v in _leaf_rows(SelfScore, enrollment=enrollment).items()}
    reviewed = {code[k]: v for k, v in _leaf_rows(ConsolidatedScore, enrollment=enrollment).items()}
    figures = unit_figures(
        ctx,
        own=own,
        reviewed_scores=reviewed,
        vetoed_by_input=VetoInput.objects.filter(enrollment=enrollment, vetoed=True).exists(),
        reviewed=enrollment.state in REVIEWED_STATES,
        survey=_survey_points(ctx, enrollment),
    )
    values = stored_values(figures)
    if stored is None:
        stored = UnitTotals.objects.create(enrollment=enrollment, campaign=campaign, **values)
        rerank = True
    else:
        rerank = (stored.composite, stored.grade, stored.veto) != (
            figures.composite,
            figures.grade,
            figures.veto,
        )
        changed = [name for name, value in values.items() if getattr(stored, name) != value]
        if changed:
            for name in changed:
                setattr(stored, name, values[name])
            stored.save(update_fields=changed)
    if rerank:
        ranks_refresh(campaign=campaign, ctx=ctx)
        stored.refresh_from_db(fields=["rank", "advanced"])
    return stored


def ranks_refresh(*, campaign: Campaign, ctx: Context | None = None) -> int:
    """Re-rank the campaign in the database, set-based: one UPDATE with a window function
    (`RANK()` is the competition ranking of `results.rank`; units without a composite are
    unranked) that writes only the ranks that changed; then the honours, which only units
    graded 优秀 without a veto can get, from those few candidates in Python (the strict quota
    of `results.select_advanced`). A fixed number of queries; returns how many ranks moved."""
    ctx = ctx or context_for(campaign)
    table = connection.ops.quote_name(UnitTotals._meta.db_table)
    rank = connection.ops.quote_name("rank")
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {rank} = ranked.r FROM ("  # noqa: S608
            "SELECT id, CASE WHEN composite IS NULL THEN NULL "
            "ELSE RANK() OVER (ORDER BY composite DESC NULLS LAST) END AS r "
            f"FROM {table} WHERE campaign_id = %s) AS ranked "
            f"WHERE {table}.id = ranked.id AND {table}.{rank} {differs} ranked.r",
            [campaign.pk],
        )
        moved = cursor.rowcount
    candidates, enrolled = _candidates(campaign)
    chosen = _advanced(ctx, candidates, enrolled, tie_decision(campaign))
    stored = UnitTotals.objects.filter(campaign=campaign)
    stored.filter(advanced=True).exclude(enrollment_id__in=chosen).update(advanced=False)
    stored.filter(enrollment_id__in=chosen, advanced=False).update(advanced=True)
    return moved


def figures_from_rollups(
    ctx: Context,
    own: tuple[Decimal | None, dict[str, str], dict[str, str], dict[str, int], bool, bool],
    final: tuple[Decimal | None, dict[str, str], dict[str, str], dict[str, int], bool, bool],
    vetoed_by_input: bool,
    reviewed: bool,
    memo: dict[Any, res.Result] | None = None,
    survey: Decimal | None = None,
) -> Figures:
    """The one pure step from a unit's two rolled-up kinds (self, final) to its figures, for one
    unit (`unit_figures`) and set-wise (`recompute`) alike; `memo` keeps the results of the grading
    by its inputs (many units share them)."""
    s_total, s_nodes, _s_types, s_counts, _s_veto, s_complete = own
    r_total, r_nodes, r_types, r_counts, r_veto, r_complete = final
    veto = r_veto or vetoed_by_input
    own_key = s_total if "self" in ctx.weights else None  # the self score counts only if weighted
    counts_key = tuple(sorted(r_counts.items())) if reviewed else None
    key = (own_key, r_total, veto, counts_key, survey)
    result = memo.get(key) if memo is not None else None
    if result is None:
        result = _grade(ctx, s_total, r_total, r_counts, veto, reviewed, survey)
        if memo is not None:
            memo[key] = result
    return Figures(
        self_total=s_total,
        review_total=r_total,
        composite=result.score,
        self_nodes=s_nodes,
        review_nodes=r_nodes,
        type_scores=r_types,
        level_counts=r_counts,
        self_level_counts=s_counts,
        self_complete=s_complete,
        review_complete=r_complete,
        grade=result.grade,
        veto=result.veto,
    )


def _grade(
    ctx: Context,
    s_total: Decimal | None,
    r_total: Decimal | None,
    r_counts: dict[str, int],
    veto: bool,
    reviewed: bool,
    survey: Decimal | None = None,
) -> res.Result:
    """A unit is scored, graded, ranked and eligible for honours only once it has a consolidated
    review score (issue 14): before that its self score never stands in as its composite."""
    if not reviewed:
        return res.Result(unit_id=0, name="", score=None, grade=res.UNGRADED, rank=None, veto=veto)
    (result,) = res.compute_results(
        [
            res.UnitScore(
                unit_id=0,
                name="",
                self_score=s_total,
                review_score=r_total,
                survey=survey,
                veto=veto,
                max_points=ctx.top,
                level_counts=r_counts,
            )
        ],
        weights=ctx.weights,
        bands=ctx.bands,
        veto_blocks=ctx.veto_blocks,
        quota_ratio=Decimal(0),
        qualitative=ctx.qualitative,
        enrolled=1,
    )
    return result
