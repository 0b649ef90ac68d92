"""The base of the commands that redo a campaign's stored figures (`recompute_results`,
`ledger_figures`): the same `--campaign` and `--background` arguments, the same choice of
campaigns, one task per campaign when in the background, one line per campaign otherwise."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from mofan.campaigns.models import Campaign, CampaignStatus


class CampaignCommand(BaseCommand):
    """Subclasses name `task` (a django-tasks task taking the campaign's id) and `run` (the
    work for one campaign, answering the number of units); `include_closed` says whether a
    closed campaign is redone without being named."""

    task: Any
    include_closed = True

    def run(self, campaign: Campaign) -> int:
        raise NotImplementedError

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--campaign", type=int, help="only this campaign (id)")
        parser.add_argument(
            "--background",
            action="store_true",
            help="enqueue one task per campaign for the task worker (db_worker) and return",
        )

    def campaigns(self, campaign_id: int | None) -> QuerySet[Campaign]:
        campaigns = Campaign.objects.order_by("pk")
        if campaign_id is None:
            if self.include_closed:
                return campaigns
            return campaigns.exclude(status=CampaignStatus.CLOSED)
        campaigns = campaigns.filter(pk=campaign_id)
        if not campaigns.exists():
            raise CommandError(f"no campaign {campaign_id}")
        return campaigns

    def handle(self, *args: Any, **options: Any) -> None:
        campaigns = self.campaigns(options["campaign"])
        if options["background"]:
            for campaign in campaigns:
                result = self.task.enqueue(campaign.pk)
                self.stdout.write(f"campaign {campaign.pk}: queued (task {result.id})")
            return
        for campaign in campaigns:
            started = time.perf_counter()
            units = self.run(campaign)
            seconds = time.perf_counter() - started
            self.stdout.write(f"campaign {campaign.pk}: {units} units in {seconds:.2f} s")
