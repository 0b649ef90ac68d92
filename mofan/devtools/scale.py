"""Province-scale data (issue 7 point 1): a committee with N units, their party organisations and
members, and a campaign whose every unit has its self-evaluation, every reviewer's scores, the
consolidated scores and a frozen approved result — written in bulk, fast enough for 20,000 units.

The bulk path keeps the invariants of the services it stands in for:

* the committee, its accounts, the campaign (with its enrolments), the review groups and the
  assignment draw are made by the services themselves (`campaign_create`,
  `review_group_create`, `assignment_draw`: already bulk, one audit entry each);
* leaf inputs come from the simulation's value functions (`simulate.synthetic_value` /
  `reviewer_value`) and are scored by the services' own `score_fields` (cached per distinct
  input), so every stored score is what `self_score_save` / `review_score_save` would have
  stored;
* consolidated scores are the reviewers' mean (or common level) exactly as
  `consolidation_preview` computes it, a flagged leaf decided by the leader as the simulation
  does (the mean, with a reason);
* results come from `approval.campaign_rows` over the stored rows — the same pure results code
  as `campaign_approve` — and are written frozen, the enrolments APPROVED;
* approval's rectification hook runs through the service itself (`results_approved`: the
  problem lists and re-reviews of the failing units);
* instead of one audit entry per row, each bulk step appends ONE entry ("scale.seed.*") to the
  hash chain with its counts and a SHA-256 digest of the rows it wrote, so `verify_audit` holds.

Speed: units, branches and members go through `bulk_create` (which encrypts each member's phone
and fills its blind index, mofan/core/fields.py: about 60 µs a member); the ~5 million score
rows of 20,000 units skip the model layer (`scale_bulk.Table`: values prepared once per distinct
value by the fields' own `get_db_prep_save`, then `executemany` on SQLite, COPY on PostgreSQL), a
few transactions in all. On PostgreSQL the foreign keys of the bulk-loaded tables are checked
once at the end of their load (`scale_bulk.keys_checked_once`), not row by row at COMMIT.

The activity ledger (issue 15 point 5): about a hundred records a unit for the campaign's year
(`scale_ledger`, plain rows like the scores, one audit entry), then the figures the template's
rules compute from it (`ledger_figures_refresh`, the set-wise function of `manage.py
ledger_figures`), before the self-evaluations.

Here the orchestration; the organisations in `scale_organizations`, the ledger in
`scale_ledger`, the score sheets in
`scale_scores`, the results and the committee's check in `scale_results`, the bulk writing in
`scale_bulk`.

Not done here (documented limits): findings, visits and evidence (`campaign_simulate` runs
those through the services at small sizes); the campaign is approved but not published.

Deterministic for a given seed: the same seed gives the same values, totals, grades and row
digests (digests name units by their order and leaves by their code, never by database id)."""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign
from mofan.devtools.scale_bulk import Timer
from mofan.devtools.scale_ledger import PER_UNIT, ledger
from mofan.devtools.scale_organizations import organizations
from mofan.devtools.scale_results import approve, committee_checks
from mofan.devtools.scale_scores import Sheets, audit_sheets, scores
from mofan.devtools.simulate import (
    actor_of,
    builtin_version,
    groups_and_draw,
    new_committee,
    open_campaign,
    synthetic_staff,
)
from mofan.evaluations.ledger_figures import ledger_figures_refresh
from mofan.indicators.builtin import load_templates
from mofan.indicators.models import IndicatorVersion
from mofan.indicators.selectors import published_leaves
from mofan.organizations.models import Committee

DEFAULT_TEMPLATE = "yueqing-2020"
DEFAULT_MEMBERS = 10


def seed_scale(
    *,
    units: int,
    members_per_unit: int = DEFAULT_MEMBERS,
    template: str = DEFAULT_TEMPLATE,
    seed: int = 1,
    today: datetime.date | None = None,
    progress: Callable[[str], None] | None = None,
    ledger_records: int | None = None,
) -> dict[str, Any]:
    """Build the committee, its units, their activity ledger (`ledger_records`, by default
    PER_UNIT a unit) and a fully scored, approved campaign with the figures computed from the
    ledger; return a summary with the row counts and the seconds spent in each phase."""
    say = progress or (lambda _m: None)
    timer = Timer()
    rng = random.Random(seed)
    began = started = time.perf_counter()
    load_templates()
    version = builtin_version(template)
    leaves = published_leaves(version)
    with transaction.atomic():
        committee = new_committee(f"规模测试工委 {units} {seed} #", f"scale-{seed}")
        admin_user, liaison, reviewers = synthetic_staff(committee)
        started = timer.add("setup", started)
        say("单位、党组织和成员……")
        unit_ids, members = organizations(committee, units, members_per_unit, rng, timer)
        started = time.perf_counter()
    started = timer.add("commit", started)
    say("活动台账……")
    records = PER_UNIT * units if ledger_records is None else ledger_records
    ledger_counts, written = _ledger_phase(
        committee, unit_ids, records, version, liaison, seed, timer
    )
    started = timer.add("commit", written)  # from the last row written to the commit's end
    say("创建活动、评审组和分配……")
    admin = actor_of(admin_user, committee, Role.COMMITTEE_ADMIN)
    campaign = _campaign(
        committee, version, admin, reviewers, template=template, units=units, seed=seed
    )
    started = timer.add("campaign", started)
    say("台账取数……")
    ledger_figures_refresh(campaign=campaign)
    started = timer.add("ledger_figures", started)
    say("自评、评审评分和汇总……")
    with transaction.atomic():
        sheets = scores(campaign=campaign, leaves=leaves, liaison=liaison, rng=rng, timer=timer)
        started = time.perf_counter()
        audit_sheets(campaign, sheets, units)
        started = timer.add("consolidation", started)
    started = timer.add("commit", started)
    say("预计算汇总与综合审定……")
    with transaction.atomic():
        results, problems = approve(campaign, admin_user, liaison, timer, today)
        started = time.perf_counter()
    started = timer.add("commit", started)
    say("工委检查问题清单……")
    with transaction.atomic():
        checks = committee_checks(
            campaign=campaign, admin=admin, leaves=leaves, rng=rng, today=today
        )
    started = timer.add("committee_checks", started)
    _analyze()
    timer.add("analyze", started)
    return _summary(
        committee=committee,
        campaign=campaign,
        template=template,
        seed=seed,
        units=units,
        members=members,
        leaves=leaves,
        counts={
            **ledger_counts,
            **_sheet_counts(sheets),
            **_result_counts(results, problems, checks),
        },
        sheets=sheets,
        timer=timer,
        began=began,
    )


def _ledger_phase(
    committee: Committee,
    unit_ids: list[int],
    records: int,
    version: IndicatorVersion,
    liaison: User,
    seed: int,
    timer: Timer,
) -> tuple[dict[str, int], float]:
    """The units' activity ledger, in a transaction of its own; also when its rows were
    written (the commit's time is measured from there)."""
    with transaction.atomic():
        counts = ledger(
            committee=committee,
            unit_ids=unit_ids,
            records=records,
            year=version.system.year,
            author_id=liaison.pk,
            rng=random.Random(seed),
            timer=timer,
        )
        written = time.perf_counter()
    return counts, written


def _summary(
    *,
    committee: Committee,
    campaign: Any,
    template: str,
    seed: int,
    units: int,
    members: int,
    leaves: Any,
    counts: dict[str, Any],
    sheets: Any,
    timer: Timer,
    began: float,
) -> dict[str, Any]:
    """What `seed_scale` returns: the row counts, the digests and the seconds of each phase."""
    return {
        "committee_id": committee.pk,
        "campaign_id": campaign.pk,
        "template": template,
        "seed": seed,
        "units": units,
        "party_orgs": units,
        "members": members,
        "leaves": len(leaves),
        **counts,
        "digests": {
            "self_scores": sheets.self_digest.hexdigest,
            "review_scores": sheets.review_digest.hexdigest,
            "consolidated_scores": sheets.consolidated_digest.hexdigest,
        },
        "seconds": {k: round(v, 2) for k, v in timer.seconds.items()},
        "total_seconds": round(time.perf_counter() - began, 2),
    }


@transaction.atomic
def _campaign(
    committee: Committee,
    version: IndicatorVersion,
    admin: Actor,
    reviewers: list[User],
    *,
    template: str,
    units: int,
    seed: int,
) -> Campaign:
    """The campaign of every unit, its review groups and the assignment draw, through the
    services."""
    campaign = open_campaign(
        committee=committee,
        version=version,
        admin=admin,
        name=f"规模测试活动（{template}，{units} 个单位）",
        issuer="规模测试",
        number=f"规模〔{seed}〕1号",
    )
    groups_and_draw(campaign=campaign, reviewers=reviewers, admin=admin, seed=f"scale-{seed}")
    return campaign


def _analyze() -> None:
    """After a bulk load the planner's statistics are those of empty tables (PostgreSQL
    estimated 20 units where there were 20,000 and sorted them all for the dashboard's first
    page): gather them, as autovacuum or a DBA would after such a load.
    PostgreSQL also VACUUMs (marking the freshly written pages all-visible lets counts read
    the indexes alone) when it can: not inside a transaction, as in the tests."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def _sheet_counts(sheets: Sheets) -> dict[str, int]:
    return {
        "self_scores": sheets.self_digest.rows,
        "review_scores": sheets.review_digest.rows,
        "review_submissions": sheets.submissions,
        "consolidated_scores": sheets.consolidated_digest.rows,
        "score_rows": sheets.self_digest.rows
        + sheets.review_digest.rows
        + sheets.consolidated_digest.rows,
    }


def _result_counts(
    results: list[tuple[Decimal | None, str]], problems: int, checks: int
) -> dict[str, Any]:
    grades = Counter(grade for _composite, grade in results)
    composite = sum((c for c, _grade in results if c is not None), Decimal(0))
    return {
        "results": len(results),
        "problems": problems,
        "committee_checks": checks,
        "grades": dict(sorted(grades.items())),
        "composite_sum": str(composite),
    }
