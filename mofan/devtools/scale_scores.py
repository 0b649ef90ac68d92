"""The score sheets of the scale seed (`devtools.scale`): every unit's self-evaluation, every
reviewer's scores and submission and the consolidated scores, chunk by chunk in unit order,
straight into the tables (`scale_bulk.Table`), scored by the services' own `score_fields`
and consolidated as `consolidation_preview` does; one audit entry per sheet."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mofan.accounts.models import User
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.devtools.scale_bulk import Digest, Table, Timer, keys_checked_once
from mofan.devtools.simulate import DECISION_REASON, reviewer_value, synthetic_value
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    ReviewerSeat,
    ReviewScore,
    ReviewSubmission,
    SelfScore,
)
from mofan.evaluations.score_write import clean_input, score_fields
from mofan.evaluations.scoring import consensus
from mofan.indicators.methods import OPTIONAL_IN_SELF
from mofan.indicators.models import IndicatorNode

CHUNK = 200  # units generated and written together

SCORE_COLUMNS = ("enrollment", "node")
LEAF_COLUMNS = ("input", "score", "level", "veto")
MERGED_COLUMNS = ("score", "level", "veto", "mean", "spread", "flagged")

# (score, level, veto) of one leaf by one reviewer
Vote = tuple[Decimal | None, str, bool]


class _Scorer:
    """The services' scoring of one leaf input, cached with its prepared database values:
    inputs repeat across units."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._cache: dict[tuple[int, str], tuple[dict[str, Any], tuple[Any, ...]]] = {}

    def __call__(self, node: IndicatorNode, value: dict[str, Any]) -> tuple[dict[str, Any], tuple]:
        key = (node.pk, repr(value))
        found = self._cache.get(key)
        if found is None:
            fields = score_fields(node, value)
            prepared = (
                self.table.prep("input", clean_input(value)),
                self.table.prep("score", fields["score"]),
                fields["level"],
                fields["veto"],
            )
            found = self._cache[key] = (fields, prepared)
        return found


def consolidated_leaf(
    node: IndicatorNode, scores: list[Vote], spread_limit: Decimal
) -> dict[str, Any]:
    """One leaf of `services.consolidation_preview` over (score, level, veto) of every reviewer
    (in reviewer order), and the stored consolidated values after the leader's decision."""
    found = consensus(scores, node.method, spread_limit)
    return {
        "score": found.mean,
        "level": found.level,
        "veto": found.veto,
        "mean": found.mean,
        "spread": found.spread,
        "flagged": found.flagged,
        "reason": DECISION_REASON if found.flagged else "",
    }


@dataclass
class Sheets:
    """The digests of every score row written."""

    self_digest: Digest = field(default_factory=Digest)
    review_digest: Digest = field(default_factory=Digest)
    consolidated_digest: Digest = field(default_factory=Digest)
    submissions: int = 0


class _SheetWriter:
    """The rows of one campaign's four score tables, gathered unit by unit (the caller flushes
    the tables), and the digests of what they hold."""

    def __init__(self, campaign: Campaign, liaison: User) -> None:
        self.sheets = Sheets()
        self.spread_limit = campaign.review_spread
        self.liaison_id = liaison.pk
        self.own = Table(
            SelfScore,
            [*SCORE_COLUMNS, *LEAF_COLUMNS, "narrative", "updated_by", "updated_at", "version"],
        )
        self.reviews = Table(
            ReviewScore,
            ["assignment", "reviewer", "node", *LEAF_COLUMNS, "comment", "updated_at", "version"],
        )
        self.submitted = Table(ReviewSubmission, ["assignment", "reviewer", "submitted_at"])
        self.merged = Table(
            ConsolidatedScore,
            [*SCORE_COLUMNS, *MERGED_COLUMNS, "reason", "decided_by", "version"],
        )
        self.own_score, self.review_score = _Scorer(self.own), _Scorer(self.reviews)
        self.now = self.own.prep("updated_at", timezone.now())
        self.merged_cache: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[Any, ...]]] = {}

    def self_scores(
        self, assignment: Assignment, order: int, leaves: list[IndicatorNode], rng: random.Random
    ) -> dict[int, dict[str, Any]]:
        """The unit's self-evaluation at a random quality; its inputs by leaf id."""
        quality = rng.random()
        values = {node.pk: synthetic_value(node, quality, rng) for node in leaves}
        for node in leaves:
            fields, prepared = self.own_score(node, values[node.pk])
            self.own.rows.append(
                (assignment.enrollment_id, node.pk, *prepared, "", self.liaison_id, self.now, 1)
            )
            self.sheets.self_digest.add(order, node.code, fields["score"], fields["level"])
        return values

    def review_scores(
        self,
        assignment: Assignment,
        order: int,
        reviewers: list[int],
        leaves: list[IndicatorNode],
        values: dict[int, dict[str, Any]],
        rng: random.Random,
    ) -> list[list[Vote]]:
        """Every reviewer's scores of every leaf and submission; the votes by reviewer."""
        per_reviewer = []
        for seat, reviewer_id in enumerate(reviewers):
            row = []
            for node in leaves:
                value = reviewer_value(
                    values.get(node.pk) or synthetic_value(node, 0.5, rng), node, rng
                )
                fields, prepared = self.review_score(node, value)
                self.reviews.rows.append(
                    (assignment.pk, reviewer_id, node.pk, *prepared, "", self.now, 1)
                )
                row.append((fields["score"], fields["level"], fields["veto"]))
                self.sheets.review_digest.add(
                    order, seat, node.code, fields["score"], fields["level"]
                )
            per_reviewer.append(row)
            self.submitted.rows.append((assignment.pk, reviewer_id, self.now))
        return per_reviewer

    def consolidated_scores(
        self,
        assignment: Assignment,
        order: int,
        leaves: list[IndicatorNode],
        per_reviewer: list[list[Vote]],
    ) -> None:
        """The leader's consolidation of every leaf (cached by leaf and votes)."""
        for index, node in enumerate(leaves):
            votes = tuple(r[index] for r in per_reviewer)
            key = (node.pk, votes)
            found = self.merged_cache.get(key)
            if found is None:
                leaf = consolidated_leaf(node, list(votes), self.spread_limit)
                found = self.merged_cache[key] = (
                    leaf,
                    (
                        *(self.merged.prep(name, leaf[name]) for name in MERGED_COLUMNS),
                        leaf["reason"],
                    ),
                )
            leaf, prepared = found
            self.merged.rows.append(
                (assignment.enrollment_id, node.pk, *prepared, assignment.group.leader_id, 1)
            )
            self.sheets.consolidated_digest.add(
                order, node.code, leaf["score"], leaf["level"], leaf["veto"], leaf["flagged"]
            )


def _assignments(campaign: Campaign) -> list[Assignment]:
    return list(
        Assignment.objects.filter(enrollment__campaign=campaign)
        .select_related("group", "enrollment__unit")
        .order_by("enrollment__unit__sort_order")
    )


def _reviewers_by_group(campaign: Campaign, assignments: list[Assignment]) -> dict[int, list[int]]:
    """Every review group's leader and reviewers, by id."""
    seats: dict[int, list[int]] = {}
    for group_id, reviewer_id in ReviewerSeat.objects.filter(group__campaign=campaign).values_list(
        "group_id", "reviewer_id"
    ):
        seats.setdefault(group_id, []).append(reviewer_id)
    groups = {a.group_id: a.group for a in assignments}
    return {gid: sorted({g.leader_id, *seats.get(gid, [])}) for gid, g in groups.items()}


def scores(
    *,
    campaign: Campaign,
    leaves: list[IndicatorNode],
    liaison: User,
    rng: random.Random,
    timer: Timer,
) -> Sheets:
    """Every unit's self-evaluation, every reviewer's scores and submission, and the
    consolidated scores, chunk by chunk in unit order."""
    writer = _SheetWriter(campaign, liaison)
    self_leaves = [n for n in leaves if n.method_type not in OPTIONAL_IN_SELF]
    assignments = _assignments(campaign)
    reviewers_by_group = _reviewers_by_group(campaign, assignments)
    with keys_checked_once(SelfScore, ReviewScore, ReviewSubmission, ConsolidatedScore):
        for start in range(0, len(assignments), CHUNK):
            started = time.perf_counter()
            generated: list[tuple[Assignment, int, dict[int, dict[str, Any]]]] = []
            for assignment in assignments[start : start + CHUNK]:
                order = assignment.enrollment.unit.sort_order
                values = writer.self_scores(assignment, order, self_leaves, rng)
                generated.append((assignment, order, values))
            started = timer.add("self_scores", started)
            writer.own.flush()
            started = timer.add("self_scores", started)
            for assignment, order, values in generated:
                reviewers = reviewers_by_group[assignment.group_id]
                per_reviewer = writer.review_scores(
                    assignment, order, reviewers, leaves, values, rng
                )
                started = timer.add("review_scores", started)
                writer.consolidated_scores(assignment, order, leaves, per_reviewer)
                started = timer.add("consolidation", started)
            writer.reviews.flush()
            writer.submitted.flush()
            started = timer.add("review_scores", started)
            writer.merged.flush()
            timer.add("consolidation", started)
        started = time.perf_counter()
    timer.add("keys", started)
    writer.sheets.submissions = writer.submitted.written
    return writer.sheets


def audit_sheets(campaign: Campaign, sheets: Sheets, units: int) -> None:
    for action, digest, extra in (
        ("scale.seed.self_scores", sheets.self_digest, {}),
        ("scale.seed.review_scores", sheets.review_digest, {"submissions": sheets.submissions}),
        ("scale.seed.consolidated", sheets.consolidated_digest, {}),
    ):
        audit_record(
            action=action,
            actor_name="seed_scale",
            target=campaign,
            committee_id=campaign.committee_id,
            extra={"units": units, "rows": digest.rows, "sha256": digest.hexdigest, **extra},
        )
