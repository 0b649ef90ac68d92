"""Which evidence files are in use, without `evidence` importing the models that use them.

Each app whose records point at evidence files registers those records here from its own
`extensions.py` (found at start-up by `core.extensions.discover`), naming the field that holds
the file and the message that refuses a deletion. A file in use is never deleted
(`services.evidence_delete`), and `in_use` answers "which of these files are used, and by what"
for pages that need it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise

from mofan.evidence.models import Evidence


@dataclass(frozen=True)
class Use:
    """Rows of `model` whose `field` (a foreign key to Evidence) use the file; for a
    many-to-many field, its `through` model and the through model's foreign key."""

    label: str
    model: type[models.Model]
    field: str
    message: str | Promise
    order: int

    def used(self, evidence_ids: Collection[int]) -> set[int]:
        lookup = {f"{self.field}_id__in": list(evidence_ids)}
        return set(
            self.model._default_manager.filter(**lookup).values_list(f"{self.field}_id", flat=True)
        )

    def uses(self, evidence: Evidence) -> bool:
        return self.model._default_manager.filter(**{f"{self.field}_id": evidence.pk}).exists()


_USES: dict[str, Use] = {}


def register(relation: Any, *, message: str | Promise, order: int) -> None:
    """Record that the records holding `relation` use evidence files: the model attribute of a
    foreign key (``Enrollment.plan``) or of a many-to-many field (``ProblemItem.evidence``) to
    Evidence. `order` is the order in which the uses are checked, so a file used in several
    ways is refused with the first one's message."""
    field = relation.field
    label = f"{field.model._meta.label_lower}.{field.name}"
    if field.many_to_many:
        model, column = field.remote_field.through, field.m2m_reverse_field_name()
    else:
        model, column = field.model, field.name
    _USES[label] = Use(label=label, model=model, field=column, message=message, order=order)


def registered() -> list[Use]:
    return sorted(_USES.values(), key=lambda use: use.order)


def refuse_if_in_use(evidence: Evidence) -> None:
    """Raise ValidationError (the first registered use's message) if anything uses the file."""
    for use in registered():
        if use.uses(evidence):
            raise ValidationError(str(use.message))


def in_use(evidence_ids: Collection[int]) -> dict[int, list[str]]:
    """The labels of the uses of each of the given files that is in use (one query per use)."""
    found: dict[int, list[str]] = {}
    for use in registered():
        for evidence_id in use.used(evidence_ids):
            found.setdefault(evidence_id, []).append(use.label)
    return found
