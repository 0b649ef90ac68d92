"""PostgreSQL plans a repeated query once per connection (`mofan.env.postgres_options`):
Django's default binding on the client prepares nothing, so the setting must reach the
connection that Django opens, and psycopg must prepare a query once it has run five times."""

from __future__ import annotations

import pytest
from django.db import connection

from mofan.organizations.models import Unit

pytestmark = pytest.mark.django_db


def _prepared(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return int(cursor.fetchone()[0])


def test_a_query_run_five_times_is_prepared_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to prepare statements on; the PostgreSQL pass runs it")
    statement = '"organizations_unit"."short_name" = $1'
    before = _prepared(statement)
    for _ in range(5):  # a new queryset each time: an evaluated one answers from its cache
        assert list(Unit.objects.filter(short_name="prepared-statement-probe")) == []
    assert _prepared(statement) == before  # run five times, not prepared yet
    assert list(Unit.objects.filter(short_name="prepared-statement-probe")) == []
    assert _prepared(statement) == before + 1  # prepared at the sixth
    for _ in range(3):
        assert list(Unit.objects.filter(short_name="prepared-statement-probe")) == []
    assert _prepared(statement) == before + 1  # and executed by name from then on
