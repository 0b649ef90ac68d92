"""Measure `campaign_recompute` on a synthetic campaign in a throw-away SQLite database:

    DATABASE_URL=sqlite:////tmp/agg/db.sqlite3 python -m tests.evaluations.bench_recompute 2000

builds the database (migrate + `aggregates_data.synthetic_campaign`, every unit reviewed) on the
first run for that size and reuses it afterwards, then prints the seconds of three full
recomputes."""

from __future__ import annotations

import os
import sys
import time

import django


def main() -> None:
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mofan.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from mofan.campaigns.models import Campaign
    from mofan.evaluations.figures.setwise import campaign_recompute
    from mofan.evaluations.models import ConsolidatedScore, SelfScore
    from tests.evaluations.aggregates_data import synthetic_campaign

    call_command("migrate", verbosity=0)
    campaign = Campaign.objects.filter(name="规模测试", enrollments__isnull=False).first()
    if campaign is None or campaign.enrollments.count() != units:
        started = time.perf_counter()
        campaign = synthetic_campaign(units, code=f"agg{units}", all_reviewed=True)
        print(f"built {units} units in {time.perf_counter() - started:.1f} s", flush=True)
    leaves = SelfScore.objects.filter(enrollment__campaign=campaign).count()
    final = ConsolidatedScore.objects.filter(enrollment__campaign=campaign).count()
    print(f"{connection.vendor}: {units} units, {leaves} self + {final} consolidated rows")
    for _ in range(3):
        started = time.perf_counter()
        campaign_recompute(campaign=campaign)
        print(f"recompute: {time.perf_counter() - started:.2f} s", flush=True)


if __name__ == "__main__":
    main()
