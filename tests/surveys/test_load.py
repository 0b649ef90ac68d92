"""Load (issue 17 point 3): 2,000 responses to one survey from 8 concurrent clients through the
unit's open link, none lost. Real requests through the whole middleware stack, in threads,
against a transactional database (PostgreSQL in `make test-postgres`); about 20 s on two cores,
so it runs with the suite."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client, override_settings

from mofan.surveys.models import Answer, Response
from tests.surveys.world import build_world, form_data

TOTAL = 2000
THREADS = 8


@pytest.fixture(autouse=True)
def _audit_triggers_lifted(audit_triggers_lifted: None) -> None:
    """Transactional: the audit table's triggers are lifted while this module runs."""


@pytest.mark.django_db(transaction=True)
@override_settings(MOFAN_SURVEY_RATE_LIMIT=TOTAL)
def test_two_thousand_responses_none_lost() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite's test database locks)")
    w = build_world()
    url = f"/q/{w.su(w.unit_a).code}/"
    data = form_data(w.survey, "比较满意", "建议")
    failures: list[int] = []
    lock = threading.Lock()

    def send(count: int) -> None:
        client = Client(REMOTE_ADDR="198.51.100.1")
        try:
            for _i in range(count):
                status = client.post(url, data).status_code
                if status != 302:
                    with lock:
                        failures.append(status)
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(send, [TOTAL // THREADS] * THREADS))
    assert failures == []
    assert Response.objects.filter(survey=w.survey).count() == TOTAL
    assert Answer.objects.filter(response__survey=w.survey, option="比较满意").count() == 4 * TOTAL
