"""What honours does when the apps below it announce something (connected in apps.py)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from mofan.accounts.access import Actor
from mofan.campaigns.models import Campaign
from mofan.evaluations.events import ApprovedResult
from mofan.honours.campaign_results import campaign_programme_sync


def on_results_approved(
    sender: Any,
    *,
    campaign: Campaign,
    results: Sequence[ApprovedResult],
    actor: Actor,
    today: datetime.date | None = None,
    **kwargs: Any,
) -> None:
    """Approved results: the campaign's 先进单位 programme made or brought in line with its
    advanced units (`campaign_results`). Returns None: it makes no problem records."""
    campaign_programme_sync(campaign=campaign, actor=actor, today=today)
