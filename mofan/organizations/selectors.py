"""Reads of organisation data, scoped to what the actor may see or change.

This is the one place that decides visibility: committee staff see every unit of their
committee, unit roles see their own unit, everybody else sees nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet

from mofan.accounts.access import Actor, staff_or_unit_readable
from mofan.accounts.models import User
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.core.trees import in_tree_order
from mofan.organizations.models import Committee, Member, PartyOrganization, Unit


def committees_administered_by(actor: Actor) -> QuerySet[Committee]:
    """The committees where the actor is 工委管理员."""
    return Committee.objects.filter(pk__in=actor.committees_with(Role.COMMITTEE_ADMIN))


def committee_administered_by(actor: Actor) -> Committee:
    """The (first) committee the actor administers, for pages that create something in it;
    PermissionDenied when none."""
    committee = committees_administered_by(actor).order_by("pk").first()
    if committee is None:
        raise PermissionDenied
    return committee


def committees_staffed_by(actor: Actor) -> QuerySet[Committee]:
    """The committees where the actor is 工委管理员 or 工委领导."""
    return Committee.objects.filter(pk__in=actor.committees_with(*COMMITTEE_STAFF))


def units_for(actor: Actor) -> QuerySet[Unit]:
    committees = actor.committees_with(*COMMITTEE_STAFF)
    units = actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.MEMBER)
    if not committees and not units:
        return Unit.objects.none()
    return Unit.objects.filter(Q(committee_id__in=committees) | Q(pk__in=units))


def units_administered_by(actor: Actor) -> QuerySet[Unit]:
    """The units where the actor is 单位联络员."""
    return units_for(actor).filter(pk__in=actor.units_with(Role.UNIT_ADMIN))


def units_read_by(actor: Actor) -> QuerySet[Unit]:
    """The units where the actor is 单位联络员 or 单位领导 (sees the unit's own work)."""
    return units_for(actor).filter(pk__in=actor.units_with(*UNIT_READERS))


def active_units_administered_by(actor: Actor) -> QuerySet[Unit]:
    """The units on roll of the committees where the actor is 工委管理员."""
    return Unit.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN), is_active=True
    ).order_by("sort_order", "pk")


def units_editable_by(actor: Actor) -> QuerySet[Unit]:
    return Unit.objects.filter(committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN))


def units_whose_roster_editable_by(actor: Actor) -> QuerySet[Unit]:
    """Units whose party organisations and members the actor may change."""
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    units = actor.units_with(Role.UNIT_ADMIN)
    if not committees and not units:
        return Unit.objects.none()
    return Unit.objects.filter(Q(committee_id__in=committees) | Q(pk__in=units))


def units_whose_roster_visible_to(actor: Actor) -> QuerySet[Unit]:
    """Members' personal data: committee staff and the unit's own admin and leader."""
    return staff_or_unit_readable(Unit, actor, unit_field="pk")


def unit_list(actor: Actor) -> QuerySet[Unit]:
    return (
        units_for(actor)
        .annotate(
            org_count=Count("party_orgs", distinct=True),
            member_count=Count("members", distinct=True),
        )
        .order_by("sort_order", "id")
    )


def party_orgs_for(actor: Actor) -> QuerySet[PartyOrganization]:
    return PartyOrganization.objects.filter(unit__in=units_for(actor)).select_related(
        "secretary", "parent", "unit"
    )


def party_orgs_editable_by(actor: Actor) -> QuerySet[PartyOrganization]:
    return PartyOrganization.objects.filter(unit__in=units_whose_roster_editable_by(actor))


def party_org_tree(unit: Unit) -> list[tuple[PartyOrganization, int]]:
    """The unit's organisations in tree order with their depth, from one query."""
    orgs = list(
        PartyOrganization.objects.filter(unit=unit)
        .select_related("secretary")
        .prefetch_related(Prefetch("committee_members", queryset=Member.objects.only("name")))
        .annotate(member_count=Count("members", distinct=True))
        .order_by("sort_order", "id")
    )
    return in_tree_order(orgs)


def members_for(actor: Actor) -> QuerySet[Member]:
    return Member.objects.filter(unit__in=units_whose_roster_visible_to(actor)).select_related(
        "party_org", "unit"
    )


def members_editable_by(actor: Actor) -> QuerySet[Member]:
    return Member.objects.filter(unit__in=units_whose_roster_editable_by(actor))


def units_whose_accounts_linkable_by(actor: Actor) -> QuerySet[Unit]:
    """Units whose members the actor may link to their 党员 accounts: the committee admin's
    units and the unit's own 联络员 and 单位领导."""
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    units = actor.units_with(*UNIT_READERS)
    if not committees and not units:
        return Unit.objects.none()
    return Unit.objects.filter(Q(committee_id__in=committees) | Q(pk__in=units))


def members_linkable_by(actor: Actor) -> QuerySet[Member]:
    """Members whose account link the actor may set or remove."""
    return Member.objects.filter(unit__in=units_whose_accounts_linkable_by(actor))


def member_accounts_of(unit_id: int) -> QuerySet[User]:
    """The unit's active 党员 accounts (those a member of the unit may be linked to)."""
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__role=Role.MEMBER,
            role_assignments__unit_id=unit_id,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def accounts_linkable_to(member: Member) -> QuerySet[User]:
    """The unit's 党员 accounts `member` may be linked to: those linked to no member yet."""
    return member_accounts_of(member.unit_id).filter(member__isnull=True)


def elections_due(actor: Actor, *, today: object = None) -> QuerySet[PartyOrganization]:
    """Organisations whose 换届 is overdue or due within 90 days."""
    import datetime

    from django.utils import timezone

    from mofan.organizations.models import ELECTION_WARNING_DAYS

    day = today if isinstance(today, datetime.date) else timezone.localdate()
    horizon = day + datetime.timedelta(days=ELECTION_WARNING_DAYS)
    return party_orgs_for(actor).filter(election_due_on__lte=horizon).order_by("election_due_on")
