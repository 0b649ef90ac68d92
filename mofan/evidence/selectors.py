"""Who sees which evidence files.

A unit's own readers and its committee's staff see the unit's files; the apps that link files
to their records may grant more readers (a reviewer sees the files of the enrollments assigned
to them) by registering a condition from their `extensions.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.evidence.models import Evidence

# A condition on Evidence under which the actor may also open a file, or None.
ReaderGrant = Callable[[Actor], Q | None]
_READER_GRANTS: list[ReaderGrant] = []


def register_readers(grant: ReaderGrant) -> None:
    if grant not in _READER_GRANTS:
        _READER_GRANTS.append(grant)


def evidence_for(actor: Actor) -> QuerySet[Evidence]:
    """Files the actor may open: its own unit's, its committee's (staff), and those the
    registered grants add (for example files linked to enrollments assigned to a reviewer)."""
    if not actor.roles:
        return Evidence.objects.none()
    condition = Q(unit__committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
    condition |= Q(unit_id__in=actor.units_with(*UNIT_READERS))
    for grant in _READER_GRANTS:
        extra = grant(actor)
        if extra is not None:
            condition |= extra
    return Evidence.objects.filter(condition).distinct()


def evidence_managed_by(actor: Actor) -> QuerySet[Evidence]:
    """Files the actor may upload, link and unlink: its own unit's, as unit admin."""
    return Evidence.objects.filter(unit_id__in=actor.units_with(Role.UNIT_ADMIN))
