"""Issue 15 point 6 without a stopwatch: the ledger's pages (one organisation's ledger, the
meeting entry form with the branch's roll, the member's phone entry page) and the computation of
every ledger rule of every unit issue the same number of queries whatever the units and the
records, on data from the scale seed (`manage.py bench` times the same pages at 20,000 units)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mofan.campaigns.models import Campaign
from mofan.devtools import bench
from mofan.devtools.scale import seed_scale
from mofan.evaluations.ledger_figures import ledger_figures_refresh

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)
LEDGER_PAGES = (
    "ledger page (one organisation)",
    "meeting entry form (branch roll)",
    "phone entry page (own record)",
)


def counts(units: int, records: int, members: int) -> dict[str, int]:
    summary = seed_scale(
        units=units, members_per_unit=members, seed=units, ledger_records=records, today=TODAY
    )
    p = bench.personas(summary["campaign_id"])
    found = {}
    for name, user, url in bench.page_plan(p):
        if name not in LEDGER_PAGES:
            continue
        client = Client()
        bench.log_in(client, user)
        assert client.get(url).status_code == 200, name  # warm-up
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, name
        found[name] = len(queries)
    campaign = Campaign.objects.get(pk=summary["campaign_id"])
    with CaptureQueriesContext(connection) as queries:
        assert ledger_figures_refresh(campaign=campaign) == units
    found["ledger rules"] = len(queries)
    return found


def test_the_ledger_pages_and_the_rules_cost_the_same_queries_at_any_size():
    small = counts(units=3, records=60, members=2)
    large = counts(units=40, records=8000, members=8)
    assert set(small) == {*LEDGER_PAGES, "ledger rules"}
    assert small == large
