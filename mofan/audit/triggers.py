"""SQL for the triggers that make the audit table append-only, per database vendor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLE = "audit_auditentry"
MESSAGE = "audit entries are append-only"


def create_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
            f"CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        ]
    if vendor == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION audit_entry_refuse() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse()",
            f"CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse()",
        ]
    raise NotImplementedError(f"no audit triggers for database vendor {vendor!r}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS audit_entry_no_update",
            "DROP TRIGGER IF EXISTS audit_entry_no_delete",
        ]
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS audit_entry_no_change ON {TABLE}",
            f"DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE}",
        ]
    raise NotImplementedError(f"no audit triggers for database vendor {vendor!r}")


@contextmanager
def lifted(connection: Any) -> Iterator[None]:
    """Drop the triggers, and put them back afterwards (even on error). Used by the purge inside
    its own transaction, and by tests that play an attacker with direct database access."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for statement in drop_sql(vendor):
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in create_sql(vendor):
                cursor.execute(statement)


EXPECTED = {
    "sqlite": ("audit_entry_no_update", "audit_entry_no_delete"),
    "postgresql": ("audit_entry_no_change", "audit_entry_no_truncate"),
}


def missing(connection: Any) -> list[str]:
    """The append-only triggers that are absent (or disabled, on PostgreSQL)."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
        elif vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'",
                [TABLE],
            )
        else:
            raise NotImplementedError(f"no audit triggers for database vendor {vendor!r}")
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in EXPECTED[vendor] if name not in present]
