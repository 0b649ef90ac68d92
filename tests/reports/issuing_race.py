"""Threads taking numbers from one committee's register at the same moment (used in process on
PostgreSQL and, on SQLite, in a `manage.py shell` on a file database: see
test_issuing_threads.py). `race(committee_id, failing)` returns each thread's (number, serial),
or None for the thread whose transaction fails after taking its number."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import connections, transaction

from mofan.organizations.models import Committee
from mofan.reports import issuing

THREADS = 4


def _take(committee_id: int, barrier: threading.Barrier, got: list[Any], fail: bool) -> None:
    try:
        barrier.wait(10)
        with transaction.atomic():
            committee = Committee.objects.get(pk=committee_id)
            number, serial = issuing.number_next(committee=committee, year=2026)
            time.sleep(0.05)  # hold the lock while the others queue
            if fail:
                raise RuntimeError("the render failed")
            got.append([number, serial])
    except RuntimeError:
        got.append(None)
    finally:
        connections.close_all()


def race(committee_id: int, failing: int = -1) -> list[Any]:
    barrier = threading.Barrier(THREADS)
    got: list[Any] = []
    threads = [
        threading.Thread(target=_take, args=(committee_id, barrier, got, i == failing))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return got
