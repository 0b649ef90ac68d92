"""What evaluations does when the apps below it announce something (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.ledger_figures import ledger_figures_refresh, units_refresh


def on_units_enrolled(sender: Any, *, campaign: Campaign, **kwargs: Any) -> None:
    """Every new enrollment gets its stored figures at once (blank until scores arrive)."""
    campaign_recompute(campaign=campaign)


def on_campaign_changed(sender: Any, *, campaign: Campaign, **kwargs: Any) -> None:
    """A scoring setting changed or a unit withdrew: the stored figures are computed again."""
    campaign_recompute(campaign=campaign)


def on_units_enrolled_ledger(sender: Any, *, campaign: Campaign, **kwargs: Any) -> None:
    """New enrollments get their ledger figures (取数) at once."""
    ledger_figures_refresh(campaign=campaign)


def on_campaign_changed_ledger(sender: Any, *, campaign: Campaign, **kwargs: Any) -> None:
    """The campaign's settings (its indicator version among them) changed: figures again."""
    ledger_figures_refresh(campaign=campaign)


def on_ledger_changed(sender: Any, *, unit_ids: set[int], **kwargs: Any) -> None:
    """A unit's records or roll changed: its figures in every running campaign follow, in the
    same transaction, so a figure never disagrees with the records it names."""
    units_refresh(unit_ids=unit_ids)


def on_leadership_changed(sender: Any, *, enrollment: Enrollment, **kwargs: Any) -> None:
    """The leadership team is who the per-leader rules judge."""
    ledger_figures_refresh(campaign=enrollment.campaign, unit_ids=[enrollment.unit_id])
