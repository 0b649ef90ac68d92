"""Campaign-wide computations as background tasks (issue 19 point 1): the full recompute of the
stored figures (`UnitTotals`, `ResultSummary`) and the ledger's rule computation (取数,
`LedgerFigures`), on Django's Tasks framework. `manage.py recompute_results --background` and
`manage.py ledger_figures --background` enqueue one task per campaign and return at once; a
worker (`manage.py db_worker`) runs them, each in one transaction as the commands do, again
after a growing pause when a transient database fault interrupts it (`retry_transient`)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django_tasks import task

from mofan.campaigns.models import Campaign
from mofan.core.dbfaults import retry_transient
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.figures.summary import result_summary_rebuild
from mofan.evaluations.ledger_figures import ledger_figures_refresh


@task()
def recompute_task(campaign_id: int) -> int:
    """Recompute every enrolled unit's stored figures and the campaign's summary. How many
    units."""
    return retry_transient(partial(_recompute, campaign_id), what=f"recompute {campaign_id}")


def _recompute(campaign_id: int) -> int:
    with transaction.atomic():
        campaign = Campaign.objects.get(pk=campaign_id)
        units = campaign_recompute(campaign=campaign)
        result_summary_rebuild(campaign=campaign)
    return units


@task()
def ledger_figures_task(campaign_id: int) -> int:
    """Compute and store again the ledger figures of the campaign's units. How many."""
    return retry_transient(
        lambda: ledger_figures_refresh(campaign=Campaign.objects.get(pk=campaign_id)),
        what=f"ledger figures {campaign_id}",
    )
