"""The bulk writing of the scale seed (`devtools.scale`): row digests for its audit entries, the
timer of its phases, `bulk_create` in batches, `Table`, a plain multi-row INSERT (COPY on
PostgreSQL) for the big score tables, and `keys_checked_once`, which checks the foreign keys of
a bulk load once at its end instead of row by row."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection, models

BATCH = 5000  # rows per bulk_create call (Django splits further to the backend's limits)


class Digest:
    """Counts and hashes the rows of one bulk step for its audit entry."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, *parts: Any) -> None:
        self.rows += 1
        self._hash.update("|".join("" if p is None else str(p) for p in parts).encode())
        self._hash.update(b"\n")

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass
class Timer:
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - started
        return now


def insert(model: type[models.Model], rows: list[Any]) -> None:
    for i in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[i : i + BATCH], batch_size=BATCH)  # type: ignore[attr-defined]


class Table:
    """A plain multi-row INSERT for the big score tables: Django's bulk_create spends most of its
    time building model instances and preparing each field of each row. Here every value is
    prepared once by the field's own `get_db_prep_save` (scores and inputs repeat, so the
    prepared forms are cached by the callers) and rows go to the database as tuples."""

    def __init__(self, model: type[models.Model], names: list[str]) -> None:
        meta = model._meta
        self.fields: dict[str, models.Field[Any, Any]] = {
            name: cast("models.Field[Any, Any]", meta.get_field(name)) for name in names
        }
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields.values())
        self.row_marks = "(" + ", ".join(["%s"] * len(names)) + ")"
        # identifiers from the model's own metadata, quoted; values go as parameters
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def prep(self, name: str, value: Any) -> Any:
        return self.fields[name].get_db_prep_save(value, connection)

    def flush(self) -> None:
        """SQLite: one prepared statement run per row (`executemany`, no round trips).
        PostgreSQL: COPY … FROM STDIN, the values adapted by psycopg as for an INSERT."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                for i in range(0, len(self.rows), BATCH):
                    cursor.executemany(self.sql + self.row_marks, self.rows[i : i + BATCH])
        self.written += len(self.rows)
        self.rows = []


@contextmanager
def keys_checked_once(*tables: type[models.Model]) -> Iterator[None]:
    """PostgreSQL: the foreign keys of `tables` dropped for the bulk load inside and added again
    at its end, which checks every row in one join per key. Django makes them DEFERRABLE
    INITIALLY DEFERRED, so each inserted row otherwise queues one trigger event per key, all run
    one by one at COMMIT: 111 of the 255 s of a 20,000-unit seed (2.9 million events at 2,000
    units took 12 s). The constraints come back with their own names and definitions
    (`pg_get_constraintdef`), so a row that breaks one still fails the load, at its end. This
    is what PostgreSQL's manual advises for populating a database (14.4.5); the ALTERs lock
    the tables until the transaction ends, which only a bulk seed can afford. Needs an atomic
    block, so that an error brings the keys back. SQLite: nothing to do (it checks a deferred key
    by counting violations as rows are written, with no queue of events)."""
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("keys_checked_once needs a transaction")
    quote = connection.ops.quote_name
    names = [model._meta.db_table for model in tables]
    with connection.cursor() as cursor:
        # Pending checks of rows written earlier in this transaction would forbid the ALTERs.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid "
            "WHERE k.contype = 'f' AND c.relname = ANY(%s) ORDER BY c.relname, k.conname",
            [names],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            # the definition as PostgreSQL printed it for this constraint
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
