"""`manage.py ledger_figures [--campaign ID]`: compute and store again the figures every
enrolled unit's indicators take from the activity ledger (取数, `LedgerFigures`), one
transaction per campaign. The figures follow every record, roster and leadership change by
themselves; this is for an indicator file changed in place, a deactivated kind, or after a
restore. Closed campaigns are included only when named. `--background` enqueues the work as
tasks (`evaluations.tasks`) for the task worker instead of doing it here."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mofan.campaigns.models import Campaign, CampaignStatus
from mofan.evaluations.ledger_figures import ledger_figures_refresh
from mofan.evaluations.tasks import ledger_figures_task


class Command(BaseCommand):
    help = "Recompute the figures the indicators take from the activity ledger."

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
        else:
            campaigns = campaigns.exclude(status=CampaignStatus.CLOSED)
        if options["background"]:
            for campaign in campaigns:
                result = ledger_figures_task.enqueue(campaign.pk)
                self.stdout.write(f"campaign {campaign.pk}: queued (task {result.id})")
            return
        for campaign in campaigns:
            started = time.perf_counter()
            units = ledger_figures_refresh(campaign=campaign)
            seconds = time.perf_counter() - started
            self.stdout.write(f"campaign {campaign.pk}: {units} units in {seconds:.2f} s")
