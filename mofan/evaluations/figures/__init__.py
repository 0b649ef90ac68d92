"""The one writer of a campaign's stored figures (issue 13): `UnitTotals` (every enrolled unit's
totals, composite, grade and provisional rank), `UnitResult` (the frozen, approved result) and
`ResultSummary` (the campaign-wide counts of the results). Nothing outside this package writes
them (`tests/core/test_layout.py` checks); everything else reads them through
`evaluations.selectors_ranking` or the selectors beside it.

One pure step, `unit.figures_from_rollups`, turns a unit's rolled-up self and final scores into
its figures, for one unit and set-wise alike:

* `unit`     — the pure core (`Context`, `Figures`, `unit_figures`, `campaign_ranks`) and the
  incremental write `unit_refresh` (one unit, inside the write that changed it; re-ranks the
  field set-wise in SQL when its composite moved), called from enrolment on;
* `setwise`  — `campaign_recompute`, every unit of a campaign in one pass (the repair path
  `manage.py recompute_results`, enrolment and setting changes, the bulk seed; approval only
  when the campaign weighs the survey share: `figures_settle`);
* `results`  — the frozen results: `results_freeze` copies the stored figures into `UnitResult`
  at approval, `result_unfreeze` on reopening, `result_replace` after a re-review (复核);
* `summary`  — `ResultSummary`, rebuilt on approval and adjusted by a replaced result.

Figures exist from enrolment (`units_enrolled` → `campaign_recompute`), so no read path computes
them on the fly.
"""
