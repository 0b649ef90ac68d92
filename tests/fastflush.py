"""A cheaper empty-every-table after each transactional test (pytest-django runs Django's
`flush` command there, about 200 times a pass), which leaves the database as migrate left it.

Django's flush takes two steps that cost more than the test needs:

* on PostgreSQL it runs ``TRUNCATE`` over all 100 tables, which makes new files for every table
  and index: 250-300 ms on this machine, against 13-16 ms for ``DELETE FROM`` each table inside
  the same transaction (the foreign keys Django makes are deferrable, so order does not matter);
* it then sends ``post_migrate``, whose receivers (auth, contenttypes) insert every content type
  and permission again, because the flush deleted them: another 60-100 ms on either database.

So the flush here deletes the rows of every table but those two, and skips ``post_migrate`` -
as long as those two tables are as migrate left them (same count and highest id, looked up on
each flush). A test that added a content type or a permission gets Django's own flush, and the
state it leaves becomes the one compared with. Sequences are not reset either way (Django's
transactional tests reset them only when asked, and then Django's flush runs unchanged).

Either way, the rows the data migrations wrote (the built-in activity kinds) are put back, with
their ids: Django's flush leaves them out, which only worked while every transactional test ran
after every other test of the process (pytest-django's order); under pytest-xdist a worker runs
whole files, transactional tests included, one after another.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush as flush_command
from django.db import connections, transaction

KEPT = ("django_content_type", "auth_permission")

_original_sql_flush = flush_command.sql_flush
_original_emit = flush_command.emit_post_migrate_signal
_kept_state: dict[str, tuple] = {}
_skip_post_migrate: dict[str, bool] = {}
# alias -> [(table, columns, rows)]: what the data migrations wrote, outside KEPT
_seeded: dict[str, list[tuple[str, list[str], list[tuple]]]] = {}


def kept_state(connection: Any) -> tuple:
    """(count, highest id) of each kept table."""
    with connection.cursor() as cursor:
        state = []
        for table in KEPT:
            cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {connection.ops.quote_name(table)}")
            state.append(tuple(cursor.fetchone()))
    return tuple(state)


def seeded_rows(connection: Any) -> list[tuple[str, list[str], list[tuple]]]:
    """Every row of every non-empty table outside KEPT, as the database holds it now."""
    quote = connection.ops.quote_name
    found = []
    names = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        for table in sorted(set(names) - set(KEPT)):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows = [tuple(row) for row in cursor.fetchall()]
            if rows:
                found.append((table, [col[0] for col in cursor.description], rows))
    return found


def restore_seeded(connection: Any) -> None:
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for table, columns, rows in _seeded.get(connection.alias, []):
            names = ", ".join(quote(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)


def sql_flush(
    style: Any, connection: Any, reset_sequences: bool = True, allow_cascade: bool = False
):
    alias = connection.alias
    unchanged = not reset_sequences and _kept_state.get(alias) == kept_state(connection)
    _skip_post_migrate[alias] = unchanged
    if not unchanged:
        return _original_sql_flush(
            style, connection, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    names = connection.introspection.django_table_names(only_existing=True, include_views=False)
    tables = [table for table in names if table not in KEPT]
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        return ["SET CONSTRAINTS ALL DEFERRED", *(f"DELETE FROM {quote(t)}" for t in tables)]
    return connection.ops.sql_flush(style, tables, allow_cascade=allow_cascade)


def emit_post_migrate_signal(verbosity: int, interactive: bool, db: str, **kwargs: Any) -> None:
    """Runs right after the flush's statements: post_migrate only when Django's own flush ran,
    then the data migrations' rows back."""
    if not _skip_post_migrate.pop(db, False):
        _original_emit(verbosity, interactive, db, **kwargs)
        _kept_state[db] = kept_state(connections[db])
    restore_seeded(connections[db])


def install(connection: Any) -> None:
    """Use the cheaper flush from now on; the database as it is now (just migrated) is what
    each flush returns to."""
    _kept_state[connection.alias] = kept_state(connection)
    _seeded[connection.alias] = seeded_rows(connection)
    flush_command.sql_flush = sql_flush
    flush_command.emit_post_migrate_signal = emit_post_migrate_signal
