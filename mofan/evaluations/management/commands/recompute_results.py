"""`manage.py recompute_results [--campaign ID]`: rebuild every enrolled unit's precomputed
figures (`UnitTotals`: totals, per-node totals, composite, grade, provisional rank) from the
stored leaf scores, one transaction per campaign. Approved, frozen results (`UnitResult`) are
never changed: approval, reopening and re-review remain their only writers; to change one,
reopen it and approve again. The stored campaign-wide figures of those results
(`ResultSummary`: the dashboard's counts, histogram and means) are rebuilt from them as well.
`--background` enqueues the work as tasks (`evaluations.tasks`) for the task worker instead."""

from __future__ import annotations

from mofan.campaigns.models import Campaign
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.figures.summary import result_summary_rebuild
from mofan.evaluations.management.campaign_command import CampaignCommand
from mofan.evaluations.tasks import recompute_task


class Command(CampaignCommand):
    help = "Recompute the stored unit totals, grades and ranks from the leaf scores."
    task = recompute_task

    def run(self, campaign: Campaign) -> int:
        units = campaign_recompute(campaign=campaign)
        result_summary_rebuild(campaign=campaign)
        return units
