"""Updating thousands of rows at once, for the set-wise writes of whole sheets.

Django's `QuerySet.bulk_update` builds one CASE WHEN expression per field and row: measured on
a 5,000-row roster sync with seven fields it spent 18 s compiling expressions, for SQL the
database then ran in a fraction of a second. `rows_update` writes the same values, one
prepared UPDATE per row run with `executemany` (no expression building, one round trip per
batch on PostgreSQL, none on SQLite), each value made by the field's own `pre_save` and
`get_db_prep_save`, as `Model.save()` makes it: encrypted fields are encrypted, blind indexes
follow their source (`core.fields.BlindIndexField.pre_save`), foreign keys take their ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router

from mofan.core.fields import with_blind_indexes

BATCH = 1000


def rows_update(model: type[models.Model], objs: Sequence[models.Model], fields: list[str]) -> int:
    """UPDATE each of `objs` (saved instances of `model`) with its current `fields` (and the
    blind indexes of any of them). Returns how many rows were given."""
    if not objs:
        return 0
    meta = model._meta
    concrete: list[models.Field[Any, Any]] = []
    for name in with_blind_indexes(model, fields):
        field = meta.get_field(name)
        assert isinstance(field, models.Field) and field.concrete, name
        concrete.append(field)
    assert meta.pk is not None
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in concrete)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 (quoted names)
    params = [
        [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in concrete] + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), BATCH):
            cursor.executemany(sql, params[start : start + BATCH])
    return len(objs)
