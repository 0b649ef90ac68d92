"""Reads of accounts, scoped to what the actor may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.models import AccountBatch, RoleAssignment, User
from mofan.accounts.roles import GRANTABLE_BY_COMMITTEE_ADMIN, Role
from mofan.organizations.models import Unit


def accounts_for(actor: Actor) -> QuerySet[User]:
    """Security administrators see every account of their committee; committee admins see the
    accounts they may manage (none holding a separated-duty role)."""
    security = actor.committees_with(Role.SECURITY_ADMIN)
    admin = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not security and not admin:
        return User.objects.none()
    privileged = RoleAssignment.objects.filter(user=OuterRef("pk")).exclude(
        role__in=GRANTABLE_BY_COMMITTEE_ADMIN
    )
    condition = Q(committee_id__in=security) | (Q(committee_id__in=admin) & ~Exists(privileged))
    return (
        User.objects.filter(condition)
        .exclude(pk=actor.user.pk)
        .prefetch_related(
            Prefetch(
                "role_assignments",
                queryset=RoleAssignment.objects.select_related("unit").order_by("role"),
            )
        )
        .order_by("username")
    )


def units_for_grants(actor: Actor) -> QuerySet[Unit]:
    """Units a unit role may be granted for: those of the committees whose accounts the actor
    manages (the security administrator sees no unit data otherwise, yet grants unit roles)."""
    committees = actor.committees_with(Role.SECURITY_ADMIN, Role.COMMITTEE_ADMIN)
    return Unit.objects.filter(committee_id__in=committees).order_by("sort_order", "id")


def account_batches_for(actor: Actor) -> QuerySet[AccountBatch]:
    """The bulk creations the actor asked for: their initial passwords are for them alone."""
    return AccountBatch.objects.filter(requested_by=actor.user)
