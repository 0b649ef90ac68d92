"""What evaluations does when the apps below it announce something (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from mofan.campaigns.models import Campaign
from mofan.evaluations.figures.setwise import campaign_recompute


def on_units_enrolled(sender: Any, *, campaign: Campaign, **kwargs: Any) -> None:
    """Every new enrollment gets its stored figures at once (blank until scores arrive)."""
    campaign_recompute(campaign=campaign)
