"""The system as an actor, for exports run without a person (scheduled jobs, the `export`
command without --user).

`system_actor(committee_id)` holds the committee-admin role for that one committee and nothing
else, so every scoped selector gives it exactly what the committee's administrator sees. Its
user is an unsaved `User` named "system" (no primary key, no roles in the database, cannot log
in). Audit entries written for it carry no actor id and the actor name "system":
`audit_identity(actor)` returns the keyword arguments for `audit.services.audit_record`.
"""

from __future__ import annotations

from typing import Any

from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import Role

SYSTEM_USERNAME = "system"


def system_actor(committee_id: int) -> Actor:
    user = User(username=SYSTEM_USERNAME, full_name="系统", is_active=False)
    return Actor(
        user=user,
        roles=frozenset({Role.COMMITTEE_ADMIN}),
        committee_roles={committee_id: frozenset({Role.COMMITTEE_ADMIN})},
    )


def is_system(actor: Actor) -> bool:
    return actor.user.pk is None and actor.user.get_username() == SYSTEM_USERNAME


def audit_identity(actor: Actor) -> dict[str, Any]:
    """`actor=` and `actor_name=` for `audit_record`: the person, or no one named "system"."""
    if is_system(actor):
        return {"actor": None, "actor_name": SYSTEM_USERNAME}
    return {"actor": actor.user}


__all__ = ["SYSTEM_USERNAME", "audit_identity", "is_system", "system_actor"]
