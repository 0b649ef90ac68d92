"""Who the actor is and what it may see: the single access layer.

Selectors in every app build their querysets from an Actor; views never filter by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Actor:
    user: User
    roles: frozenset[str] = frozenset()
    # committee id -> roles held for the whole committee
    committee_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    # unit id -> roles held for that unit
    unit_roles: dict[int, frozenset[str]] = field(default_factory=dict)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def committees_with(self, *roles: str) -> set[int]:
        return {cid for cid, held in self.committee_roles.items() if held.intersection(roles)}

    def units_with(self, *roles: str) -> set[int]:
        return {uid for uid, held in self.unit_roles.items() if held.intersection(roles)}

    @property
    def is_committee_staff(self) -> bool:
        return self.has(Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER)

    @property
    def home_unit_id(self) -> int | None:
        units = sorted(self.unit_roles)
        return units[0] if units else None


ANONYMOUS_ROLES: frozenset[str] = frozenset()


def actor_for(user: User) -> Actor:
    """Load the actor's roles in one query."""
    if not user.is_authenticated or not user.is_active:
        return Actor(user=user)
    committee_roles: dict[int, set[str]] = {}
    unit_roles: dict[int, set[str]] = {}
    roles: set[str] = set()
    for role, committee_id, unit_id in RoleAssignment.objects.filter(user=user).values_list(
        "role", "committee_id", "unit_id"
    ):
        roles.add(role)
        if unit_id is None:
            committee_roles.setdefault(committee_id, set()).add(role)
        else:
            unit_roles.setdefault(unit_id, set()).add(role)
    return Actor(
        user=user,
        roles=frozenset(roles),
        committee_roles={k: frozenset(v) for k, v in committee_roles.items()},
        unit_roles={k: frozenset(v) for k, v in unit_roles.items()},
    )


def actor_of(request: Any) -> Actor:
    """The actor `AccountPolicyMiddleware` attached to the request."""
    return request.actor


def staff_or_unit_readable(
    model: type[M], actor: Actor, *, unit_field: str = "unit_id"
) -> QuerySet[M]:
    """The rows of `model` the actor reads: its committees' (`committee_id`) as committee staff,
    its units' (`unit_field`) as a unit's admin or leader; none for anyone else."""
    committees = actor.committees_with(*COMMITTEE_STAFF)
    units = actor.units_with(*UNIT_READERS)
    if not committees and not units:
        return model._default_manager.none()
    return model._default_manager.filter(
        Q(committee_id__in=committees) | Q(**{f"{unit_field}__in": units})
    )
