"""What rectification does when the apps below it announce something (connected in apps.py)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from mofan.campaigns.models import Campaign
from mofan.evaluations.events import ApprovedResult
from mofan.rectification.auto import next_round, results_approved
from mofan.rectification.models import ReReview


def on_results_approved(
    sender: Any,
    *,
    campaign: Campaign,
    results: Sequence[ApprovedResult],
    today: datetime.date | None = None,
    **kwargs: Any,
) -> int:
    """Approved results: the problem list and re-review of each failing unit (`auto`)."""
    return results_approved(campaign=campaign, results=results, today=today)


def on_rereview_decided(sender: Any, *, rereview: ReReview, **kwargs: Any) -> None:
    """A re-review approved or rejected: a new round when the unit still fails (`auto`)."""
    next_round(rereview=rereview)
