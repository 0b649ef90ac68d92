"""`manage.py recompute_results [--campaign ID]`: rebuild every enrolled unit's precomputed
figures (`UnitTotals`: totals, per-node totals, composite, grade, provisional rank) from the
stored leaf scores, one transaction per campaign. Approved, frozen results (`UnitResult`) are
never changed: approval, reopening and re-review remain their only writers; to change one,
reopen it and approve again. The stored campaign-wide figures of those results
(`ResultSummary`: the dashboard's counts, histogram and means) are rebuilt from them as well.
`--background` enqueues the work as tasks (`evaluations.tasks`) for the task worker instead."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mofan.campaigns.models import Campaign
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.figures.summary import result_summary_rebuild
from mofan.evaluations.tasks import recompute_task


class Command(BaseCommand):
    help = "Recompute the stored unit totals, grades and ranks from the leaf scores."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--campaign", type=int, help="only this campaign (id)")
        parser.add_argument(
            "--background",
            action="store_true",
            help="enqueue one task per campaign for the task worker (db_worker) and return",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        campaigns = Campaign.objects.order_by("pk")
        if options["campaign"] is not None:
            campaigns = campaigns.filter(pk=options["campaign"])
            if not campaigns.exists():
                raise CommandError(f"no campaign {options['campaign']}")
        if options["background"]:
            for campaign in campaigns:
                result = recompute_task.enqueue(campaign.pk)
                self.stdout.write(f"campaign {campaign.pk}: queued (task {result.id})")
            return
        for campaign in campaigns:
            started = time.perf_counter()
            units = campaign_recompute(campaign=campaign)
            result_summary_rebuild(campaign=campaign)
            seconds = time.perf_counter() - started
            self.stdout.write(f"campaign {campaign.pk}: {units} units in {seconds:.2f} s")
