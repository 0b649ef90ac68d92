"""Random spot checks (双随机、一公开): draw units and inspectors at random with a published seed,
re-derive a recorded draw, record the inspectors' visits. `derivation` is the pure part,
`drawing` records a draw, `visits` records a visit; callers use `spotcheck.<function>`.

The draw
========
`spot_check_draw_record` gathers everything the draw depends on into `inputs` (a plain JSON
object, recorded with the draw and never changed afterwards), then calls the pure `derive(inputs,
seed)`, which uses nothing else. `spot_check_verify(draw)` (and the `spotcheck_verify` command)
calls `derive` again and compares with the recorded `result`.

`inputs` holds:

* ``algorithm``: the version of `derive` (``ALGORITHM``); a draw made with another version is
  never "verified" by this one.
* ``committee``, ``campaign``, ``reference_date`` (ISO date; "today" when the draw was made),
  ``exclude_months`` (K), ``stratify_by`` ("", "category" or "score_band"), ``units`` (N),
  ``inspectors`` (M), ``mode`` (the planned way of visiting: "announced" 明察 or "unannounced"
  暗访; it decides who may see the draw before the visits, not what is drawn).
* ``candidates``: the units that could be drawn, after exclusion, as ``{"id", "stratum"}`` sorted
  by id. Candidates are the campaign's enrolled units still on the register. The stratum is the
  unit's category code (stratify_by "category"), the unit's grade in its campaign result
  (``UnitResult.grade``; "未评定" when there is none) for "score_band", and "" otherwise.
* ``excluded``: ``{"id", "reason": "checked_recently", "draw"}`` for each enrolled unit left out
  because it was drawn in a spot check of the same committee created within K months before the
  reference date (from the same calendar day K months earlier up to the reference date, both
  included); ``draw`` names the latest such draw.
* ``pool``: the inspector pool (the committee's reviewers, `review_groups.reviewer_pool`) as
  ``{"id", "home_units"}`` sorted by id; home units are every unit the person holds a role in or
  is a member of (`review_groups.home_units`).

`result` is ``{"units": [...], "inspectors": [...]}``: sorted ids.

The algorithm (also shown on the result page): units are drawn with
`draws.draw_sample(purpose="spotcheck-units")` from the candidates (proportionally per stratum by
the largest-remainder method when stratified); inspectors with `draws.draw_inspectors`, which
leaves out every inspector whose home unit was drawn. Both use a generator seeded with
SHA-256("purpose:seed") and only `Random.random()`, and sort their inputs first, so the result
depends on nothing but the recorded inputs and the seed. An inspector with several home units is
passed to `draw_inspectors` with a drawn home unit when there is one (so the avoidance covers all
of them), otherwise with the smallest.

Who sees what (the selectors in `selectors_spotcheck` implement exactly this)
==========================================================================================
* The committee's staff (工委管理员, 工委领导) see every draw of their committee with its inputs,
  visits and problems. Only the committee admin draws.
* The inspectors drawn in a draw (reviewers of that committee named in the result) see that draw
  with its inputs and record the visits to its units; so may the committee admin.
* 一公开: everybody else holding a role in the committee (its reviewers, and the admins, leaders
  and members of its units) sees the published result of a draw — the units drawn, the
  inspectors' names, the seed, the per-stratum counts and whether it re-derives — but neither the
  per-unit inputs nor the visits' findings. A draw planned as announced (明察) is published as soon
  as it is recorded. A draw planned as unannounced (暗访) is published only when every drawn unit's
  visit has been recorded, so no unit learns of it in advance.
* A visited unit's admin and leader see their own unit's visit (and its problem items, through the
  problem list) once it is recorded, even while the rest of an unannounced draw is still hidden.
* The auditor, the security admin and other committees see nothing.

Problems found on a visit become problem-list items (source 随机抽查, origin the visit). One line of
the visit form is one problem, optionally prefixed by an indicator code and a colon
("1.2：记录不全"); lines naming the same indicator (or none) become one item with numbered
points, since an origin gives at most one item per indicator. Whoever may record a visit may
correct its date and findings afterwards, with a reason (`spot_check_visit_correct`, audited
before/after; the record shows the last correction and how many there were).
"""

from mofan.supervision.spotcheck.derivation import (
    ALGORITHM,
    derive,
    months_before,
    spot_check_verify,
    stratum_label,
)
from mofan.supervision.spotcheck.drawing import (
    MAX_EXCLUDE_MONTHS,
    UNRATED,
    spot_check_draw_record,
)
from mofan.supervision.spotcheck.visits import (
    ORIGIN,
    may_record_visit,
    spot_check_visit_correct,
    spot_check_visit_record,
)

__all__ = [
    "ALGORITHM",
    "MAX_EXCLUDE_MONTHS",
    "ORIGIN",
    "UNRATED",
    "derive",
    "may_record_visit",
    "months_before",
    "spot_check_draw_record",
    "spot_check_verify",
    "spot_check_visit_correct",
    "spot_check_visit_record",
    "stratum_label",
]
