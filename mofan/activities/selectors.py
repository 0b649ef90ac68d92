"""What an actor may read and write of the activity ledger: committee staff read their
committee's units' records; a unit's 联络员 and 单位领导 read and write their own unit's; a 党员
linked to their roster row (`User.member`) reads the records they are on as present and writes
their own one-person records (`own_member`, `records_of_member`, `own_person_records`)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.activities.models import (
    ActivityImport,
    ActivityKind,
    ActivityRecord,
    Attendance,
    Participation,
)
from mofan.evidence.models import Evidence
from mofan.organizations.models import Member, PartyOrganization, Unit


def records_for(actor: Actor) -> QuerySet[ActivityRecord]:
    """Records the actor may see."""
    return ActivityRecord.objects.filter(
        Q(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
        | Q(unit_id__in=actor.units_with(*UNIT_READERS))
    )


def records_writable_by(actor: Actor) -> QuerySet[ActivityRecord]:
    """Records the actor may change: those of the units whose 联络员 or 单位领导 they are."""
    return ActivityRecord.objects.filter(unit_id__in=actor.units_with(*UNIT_READERS))


def writes_ledger(actor: Actor) -> bool:
    return bool(actor.units_with(*UNIT_READERS))


def reads_ledger(actor: Actor) -> bool:
    return writes_ledger(actor) or bool(actor.committees_with(*COMMITTEE_STAFF))


def imports_for(actor: Actor) -> QuerySet[ActivityImport]:
    """The sheets the actor asked to import: an import's page is for its requester alone."""
    return ActivityImport.objects.filter(requested_by=actor.user)


def orgs_writable_by(actor: Actor) -> QuerySet[PartyOrganization]:
    return PartyOrganization.objects.filter(
        unit_id__in=actor.units_with(*UNIT_READERS)
    ).select_related("unit")


def orgs_readable_by(actor: Actor) -> QuerySet[PartyOrganization]:
    return PartyOrganization.objects.filter(
        Q(unit__committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
        | Q(unit_id__in=actor.units_with(*UNIT_READERS))
    )


def kinds_for(committee_id: int, *, active: bool = True) -> QuerySet[ActivityKind]:
    """The built-in kinds and the committee's own."""
    kinds = ActivityKind.objects.filter(Q(committee__isnull=True) | Q(committee_id=committee_id))
    return kinds.filter(is_active=True) if active else kinds


def kinds_of_actor(actor: Actor) -> QuerySet[ActivityKind]:
    """Every kind the actor's committees use (for filters)."""
    committees = actor.committees_with(*COMMITTEE_STAFF) | {
        u.committee_id for u in Unit.objects.filter(pk__in=actor.units_with(*UNIT_READERS))
    }
    return ActivityKind.objects.filter(Q(committee__isnull=True) | Q(committee_id__in=committees))


def roster_of(org: PartyOrganization) -> list[Member]:
    """Whom a record of `org` may list: the unit's roll, the organisation's own members first."""
    members = list(Member.objects.filter(unit_id=org.unit_id).select_related("party_org"))
    members.sort(key=lambda m: (m.party_org_id != org.pk, m.party_org_id or 0, m.pk))
    return members


def unit_files(unit_id: int) -> QuerySet[Evidence]:
    """The unit's evidence library, newest first (a record links files from it)."""
    return Evidence.objects.filter(unit_id=unit_id).order_by("-uploaded_at", "-pk")


# --- a member's own records (我的活动) ------------------------------------------------------


def is_linked_member(actor: Actor) -> bool:
    """A 党员 account linked to a roster row (no query: the menu asks on every page; the pages
    check the row's unit with `own_member`)."""
    return actor.user.is_authenticated and (
        getattr(actor.user, "member_id", None) is not None and bool(actor.units_with(Role.MEMBER))
    )


def own_member(actor: Actor) -> Member | None:
    """The roster row the actor is, when the account is linked to a member of a unit where it
    holds the role 党员; None otherwise."""
    member_id = getattr(actor.user, "member_id", None)
    if member_id is None or not is_linked_member(actor):
        return None
    return (
        Member.objects.filter(pk=member_id, unit_id__in=actor.units_with(Role.MEMBER))
        .select_related("unit", "party_org")
        .first()
    )


def records_of_member(member: Member) -> QuerySet[ActivityRecord]:
    """The records of the member's unit on which the member is present: their own one-person
    records and the meetings they attended."""
    present = Participation.objects.filter(
        record_id=OuterRef("pk"), member_id=member.pk, present=True
    )
    return ActivityRecord.objects.filter(Exists(present), unit_id=member.unit_id)


def own_person_records(member: Member) -> QuerySet[ActivityRecord]:
    """The member's own one-person records (those they may correct or delete)."""
    return records_of_member(member).filter(kind__attendance=Attendance.PERSON)


def person_kinds_for(member: Member) -> QuerySet[ActivityKind]:
    """The kinds a member records for themself: the active one-person kinds of their committee."""
    return kinds_for(member.unit.committee_id).filter(attendance=Attendance.PERSON)
