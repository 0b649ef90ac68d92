"""Reads of the audit trail: only the auditor reads it (三权分立). The trail itself is the
bottom layer (`mofan.audit`); reading it is scoped by role, so the reads live with the roles."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry


def entries_for(actor: Actor) -> QuerySet[AuditEntry]:
    """The auditor's own committees' entries, and platform-wide ones (no committee)."""
    committees = actor.committees_with(Role.AUDITOR)
    if not committees:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(Q(committee_id__in=committees) | Q(committee_id__isnull=True))


def filter_entries(
    entries: QuerySet[AuditEntry],
    *,
    actor_name: str = "",
    action: str = "",
    result: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    if actor_name:
        entries = entries.filter(actor_name__icontains=actor_name)
    if action:
        entries = entries.filter(action__startswith=action)
    if result:
        entries = entries.filter(result=result)
    if date_from:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries
