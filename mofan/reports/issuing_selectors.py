"""What an actor may see of drafts and issued documents: the committee's staff (管理员、领导)
its drafts and everything it issued; a unit's admin or leader only the issued documents
addressed to their own unit (a per-unit document such as the 整改通知书), never a draft."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS
from mofan.reports.models import DocumentDraft, IssuedDocument


def drafts_for(actor: Actor) -> QuerySet[DocumentDraft]:
    return DocumentDraft.objects.filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))


def issued_for(actor: Actor) -> QuerySet[IssuedDocument]:
    own_units = actor.units_with(*UNIT_READERS)
    return IssuedDocument.objects.filter(
        Q(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
        | Q(unit_id__in=own_units, unit__isnull=False)
    )
