"""Helpers shared by the three supervision workflows (ledger, spot checks, bulletins)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, Model
from django.utils import timezone

from mofan.accounts import rules
from mofan.accounts.access import Actor


def today_or(today: datetime.date | None) -> datetime.date:
    """`today` when given (tests, commands), else the local date."""
    return today if today is not None else timezone.localdate()


def require_committee_admin(actor: Actor, committee_id: int, message: str) -> None:
    """Refuse (PermissionDenied with `message`) unless the actor is the committee's admin."""
    if not rules.administers(actor, committee_id):
        raise PermissionDenied(message)


def problem_lines(text: str) -> list[str]:
    """One problem per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def update_if_current(
    model: type[Model], pk: int, *, version: int, in_state: str | None = None, **changes: Any
) -> bool:
    """The optimistic write of a versioned row: apply `changes` and bump `version` only while the
    row is still at `version` (and in state `in_state`, when given). False: somebody else wrote
    first."""
    current: dict[str, Any] = {"pk": pk, "version": version}
    if in_state is not None:
        current["state"] = in_state
    return model._default_manager.filter(**current).update(**changes, version=F("version") + 1) == 1
