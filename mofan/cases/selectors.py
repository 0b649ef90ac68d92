"""Scoped reads of brand cases: every page fetches calls and cases through these.

- Committee staff (工委管理员, 工委领导) read every call and every case of their committees.
- A unit's 联络员 and 单位领导 read the committee's calls once open, and only their own units'
  cases; once a call's selection is published, everyone holding a role in the committee (its
  units' 党员 and the reviewers too) reads its 优秀案例, and nothing else of the other units.
- An expert on a call's panel reads, on the scoring page, the submitted cases not of their own
  units, without the unit's name."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, UNIT_ROLES, Role
from mofan.cases.models import CallState, Case, CaseCall, CaseState
from mofan.organizations.models import Unit

READERS = (*COMMITTEE_STAFF, *UNIT_READERS)  # the roles that open the calls pages


def unit_committees(actor: Actor, roles: tuple[str, ...]) -> set[int]:
    ids = actor.units_with(*roles)
    if not ids:
        return set()
    return set(Unit.objects.filter(pk__in=ids).values_list("committee_id", flat=True))


# who reads a committee's published 优秀案例: its staff and reviewers, and its units' people
# (not the separated duties: the security admin and the auditor read no domain data)
EXCELLENT_READERS = (*COMMITTEE_STAFF, Role.REVIEWER, *UNIT_ROLES)


def member_committees(actor: Actor) -> set[int]:
    """The committees whose 优秀案例 the actor reads: as staff or reviewer of the committee,
    or holding a role in one of its units."""
    staff = actor.committees_with(*COMMITTEE_STAFF, Role.REVIEWER)
    return staff | unit_committees(actor, tuple(UNIT_ROLES))


def calls_for(actor: Actor) -> QuerySet[CaseCall]:
    """Calls the actor reads: its committees' as staff; the open ones of its units' committees
    as a unit's 联络员 or 单位领导."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    units = unit_committees(actor, UNIT_READERS)
    return CaseCall.objects.filter(
        Q(committee_id__in=staff) | (Q(committee_id__in=units) & ~Q(state=CallState.DRAFT))
    )


def calls_managed_by(actor: Actor) -> QuerySet[CaseCall]:
    return CaseCall.objects.filter(committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN))


def cases_for(actor: Actor) -> QuerySet[Case]:
    """Cases the actor reads in full: its committees' as staff (submitted ones), its own
    units' as a unit's 联络员 or 单位领导 (drafts too)."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    units = actor.units_with(*UNIT_READERS)
    return Case.objects.filter(
        Q(call__committee_id__in=staff, state=CaseState.SUBMITTED) | Q(unit_id__in=units)
    ).select_related("call", "unit")


def cases_managed_by(actor: Actor) -> QuerySet[Case]:
    """Cases the actor may edit and submit: its own units' as 联络员."""
    return Case.objects.filter(unit_id__in=actor.units_with(Role.UNIT_ADMIN)).select_related(
        "call", "unit"
    )


def excellent_for(actor: Actor) -> QuerySet[Case]:
    """The published 优秀案例 of every committee the actor holds a role in."""
    return (
        Case.objects.filter(
            excellent=True,
            call__state=CallState.SELECTED,
            call__committee_id__in=member_committees(actor),
        )
        .select_related("call", "unit")
        .order_by("-call__year", "-call_id", "rank", "pk")
    )


def submitting_units(actor: Actor, call: CaseCall) -> QuerySet[Unit]:
    """The units of the call's committee for which the actor may submit (联络员)."""
    return Unit.objects.filter(
        pk__in=actor.units_with(Role.UNIT_ADMIN), committee_id=call.committee_id, is_active=True
    )


def calls_scored_by(actor: Actor) -> QuerySet[CaseCall]:
    """Calls on whose panel the actor sits (as a reviewer of the call's committee)."""
    return CaseCall.objects.filter(
        panel__seats__expert=actor.user,
        committee_id__in=actor.committees_with(Role.REVIEWER),
    ).distinct()
