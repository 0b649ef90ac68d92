"""The scale seed's bulk writing: `keys_checked_once` drops a bulk load's foreign keys and adds
them back at its end (PostgreSQL), so the load pays one join per key instead of one trigger
event per row and key at COMMIT, and still refuses a row that breaks a key."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from mofan.devtools.scale_bulk import keys_checked_once
from mofan.evaluations.models import ConsolidatedScore, ReviewScore, SelfScore
from mofan.organizations.models import Member
from tests.devtools.test_seed_scale import run

pytestmark = pytest.mark.django_db

TABLES = (SelfScore, ReviewScore, ConsolidatedScore, Member)


def foreign_keys() -> list[tuple[str, str, str, bool]]:
    """Every foreign key of the bulk-loaded tables: table, name, definition, deferred."""
    names = [model._meta.db_table for model in TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), k.condeferred "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "WHERE k.contype = 'f' AND c.relname = ANY(%s) ORDER BY 1, 2",
            [names],
        )
        return cursor.fetchall()


def only_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the keys are dropped only on PostgreSQL (SQLite queues no event per row)")


def test_a_seed_leaves_every_key_as_it_found_it():
    only_on_postgresql()
    before = foreign_keys()
    assert len(before) >= 10  # the three score tables' and the members' keys
    summary = run(units=4, members=2)
    assert summary["self_scores"] > 0
    assert foreign_keys() == before
    assert "keys" in summary["seconds"]


def test_a_row_that_breaks_a_key_fails_the_load_at_its_end():
    only_on_postgresql()
    before = foreign_keys()
    missing = 2_000_000_000
    broken = (
        "INSERT INTO evaluations_selfscore (enrollment_id, node_id, updated_by_id, input, level, "
        "veto, narrative, updated_at, version) VALUES (%s, %s, %s, '{}', '', false, '', now(), 1)"
    )
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        keys_checked_once(SelfScore),
        connection.cursor() as cursor,
    ):
        # written while the key is gone: nothing refuses it yet
        cursor.execute(broken, [missing, missing, missing])
    # the failed load rolled back, its keys with it
    assert foreign_keys() == before
    assert not SelfScore.objects.filter(enrollment_id=missing).exists()
