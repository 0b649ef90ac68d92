"""The stored campaign-wide figures of the approved results (`ResultSummary`, issue 7): what the
committee dashboard and the unit view show over every unit (result count, mean composite, the
composite histogram, units per grade, the mean score per indicator type), kept up to date by the
writers of `UnitResult` instead of being recomputed from every unit's row on every view.

Writers, each in its own transaction:

- `evaluations.approval.campaign_approve` rebuilds the campaign's summary (it has just read and
  written every result anyway);
- `rectification.rereview` (`_write_result`, the only writer of a re-reviewed result) applies
  the difference of the one result it replaced;
- `devtools.scale.seed_scale` rebuilds it after its bulk insert;
- `manage.py recompute_results` rebuilds every campaign's (the repair path).

Reopening a result (`result_reopen`) only unfreezes it: the figures do not change until approval
writes it again. A deleted enrollment or campaign takes its results with it; the summary of a
campaign whose enrollment was deleted is rebuilt by `recompute_results` (no service deletes
enrollments with results).

The pure part (`Tally`, `bin_index`, `as_decimal`) is the single definition of how a result
counts. Readers take the stored summary (`campaign_tally`); none is computed on a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from django.db import transaction

from mofan.campaigns.models import Campaign
from mofan.evaluations.models import ResultSummary, UnitResult
from mofan.evaluations.scoring import max_points
from mofan.indicators.selectors import nodes_of

HISTOGRAM_BINS = 10
QUALITATIVE_TOP = Decimal(100)  # qualitative composites are a 0–100 达标 rate (results.py)
FIELDS = ("composite", "grade", "type_scores")  # what a result contributes, in this order

Share = tuple[Decimal | None, str, Mapping[str, Any] | None]  # (composite, grade, type_scores)


def as_decimal(raw: Any) -> Decimal | None:
    """A stored score as a finite Decimal; None for levels (定性), blanks and junk."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def bin_index(value: Decimal, *, top: Decimal, bins: int) -> int:
    """The bin of `value` among `bins` equal bins over [0, top]: [low, high), the last one
    [low, top]; below 0 counts in the first, above `top` (bonus points) in the last. Exact
    (an integer division of Decimals, which Decimal computes exactly: no rounding of the
    quotient), so a value on an edge always opens the upper bin. A fifth of the time of the
    rational arithmetic it replaced, per result of every recompute."""
    if value <= 0:
        return 0
    with localcontext(prec=60):
        index = int((value * bins) // top)
    return min(index, bins - 1)


def histogram_top(scoring: str, roots: Sequence[Any]) -> Decimal:
    """The histogram's upper edge: the tree's full marks (100 for a qualitative system, or when
    the tree has no points)."""
    if scoring == "qualitative":
        return QUALITATIVE_TOP
    top = max_points(roots)
    return top if top and top > 0 else QUALITATIVE_TOP


@dataclass
class Tally:
    """The campaign-wide figures as a sum of each result's share; `add(share, -1)` takes one
    back out exactly."""

    top: Decimal
    bins_count: int = HISTOGRAM_BINS
    results: int = 0
    composites: int = 0
    composite_sum: Decimal = Decimal(0)
    bins: list[int] = field(default_factory=list)
    grades: dict[str, int] = field(default_factory=dict)
    type_sums: dict[str, Decimal] = field(default_factory=dict)
    type_counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.top <= 0 or self.bins_count < 1:
            raise ValueError("a tally needs top > 0 and at least one bin")
        if not self.bins:
            self.bins = [0] * self.bins_count

    def add(self, share: Share, sign: int = 1) -> None:
        composite, grade, type_scores = share
        self.results += sign
        grade = grade or ""
        self.grades[grade] = self.grades.get(grade, 0) + sign
        if composite is not None:
            self.composites += sign
            self.composite_sum += sign * composite
            self.bins[bin_index(composite, top=self.top, bins=self.bins_count)] += sign
        for code, raw in (type_scores or {}).items():
            value = as_decimal(raw)
            if value is not None:
                self.type_sums[code] = self.type_sums.get(code, Decimal(0)) + sign * value
                self.type_counts[code] = self.type_counts.get(code, 0) + sign

    def clean(self) -> Tally:
        """Without the grades and types no result has any more (after removals)."""
        self.grades = {g: n for g, n in self.grades.items() if n}
        self.type_sums = {c: s for c, s in self.type_sums.items() if self.type_counts.get(c)}
        self.type_counts = {c: n for c, n in self.type_counts.items() if n}
        return self


def tally_of(shares: Iterable[Share], *, top: Decimal, bins: int = HISTOGRAM_BINS) -> Tally:
    tally = Tally(top=top, bins_count=bins)
    for share in shares:
        tally.add(share)
    return tally.clean()


def as_tally(summary: ResultSummary) -> Tally:
    return Tally(
        top=Decimal(summary.top),
        bins_count=len(summary.bins) or HISTOGRAM_BINS,
        results=summary.results,
        composites=summary.composites,
        composite_sum=Decimal(summary.composite_sum),
        bins=list(summary.bins),
        grades=dict(summary.grades),
        type_sums={code: Decimal(text) for code, text in summary.type_sums.items()},
        type_counts=dict(summary.type_counts),
    )


def _store(summary: ResultSummary, tally: Tally) -> None:
    summary.top = tally.top
    summary.results = tally.results
    summary.composites = tally.composites
    summary.composite_sum = tally.composite_sum
    summary.bins = tally.bins
    summary.grades = dict(sorted(tally.grades.items()))
    summary.type_sums = {code: str(s) for code, s in sorted(tally.type_sums.items())}
    summary.type_counts = dict(sorted(tally.type_counts.items()))


def share_of(result: UnitResult) -> Share:
    return (result.composite, result.grade, result.type_scores)


def campaign_top(campaign: Campaign) -> Decimal:
    """The histogram top of the campaign's indicator tree (two queries)."""
    version = campaign.indicator_version
    return histogram_top(version.system.scoring, nodes_of(version))


def computed_tally(campaign: Campaign, *, top: Decimal) -> Tally:
    """The figures from scratch: every result of the campaign read once."""
    rows = UnitResult.objects.filter(enrollment__campaign=campaign).values_list(*FIELDS)
    return tally_of(rows.iterator(chunk_size=2000), top=top)


@transaction.atomic
def result_summary_rebuild(*, campaign: Campaign) -> ResultSummary:
    """Recompute the campaign's summary from all its results (approval, the bulk seed,
    `recompute_results`)."""
    tally = computed_tally(campaign, top=campaign_top(campaign))
    summary = ResultSummary.objects.select_for_update().filter(campaign=campaign).first()
    if summary is None:
        summary = ResultSummary(campaign=campaign)
    _store(summary, tally)
    summary.save()
    return summary


@transaction.atomic
def result_summary_apply(
    *, campaign: Campaign, removed: Sequence[Share] = (), added: Sequence[Share] = ()
) -> ResultSummary:
    """Take the shares of replaced results out of the summary and add the new ones: one row
    read (locked) and written, whatever the number of units. Without a summary yet, rebuilds
    (the rows are already written when this runs)."""
    summary = ResultSummary.objects.select_for_update().filter(campaign=campaign).first()
    if summary is None:
        return result_summary_rebuild(campaign=campaign)
    tally = as_tally(summary)
    for share in removed:
        tally.add(share, -1)
    for share in added:
        tally.add(share)
    _store(summary, tally.clean())
    summary.save()
    return summary


def campaign_tally(campaign: Campaign, *, top: Decimal | None) -> Tally:
    """The campaign's stored figures; empty before its first approval (the summary is written
    with the results, so nothing is computed here). Binned for another `top` (a histogram
    changed by an upgrade), the counts and means hold and the bins wait for
    `manage.py recompute_results`."""
    summary = ResultSummary.objects.filter(campaign=campaign).first()
    if summary is None:
        return tally_of([], top=top if top is not None else QUALITATIVE_TOP)
    return as_tally(summary)
