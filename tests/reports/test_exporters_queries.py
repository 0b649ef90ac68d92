"""The exporters' `rows()` issue the same number of queries at 10 and at 60 units (issue 6:
rows are generated page by page, never one query per unit or per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.reports.exporters.evidence_index import EvidenceIndexExporter
from mofan.reports.exporters.problems import ProblemListExporter, SupervisionLedgerExporter
from mofan.reports.exporters.ranking import RankingExporter
from tests.reports.table_fixtures import campaign_of

pytestmark = pytest.mark.django_db

EXPORTERS = [RankingExporter, EvidenceIndexExporter, ProblemListExporter, SupervisionLedgerExporter]


def _count(cls, campaign) -> tuple[int, int, list[str]]:
    admin = User.objects.filter(
        role_assignments__committee=campaign.committee, role_assignments__role="committee_admin"
    ).first()
    export = cls(campaign=campaign, actor=actor_for(admin))
    export.check()
    export.columns()
    with CaptureQueriesContext(connection) as queries:
        rows = list(export.rows())
    return len(queries), len(rows), [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("cls", EXPORTERS, ids=lambda c: c.identifier)
def test_rows_query_count_does_not_grow_with_units(cls):
    small = campaign_of(10, "s")
    large = campaign_of(60, "l")
    n_small, rows_small, sql_small = _count(cls, small)
    n_large, rows_large, sql_large = _count(cls, large)
    if cls is RankingExporter:
        assert (rows_small, rows_large) == (10, 60)
    elif cls is EvidenceIndexExporter:
        assert (rows_small, rows_large) == (20, 120)
    else:
        assert (rows_small, rows_large) == (10, 60)
    assert n_small == n_large, "\n".join(["-- 10 units:", *sql_small, "-- 60 units:", *sql_large])
