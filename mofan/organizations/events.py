"""What organizations announces to the apps built on it, instead of importing them.

Receivers run synchronously inside the sender's transaction (see `evaluations/events.py`).
"""

from __future__ import annotations

from django.dispatch import Signal

#: A unit's roll changed: a member was added, changed (name, organisation, political status)
#: or removed (`services.member_save`, `member_delete`). Arguments: unit_ids (a set).
#: Evaluations recomputes the figures it takes from the ledger per person.
roster_changed = Signal()
