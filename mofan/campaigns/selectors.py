"""Reads for campaign pages: progress per unit in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from mofan.campaigns.administration import EXTENDABLE
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState, TaskStatus
from mofan.indicators.methods import OPTIONAL_IN_SELF
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import Unit


def taking_part(campaign: Campaign | int) -> QuerySet[Enrollment]:
    """The campaign's enrollments but the withdrawn ones (已退出): the units that take part,
    the base of the 先进 quota and of "共有N个单位参加". A withdrawn unit left before it ever
    submitted, so it is outside the field."""
    return Enrollment.objects.filter(campaign=campaign).exclude(state=EnrollmentState.WITHDRAWN)


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


def units_to_enrol(campaign: Campaign) -> Any:
    """The committee's active units not yet in `campaign` (the choices of "增加单位")."""
    return (
        Unit.objects.filter(committee_id=campaign.committee_id, is_active=True)
        .exclude(enrollments__campaign=campaign)
        .order_by("sort_order", "pk")
    )


def extendable(enrollments: Any, campaign: Campaign) -> Any:
    """Of the actor's `enrollments` (already scoped), those of `campaign` whose self-evaluation
    is still with the unit: they may be extended or, never submitted, withdrawn."""
    return enrollments.filter(campaign=campaign, state__in=EXTENDABLE)
