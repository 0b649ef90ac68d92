"""Reads for campaign pages: progress per unit in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from mofan.campaigns.models import Campaign, Enrollment, TaskStatus
from mofan.indicators.methods import OPTIONAL_IN_SELF
from mofan.indicators.models import IndicatorNode


def scored_leaf_count(campaign: Campaign) -> int:
    return (
        IndicatorNode.objects.filter(
            version_id=campaign.indicator_version_id, children__isnull=True
        )
        .exclude(method__type__in=OPTIONAL_IN_SELF)
        .count()
    )


def progress_rows(enrollments: Any) -> list[Enrollment]:
    """Enrollments annotated with how far each unit is (self scores, evidence links, tasks)."""
    return list(
        enrollments.select_related("unit", "assignment__group")
        .annotate(
            self_done=Count("self_scores", distinct=True),
            evidence_count=Count("evidence_links", distinct=True),
            task_total=Count("tasks", distinct=True),
            task_done=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE), distinct=True),
        )
        .order_by("unit__sort_order", "pk")
    )
