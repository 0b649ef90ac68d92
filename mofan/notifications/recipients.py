"""Who is told about what: the people holding a role for a unit or a committee."""

from __future__ import annotations

from mofan.accounts.models import User
from mofan.accounts.roles import Role


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
