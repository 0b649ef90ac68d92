"""Scoped reads of honours: every page fetches programmes and nominations through these.

- Committee staff (工委管理员, 工委领导) see every programme and nomination of their committees.
- A unit's 联络员 and 单位领导 see the programmes of their units' committees once they are open
  (never a draft) and only their own units' nominations.
- Anyone holding a role in a unit of the committee (党员 too) and the committee staff read the
  公示 list of a programme in 公示 or named; nobody else."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, UNIT_ROLES, Role
from mofan.honours.models import (
    HonourProgramme,
    Nomination,
    NominationState,
    Objection,
    ProgrammeState,
    VetoInput,
)
from mofan.organizations.models import Unit

PUBLIC_STATES = (ProgrammeState.PUBLICITY, ProgrammeState.NAMED)
SHOWN_NOMINATIONS = (NominationState.SELECTED, NominationState.NAMED, NominationState.REVOKED)
# the roles that open any honours page (the pages scope further); others are refused (403)
READERS = (*COMMITTEE_STAFF, *UNIT_ROLES)


def unit_committees(actor: Actor, roles: tuple[str, ...]) -> set[int]:
    ids = actor.units_with(*roles)
    if not ids:
        return set()
    return set(Unit.objects.filter(pk__in=ids).values_list("committee_id", flat=True))


def programmes_for(actor: Actor) -> QuerySet[HonourProgramme]:
    """The programmes the actor reads: its committees' as staff; the open ones of its units'
    committees as a unit's admin or leader."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    units = unit_committees(actor, UNIT_READERS)
    return HonourProgramme.objects.filter(
        Q(committee_id__in=staff) | (Q(committee_id__in=units) & ~Q(state=ProgrammeState.DRAFT))
    )


def programmes_managed_by(actor: Actor) -> QuerySet[HonourProgramme]:
    """The programmes the actor runs: its committees' as 工委管理员."""
    return HonourProgramme.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    )


def publicity_programmes_for(actor: Actor) -> QuerySet[HonourProgramme]:
    """Programmes whose 公示 list the actor reads: in 公示 or named, of a committee the actor is
    staff of or holds any unit role in."""
    committees = actor.committees_with(*COMMITTEE_STAFF) | unit_committees(actor, tuple(UNIT_ROLES))
    return HonourProgramme.objects.filter(committee_id__in=committees, state__in=PUBLIC_STATES)


def public_programmes() -> QuerySet[HonourProgramme]:
    """Programmes whose 公示 (or, once named, 命名) list anyone may read without an account:
    the list is public by nature; nothing else of the programme is shown with it."""
    return HonourProgramme.objects.filter(state__in=PUBLIC_STATES).select_related("committee")


def nominations_for(actor: Actor) -> QuerySet[Nomination]:
    """Nominations the actor reads: its committees' as staff, its own units' as a unit's admin
    or leader (of programmes it may read)."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    units = actor.units_with(*UNIT_READERS)
    return Nomination.objects.filter(
        Q(programme__committee_id__in=staff)
        | (Q(unit_id__in=units) & ~Q(programme__state=ProgrammeState.DRAFT))
    ).select_related("programme", "unit")


def nominations_managed_by(actor: Actor) -> QuerySet[Nomination]:
    return Nomination.objects.filter(
        programme__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).select_related("programme", "unit")


def publicity_list(programme: HonourProgramme) -> QuerySet[Nomination]:
    """The candidates on a programme's 公示 list (and, once named, the named and revoked)."""
    return (
        programme.nominations.filter(state__in=SHOWN_NOMINATIONS)
        .select_related("unit")
        .order_by("unit__sort_order", "unit_id", "pk")
    )


def public_nominations_for(actor: Actor) -> QuerySet[Nomination]:
    """Nominations on a 公示 list the actor reads (to lodge an objection against)."""
    return Nomination.objects.filter(
        programme__in=publicity_programmes_for(actor), state__in=SHOWN_NOMINATIONS
    ).select_related("programme", "unit")


def objections_managed_by(actor: Actor) -> QuerySet[Objection]:
    return Objection.objects.filter(
        nomination__programme__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).select_related("nomination__programme")


def own_objections(actor: Actor, programme: HonourProgramme) -> QuerySet[Objection]:
    """The objections the actor lodged on a programme (a unit's people see only their own)."""
    return Objection.objects.filter(nomination__programme=programme, lodged_by=actor.user)


def nominating_units(actor: Actor, programme: HonourProgramme) -> QuerySet[Unit]:
    """The units of the programme's committee for which the actor may nominate (联络员)."""
    return Unit.objects.filter(
        pk__in=actor.units_with(Role.UNIT_ADMIN), committee_id=programme.committee_id
    ).filter(is_active=True)


# --- histories and the register: the honours named (and those since revoked) -----------------
HONOURED = (NominationState.NAMED, NominationState.REVOKED)


def honours_readable_by(actor: Actor) -> QuerySet[Nomination]:
    """Named honours (and revoked ones) the actor reads in a history: those of the named
    programmes whose list the actor reads (committee staff, anyone holding a unit role in a
    unit of the committee), newest first."""
    return (
        Nomination.objects.filter(
            programme__in=publicity_programmes_for(actor),
            programme__state=ProgrammeState.NAMED,
            state__in=HONOURED,
        )
        .select_related("programme", "unit")
        .order_by("-programme__year", "-programme__named_on", "-programme_id", "pk")
    )


def register_committees(actor: Actor) -> set[int]:
    """Committees whose register the actor exports: as staff all of it, as a unit's 联络员 or
    单位领导 the rows of its own units (`register_for`)."""
    return set(actor.committees_with(*COMMITTEE_STAFF)) | unit_committees(actor, UNIT_READERS)


def register_years(committee_ids: set[int]) -> list[int]:
    """The years in which the committees named honours, newest first."""
    years = HonourProgramme.objects.filter(
        committee_id__in=committee_ids, state=ProgrammeState.NAMED
    ).values_list("year", flat=True)
    return sorted(set(years), reverse=True)


def register_for(actor: Actor, committee_id: int, year: int) -> QuerySet[Nomination]:
    """The honours register of a committee and a year: every honour named (and revoked) that
    the actor reads, i.e. the committee's as staff, its own units' as a unit's admin or
    leader, in programme and unit order."""
    return (
        nominations_for(actor)
        .filter(
            programme__committee_id=committee_id,
            programme__year=year,
            programme__state=ProgrammeState.NAMED,
            state__in=HONOURED,
        )
        .select_related("member", "party_org")
        .order_by("programme__name", "programme_id", "unit__sort_order", "unit_id", "pk")
    )


# --- the naming decision (reports.documents.honours_naming) ------------------------------------
def named_now(programme: HonourProgramme) -> QuerySet[Nomination]:
    """The honours of a programme as they stand: its nominations in state 已命名 (neither those
    left out at 公示 or by a veto, nor those since revoked), in the committee's order of units."""
    return (
        programme.nominations.filter(state=NominationState.NAMED)
        .select_related("unit", "party_org", "member")
        .order_by("unit__sort_order", "unit_id", "pk")
    )


def consulted_sources(programme: HonourProgramme) -> set[str]:
    """The departments (`VetoSource` values) whose replies were recorded on the programme."""
    return set(
        VetoInput.objects.filter(nomination__programme=programme).values_list("source", flat=True)
    )
