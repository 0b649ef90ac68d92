"""What the activity ledger announces to the apps built on it, instead of importing them.

Receivers run synchronously inside the sender's transaction (evaluations refreshes the figures
it computes from the ledger, so a figure never disagrees with the records it names).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

#: Records of these units were created, changed or deleted (a record's unit, or both units'
#: when a correction moved it). Arguments: unit_ids (a set of unit ids).
records_changed = Signal()


def announce(unit_ids: Iterable[int]) -> None:
    """Tell the receivers that the ledger of these units changed."""
    units = set(unit_ids)
    if units:
        records_changed.send(sender=None, unit_ids=units)
