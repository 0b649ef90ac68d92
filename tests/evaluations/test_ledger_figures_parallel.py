"""Records of one unit saved at the same moment (transactional test, one connection per
thread; on PostgreSQL and on SQLite, whose test database is a WAL file like production's): each
save refreshes the unit's stored figures in its own transaction. None of them fails on the
unit's one `LedgerFigures` row (an upsert, not delete-then-insert, which lets two transactions
both insert the row), and the figure ends up naming every record (the refresh locks the unit,
so the last to commit has seen the others' records; without the lock it stored only its own
snapshot — measured: 2 of 6 records)."""

from __future__ import annotations

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from mofan.activities.models import ActivityRecord
from mofan.indicators.builtin import load_templates
from tests.evaluations.test_ledger_figures import World

PARALLEL = 6


@pytest.mark.django_db(transaction=True)
def test_records_saved_at_once_all_reach_the_figure(audit_triggers_lifted) -> None:
    load_templates()
    w = World()
    barrier = threading.Barrier(PARALLEL)
    names = ["王一", "王二", "王三"]

    def save(n: int) -> str:
        try:
            barrier.wait(timeout=60)
            w.volunteer(names[n % 3], datetime.date(2026, 3, 1) + datetime.timedelta(days=n))
            return "ok"
        except Exception as exc:  # reported below with its type: the point of the test
            return f"{type(exc).__name__}: {exc}"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(save, range(PARALLEL)))
    assert outcomes == ["ok"] * PARALLEL
    figure = w.figure()
    assert sorted(figure["records"]) == sorted(ActivityRecord.objects.values_list("pk", flat=True))
    assert (figure["judged"], figure["passed"]) == (3, 3)
