"""`manage.py ledger_figures [--campaign ID]`: compute and store again the figures every
enrolled unit's indicators take from the activity ledger (取数, `LedgerFigures`), one
transaction per campaign. The figures follow every record, roster and leadership change by
themselves; this is for an indicator file changed in place, a deactivated kind, or after a
restore. Closed campaigns are included only when named. `--background` enqueues the work as
tasks (`evaluations.tasks`) for the task worker instead of doing it here."""

from __future__ import annotations

from mofan.campaigns.models import Campaign
from mofan.evaluations.ledger_figures import ledger_figures_refresh
from mofan.evaluations.management.campaign_command import CampaignCommand
from mofan.evaluations.tasks import ledger_figures_task


class Command(CampaignCommand):
    help = "Recompute the figures the indicators take from the activity ledger."
    task = ledger_figures_task
    include_closed = False

    def run(self, campaign: Campaign) -> int:
        return ledger_figures_refresh(campaign=campaign)
