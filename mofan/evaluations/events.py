"""What evaluations announces to the apps built on it, instead of importing them.

Receivers run synchronously inside the sender's transaction: what they write commits or rolls
back with the sender's write, and a receiver that raises aborts it. Each app above connects its
receivers in its `AppConfig.ready` (rectification: `rectification/receivers.py`; honours:
`honours/receivers.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from django.dispatch import Signal

#: A campaign's results were approved and frozen (`approval.campaign_approve`).
#: Arguments: campaign, results (the newly frozen results, as `ApprovedResult`), actor (who
#: approved or signed: the receivers' writes are audited in that name), today. A receiver
#: returns the number of records it made, which the approval's audit entry reports as
#: "problems".
results_approved = Signal()


class ApprovedResult(NamedTuple):
    """A newly frozen result as `results_approved` announces it: what a receiver needs to pick
    the few it acts on (a failing grade, a veto); it reads those rows itself."""

    pk: int
    enrollment_id: int
    grade: str
    veto: bool


def count_made(responses: Sequence[tuple[object, object]]) -> int:
    """The sum of what the receivers of a signal say they made (ints; anything else is 0)."""
    return sum(r for _receiver, r in responses if isinstance(r, int))
