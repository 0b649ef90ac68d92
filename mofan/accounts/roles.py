"""Roles (DOMAIN.md §1) and the rules that tie them together."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMITTEE_ADMIN = "committee_admin", _("工委管理员")
    COMMITTEE_LEADER = "committee_leader", _("工委领导")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDITOR = "auditor", _("审计员")
    REVIEWER = "reviewer", _("评审组成员")
    UNIT_ADMIN = "unit_admin", _("单位联络员")
    UNIT_LEADER = "unit_leader", _("单位领导")
    MEMBER = "member", _("党员")


# Roles held for a whole committee, and roles held for one unit.
COMMITTEE_ROLES = frozenset(
    {Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER, Role.SECURITY_ADMIN, Role.AUDITOR, Role.REVIEWER}
)
UNIT_ROLES = frozenset({Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.MEMBER})

# Role groups, defined once: the committee's staff (who see every unit of the committee) and
# the unit's own readers (who see the unit's submissions and members' data).
COMMITTEE_STAFF = (Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER)
UNIT_READERS = (Role.UNIT_ADMIN, Role.UNIT_LEADER)

# 三权分立: system administrator, security administrator and auditor never share an account.
SEPARATED_DUTIES = frozenset({Role.COMMITTEE_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})

# Who grants which role (docs/security.md, "Who grants which role"): committee-level roles only
# the security administrator; the committee admin (system administrator) only unit roles, and
# it manages (resets, disables) only accounts that hold nothing else.
GRANTABLE_BY_COMMITTEE_ADMIN = UNIT_ROLES
GRANT_POLICY: dict[str, frozenset[str]] = {
    Role.SECURITY_ADMIN: frozenset(Role.values),
    Role.COMMITTEE_ADMIN: GRANTABLE_BY_COMMITTEE_ADMIN,
}


def grantable_by(held: set[str] | frozenset[str]) -> frozenset[str]:
    """The roles an actor holding `held` (for a committee) may grant there."""
    return frozenset().union(*(GRANT_POLICY.get(role, frozenset()) for role in held))


def conflicting_role(existing: set[str], new: str) -> str | None:
    """The held role that forbids adding `new`, if any."""
    if new == Role.AUDITOR and existing - {Role.AUDITOR}:
        return next(iter(sorted(existing - {Role.AUDITOR})))
    if Role.AUDITOR in existing and new != Role.AUDITOR:
        return Role.AUDITOR
    if new in SEPARATED_DUTIES:
        clash = (existing & SEPARATED_DUTIES) - {new}
        if clash:
            return next(iter(sorted(clash)))
    return None
