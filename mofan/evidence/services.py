"""The services of the evidence store: upload (checked, stored once per unit) and delete.

A file is uploaded once per unit (identical content is recognised by its SHA-256) and may then be
used by other apps (linked to indicators, a 实施方案, the evidence of a problem item or of a
progress report). Those apps say so through `mofan.evidence.usage`; a file in use is not deleted.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.evidence import usage
from mofan.evidence.checks import DEFAULT_MAX_MB, CheckedEvidence, check_evidence
from mofan.evidence.models import Evidence
from mofan.evidence.storage import remove, store
from mofan.organizations.models import Unit

# The audit trail keeps the object type it recorded before the model left `evaluations`.
AUDIT_OBJECT_TYPE = "evaluations.evidence"


def require_unit_admin(actor: Actor, unit_id: int) -> None:
    if not rules.is_unit_admin_of(actor, unit_id):
        raise PermissionDenied


def _evidence_data(evidence: Evidence) -> dict[str, Any]:
    return {
        "unit": evidence.unit_id,
        "name": evidence.original_name,
        "kind": evidence.kind,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "stored_name": evidence.stored_name,
    }


def _record_duplicate(existing: Evidence, checked: CheckedEvidence, actor: Actor) -> None:
    with transaction.atomic():
        audit_record(
            action="evidence.upload.duplicate",
            actor=actor.user,
            target=existing,
            object_type=AUDIT_OBJECT_TYPE,
            extra={"name": checked.name, "sha256": checked.sha256, "size": checked.size},
        )


def evidence_upload(
    *, unit: Unit, upload: UploadedFile, actor: Actor, max_mb: int = DEFAULT_MAX_MB
) -> tuple[Evidence, bool]:
    """Check and store a file for the unit. Identical content already uploaded by the unit
    returns the existing row (and no second file): the bool says whether a row was created."""
    require_unit_admin(actor, unit.pk)
    checked = check_evidence(upload, max_mb=max_mb, actor=actor)
    existing = Evidence.objects.filter(unit_id=unit.pk, sha256=checked.sha256).first()
    if existing is not None:
        _record_duplicate(existing, checked, actor)
        return existing, False
    stored_name = store(checked.content, unit.pk, checked.kind)
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                unit_id=unit.pk,
                sha256=checked.sha256,
                original_name=checked.name,
                stored_name=stored_name,
                kind=checked.kind,
                size=checked.size,
                uploaded_by=actor.user,
            )
            audit_record(
                action="evidence.upload",
                actor=actor.user,
                target=evidence,
                object_type=AUDIT_OBJECT_TYPE,
                after=_evidence_data(evidence),
            )
    except IntegrityError:
        # The same content arrived in a concurrent request: keep that one.
        remove(stored_name)
        existing = Evidence.objects.filter(unit_id=unit.pk, sha256=checked.sha256).first()
        if existing is None:
            raise
        _record_duplicate(existing, checked, actor)
        return existing, False
    except BaseException:
        remove(stored_name)
        raise
    # If an enclosing transaction rolls back later, or the worker is killed before the commit,
    # the file stays behind with no row: never served, and deleted by the orphan sweep
    # (mofan/core/files.py, `manage.py media_sweep`).
    return evidence, True


def evidence_delete(*, evidence: Evidence, actor: Actor) -> None:
    """Delete a file nothing points to; the stored file goes when the transaction commits."""
    require_unit_admin(actor, evidence.unit_id)
    with transaction.atomic():
        current = Evidence.objects.select_for_update().get(pk=evidence.pk)
        usage.refuse_if_in_use(current)
        before = _evidence_data(current)
        evidence_id = current.pk
        stored_name = current.stored_name
        current.delete()
        audit_record(
            action="evidence.delete",
            actor=actor.user,
            object_type=AUDIT_OBJECT_TYPE,
            object_id=evidence_id,
            before=before,
        )
        transaction.on_commit(lambda: remove(stored_name))
