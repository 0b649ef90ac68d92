"""Re-review (复核) of a failing unit once its problem list is closed.

Filled in by the re-review work: `rereview_on_item_closed` is called by the problem-item
transition function each time an item is closed (verified, 销号)."""

from __future__ import annotations

from mofan.accounts.access import Actor
from mofan.rectification.models import ProblemItem


def rereview_on_item_closed(*, item: ProblemItem, actor: Actor) -> None:
    """Open the unit's waiting re-review once every item behind it is closed."""
    return None
