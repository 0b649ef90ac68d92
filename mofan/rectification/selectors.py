"""Reads of problem-list items, scoped to what the actor may see.

Committee staff (admin, leader) see every item of their committee; a unit's admin and leader see
their own unit's items; everybody else sees none. A unit never sees another unit's items.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.rectification.models import ProblemItem

STAFF = (Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER)
UNIT_READERS = (Role.UNIT_ADMIN, Role.UNIT_LEADER)


def problem_items_for(actor: Actor) -> QuerySet[ProblemItem]:
    committees = actor.committees_with(*STAFF)
    units = actor.units_with(*UNIT_READERS)
    if not committees and not units:
        return ProblemItem.objects.none()
    return ProblemItem.objects.filter(Q(committee_id__in=committees) | Q(unit_id__in=units))
