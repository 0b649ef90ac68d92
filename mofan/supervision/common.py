"""Helpers shared by the three supervision workflows (ledger, spot checks, bulletins)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role


def today_or(today: datetime.date | None) -> datetime.date:
    """`today` when given (tests, commands), else the local date."""
    return today if today is not None else timezone.localdate()


def require_committee_admin(actor: Actor, committee_id: int, message: str) -> None:
    """Refuse (PermissionDenied with `message`) unless the actor is the committee's admin."""
    if committee_id not in actor.committees_with(Role.COMMITTEE_ADMIN):
        raise PermissionDenied(message)


def problem_lines(text: str) -> list[str]:
    """One problem per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]
