"""Who is told about what: the people holding a role for a unit or a committee."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role

CHUNK = 5000


def unit_people(unit_id: int, roles: tuple[str, ...] = (Role.UNIT_ADMIN, Role.UNIT_LEADER)):
    return User.objects.filter(
        is_active=True, role_assignments__unit_id=unit_id, role_assignments__role__in=roles
    ).distinct()


def committee_people(committee_id: int, roles: tuple[str, ...] = (Role.COMMITTEE_ADMIN,)):
    return User.objects.filter(
        is_active=True,
        role_assignments__committee_id=committee_id,
        role_assignments__unit__isnull=True,
        role_assignments__role__in=roles,
    ).distinct()


def notified_of(key: str):
    """The active people who were sent the notice `key` (e.g. told of a publication, so told
    again when it is withdrawn)."""
    from mofan.notifications.models import Notice

    return User.objects.filter(
        is_active=True, pk__in=Notice.objects.filter(key=key).values("recipient_id")
    )


def units_people(
    unit_ids: Iterable[int], roles: tuple[str, ...] = (Role.UNIT_ADMIN, Role.UNIT_LEADER)
) -> dict[int, list[User]]:
    """The people holding `roles` for each of many units: unit id → users, in two queries per
    5,000 units (SQLite's limit on the parameters of one query stays far)."""
    ids = sorted(set(unit_ids))
    pairs = [
        pair
        for start in range(0, len(ids), CHUNK)
        for pair in RoleAssignment.objects.filter(
            unit_id__in=ids[start : start + CHUNK], role__in=roles, user__is_active=True
        )
        .values_list("unit_id", "user_id")
        .distinct()
    ]
    users = User.objects.in_bulk({user_id for _unit, user_id in pairs})
    found: dict[int, list[User]] = defaultdict(list)
    for unit_id, user_id in sorted(pairs):
        found[unit_id].append(users[user_id])
    return dict(found)
