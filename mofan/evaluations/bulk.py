"""Saving a whole sheet of scores at once: a unit's complete self-evaluation or one reviewer's
scores for one unit. The same checks as the one-leaf services (roles, state, scoring rules), one
audit entry listing every leaf's old and new value, a fixed number of queries per call. Used by
the simulation and by sheet imports; the pages save leaf by leaf."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations.figures.unit import unit_refresh
from mofan.evaluations.models import Assignment, ReviewScore, SelfScore
from mofan.evaluations.score_write import clean_input, score_fields, shown
from mofan.evaluations.services import (
    assignment_open_for_scoring,
    enrollment_transition,
    locked_check,
)
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.indicators.selectors import published_leaves


def _leaves(version: IndicatorVersion, node_ids: set[int]) -> dict[int, IndicatorNode]:
    nodes = {n.pk: n for n in published_leaves(version) if n.pk in node_ids}
    if len(nodes) != len(node_ids):
        raise ValidationError(_("有指标不属于本次活动的指标体系，或不是末级指标。"))
    return nodes


def _save_sheet(
    model: Any,
    existing: dict[int, Any],
    nodes: dict[int, IndicatorNode],
    values: dict[int, dict[str, Any]],
    new: Any,
    extra: dict[str, Any],
) -> list[dict[str, Any]]:
    """Score every leaf, update or create its record (one bulk query each), and return the
    changes (old → new) for the audit entry. `new(node)` makes a record; `extra` holds the
    other fields to set, where a blank value keeps what the record had."""
    changes = []
    creates, updates = [], []
    for node_id, value in values.items():
        node = nodes[node_id]
        record = existing.get(node_id)
        before = shown(record) if record else None
        if record is None:
            record = new(node)
            creates.append(record)
        else:
            record.version += 1
            updates.append(record)
        record.input = clean_input(value)
        for key, field_value in {**score_fields(node, value), **extra}.items():
            if field_value != "" or key not in extra:
                setattr(record, key, field_value)
        changes.append({"node": node.code, "before": before, "after": shown(record)})
    model.objects.bulk_create(creates)
    fields = ["input", "score", "level", "veto", "version", *extra]
    model.objects.bulk_update(updates, fields)
    return changes


@transaction.atomic
def self_scores_bulk_save(
    *, enrollment: Enrollment, values: dict[int, dict[str, Any]], actor: Actor, narrative: str = ""
) -> int:
    """Save the self-evaluation of many leaves (node id → input) in one go."""
    enrollment = Enrollment.objects.select_related("campaign__indicator_version").get(
        pk=enrollment.pk
    )
    if not rules.is_unit_admin_of(actor, enrollment.unit_id):
        raise PermissionDenied(_("只有本单位联络员可以填报自评。"))
    locked_check(enrollment)
    nodes = _leaves(enrollment.campaign.indicator_version, set(values))
    existing = {
        s.node_id: s for s in SelfScore.objects.filter(enrollment=enrollment, node_id__in=values)
    }
    changes = _save_sheet(
        SelfScore,
        existing,
        nodes,
        values,
        lambda node: SelfScore(enrollment=enrollment, node=node, updated_by=actor.user),
        {"narrative": narrative, "updated_by": actor.user},
    )
    if enrollment.state in (EnrollmentState.NOT_STARTED, EnrollmentState.RETURNED):
        enrollment_transition(enrollment=enrollment, to=EnrollmentState.IN_PROGRESS, actor=actor)
    unit_refresh(enrollment=enrollment)
    return _audited("self_score.bulk_save", actor, enrollment, changes)


def _audited(action: str, actor: Actor, target: Enrollment | Assignment, changes: Any) -> int:
    """Record a sheet's changes in one audit entry; how many leaves changed."""
    audit_record(action=action, actor=actor.user, target=target, extra={"changes": changes})
    return len(changes)


@transaction.atomic
def review_scores_bulk_save(
    *, assignment: Assignment, values: dict[int, dict[str, Any]], actor: Actor, comment: str = ""
) -> int:
    """One reviewer's scores for many leaves of one unit in one go (not yet submitted)."""
    assignment = assignment_open_for_scoring(assignment, actor)
    enrollment = assignment.enrollment
    nodes = _leaves(enrollment.campaign.indicator_version, set(values))
    existing = {
        s.node_id: s
        for s in ReviewScore.objects.filter(
            assignment=assignment, reviewer=actor.user, node_id__in=values
        )
    }
    changes = _save_sheet(
        ReviewScore,
        existing,
        nodes,
        values,
        lambda node: ReviewScore(assignment=assignment, reviewer=actor.user, node=node),
        {"comment": comment},
    )
    return _audited("review_score.bulk_save", actor, assignment, changes)
