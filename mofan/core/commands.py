"""What management commands share: reading their date options."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError


def iso_date(value: str, refused: str) -> datetime.date:
    """`value` as a date written YYYY-MM-DD; otherwise the command stops with `refused`, a
    format string that may show the value (`{value}`, `{value!r}`)."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(refused.format(value=value)) from exc
