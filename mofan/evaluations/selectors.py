"""Who sees which evaluation records: the single access layer for campaigns' unit data.

- committee staff (admin, leader) see every enrollment of their committee's campaigns;
- a unit's admin and leader see their own unit's enrollments (the member role does not);
- a reviewer sees only the enrollments assigned to a review group they sit in or lead.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.models import Assignment


def _reviewer_q(actor: Actor, prefix: str = "") -> Q:
    user_id = actor.user.pk
    return Q(**{f"{prefix}assignment__group__seats__reviewer_id": user_id}) | Q(
        **{f"{prefix}assignment__group__leader_id": user_id}
    )


def campaigns_for(actor: Actor) -> QuerySet[Campaign]:
    condition = Q(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
    units = actor.units_with(*UNIT_READERS)
    if units:
        condition |= Q(enrollments__unit_id__in=units)
    if actor.has(Role.REVIEWER):
        condition |= Q(review_groups__seats__reviewer_id=actor.user.pk) | Q(
            review_groups__leader_id=actor.user.pk
        )
    if not actor.roles:
        return Campaign.objects.none()
    return Campaign.objects.filter(condition).distinct()


def campaigns_staffed_by(actor: Actor) -> QuerySet[Campaign]:
    """The campaigns of the committees where the actor is committee staff (admin, leader)."""
    return Campaign.objects.filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))


def campaigns_managed_by(actor: Actor) -> QuerySet[Campaign]:
    return Campaign.objects.filter(committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN))


def enrollments_for(actor: Actor) -> QuerySet[Enrollment]:
    if not actor.roles:
        return Enrollment.objects.none()
    condition = Q(campaign__committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
    condition |= Q(unit_id__in=actor.units_with(*UNIT_READERS))
    if actor.has(Role.REVIEWER):
        condition |= _reviewer_q(actor)
    return Enrollment.objects.filter(condition).distinct()


def enrollments_administered_by(actor: Actor) -> QuerySet[Enrollment]:
    """The enrollments of the campaigns the actor runs as committee admin (return, extend)."""
    return Enrollment.objects.filter(
        campaign__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    )


def enrollments_of_own_units(actor: Actor) -> QuerySet[Enrollment]:
    """The enrollments of the units where the actor is 联络员 or 单位领导 (the unit side)."""
    return Enrollment.objects.filter(unit_id__in=actor.units_with(*UNIT_READERS))


def enrollments_staffed_by(actor: Actor) -> QuerySet[Enrollment]:
    """The enrollments of the campaigns run by the committees the actor staffs."""
    return Enrollment.objects.filter(
        campaign__committee_id__in=actor.committees_with(*COMMITTEE_STAFF)
    )


def enrollments_filled_by(actor: Actor) -> QuerySet[Enrollment]:
    """Where the actor fills in the self-evaluation: the unit's own admin."""
    return Enrollment.objects.filter(unit_id__in=actor.units_with(Role.UNIT_ADMIN))


def enrollments_submitted_by(actor: Actor) -> QuerySet[Enrollment]:
    """Where the actor confirms and submits: the unit's leader (第一责任人)."""
    return Enrollment.objects.filter(unit_id__in=actor.units_with(Role.UNIT_LEADER))


def assignments_for_reviewer(actor: Actor) -> QuerySet[Assignment]:
    user_id = actor.user.pk
    return Assignment.objects.filter(
        Q(group__seats__reviewer_id=user_id) | Q(group__leader_id=user_id)
    ).distinct()


def assignments_led_by(actor: Actor) -> QuerySet[Assignment]:
    return Assignment.objects.filter(group__leader_id=actor.user.pk)


def evidence_reviewed_by(actor: Actor) -> Q | None:
    """The evidence files a reviewer may open besides those of `evidence.selectors.evidence_for`:
    those linked to enrollments assigned to the actor (registered in extensions.py)."""
    if not actor.has(Role.REVIEWER):
        return None
    return Q(links__enrollment__in=enrollments_for(actor).filter(_reviewer_q(actor)))
