"""Optimistic locking: what a write raises when somebody saved in between, and the first save
of a row two people may create at the same moment."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _


class StaleWrite(ValidationError):
    """Somebody saved in between; `current` is what is stored now."""

    def __init__(self, message: str, current: Any) -> None:
        super().__init__(message, code="stale")
        self.current = current


M = TypeVar("M", bound=models.Model)


def create_first_save(model: type[M], **values: Any) -> M:
    """The first save of a row. Two tabs (or two people) saving the same never-saved record at
    the same moment both try to create it; the unique constraint lets one win, and the other
    gets the same answer as any stale write — the row as it now stands — not a server error."""
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            return model._default_manager.create(**values)
    except IntegrityError:
        raise StaleWrite(_("该项刚被他人保存，您的修改未保存。请刷新后再改。"), None) from None
