"""A filter value that no column could hold matches no row, on every query of the project.

Request data reaches the ORM in many places: URL ids, `ModelChoiceField` and
`ModelMultipleChoiceField` values, `?campaign=` style filters, hidden ids parsed by views. A
20-digit id is a valid Python int but not a 64-bit one: SQLite's driver raises `OverflowError`
("Python int too large to convert to SQLite INTEGER") when it binds it; psycopg binds it as a
numeric, so PostgreSQL compares the bigint column as numeric (no index, no row) and raises
`DataError` ("bigint out of range") wherever the value is cast or stored. A text with a NUL
character cannot be bound by psycopg at all ("PostgreSQL text fields cannot contain NUL (0x00)
bytes"). The page answered 500 where the honest answer is "no such row".

Django 5.x already turns an out-of-range integer into an empty (or full) result for `exact`,
`gt`, `gte`, `lt` and `lte` on integer fields (`django.db.models.lookups.IntegerFieldOverflow`),
but not for `in` (what `ModelMultipleChoiceField` runs) nor for any lookup through a foreign key
(`unit=...`, `unit_id=...`, `enrollment__campaign_id=...`: `RelatedExact`, `RelatedIn`), and
not for text at all. Fixing each form or view would leave the next one broken, so this module
registers lookups once, from `CoreConfig.ready`, that complete the rule at the ORM:

- `in` on an integer field (ids included): values outside the column's range are dropped;
  with none left the condition matches nothing (`EmptyResultSet`, as an empty `in` does).
- `exact` and `in` through a foreign key to an integer field: the same, with the range of the
  target column (Django's own rule for `exact` on the integer field itself).
- `exact`, `iexact`, `contains`, `icontains`, `startswith`, `istartswith`, `endswith`,
  `iendswith` and `in` on text fields: a value containing NUL matches nothing (forms already
  refuse NUL on the way in, so no stored text has one).

The ranges are the database's own (`connection.ops.integer_field_range`), so SQLite and
PostgreSQL give the same answer. Lookups only ever narrow to "no row"; nothing that could match
a row is dropped.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import CharField, ForeignKey, IntegerField, TextField
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    IContains,
    IEndsWith,
    IExact,
    In,
    IStartsWith,
    StartsWith,
)


def integer_bounds(lhs: Any, connection: Any) -> tuple[int | None, int | None] | None:
    """The range of the integer column behind `lhs` (through foreign keys), or None when it is
    not a single integer column."""
    field = getattr(lhs, "output_field", None)
    for _ in range(5):  # a foreign key to a foreign key to ... an integer
        if not isinstance(field, ForeignObject):
            break
        if len(field.foreign_related_fields) != 1:
            return None
        field = field.target_field
    if not isinstance(field, IntegerField):
        return None
    try:
        return connection.ops.integer_field_range(field.get_internal_type())
    except KeyError:  # a custom integer type the backend has no range for
        return None


def out_of_range(value: object, bounds: tuple[int | None, int | None]) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    low, high = bounds
    return (low is not None and value < low) or (high is not None and value > high)


def has_nul(value: object) -> bool:
    return isinstance(value, str) and "\x00" in value


class _DropImpossibleValues:
    """For `in`: leave out the values no row can hold; none left is no match."""

    def impossible(self, value: object, connection: Any) -> bool:
        raise NotImplementedError

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lookup: Any = self
        if lookup.rhs_is_direct_value():
            kept = [v for v in lookup.rhs if not self.impossible(v, connection)]
            if len(kept) != len(lookup.rhs):
                if not kept:
                    raise EmptyResultSet
                clone = copy.copy(lookup)
                clone.rhs = kept
                return super(_DropImpossibleValues, clone).as_sql(compiler, connection)  # type: ignore[misc]
        return super().as_sql(compiler, connection)  # type: ignore[misc]


class _IntegerValues(_DropImpossibleValues):
    def impossible(self, value: object, connection: Any) -> bool:
        bounds = integer_bounds(getattr(self, "lhs", None), connection)
        return bounds is not None and out_of_range(value, bounds)


class IntegerFieldIn(_IntegerValues, In):
    pass


class RelatedIntegerIn(_IntegerValues, RelatedIn):
    pass


class RelatedIntegerExact(RelatedExact):
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        bounds = integer_bounds(self.lhs, connection)
        if bounds is not None and out_of_range(self.rhs, bounds):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


class _NoNul:
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if has_nul(getattr(self, "rhs", None)):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)  # type: ignore[misc]


class TextIn(_DropImpossibleValues, In):
    def impossible(self, value: object, connection: Any) -> bool:
        return has_nul(value)


TEXT_LOOKUPS = [
    type(f"Text{base.__name__}", (_NoNul, base), {})
    for base in (
        Exact,
        IExact,
        Contains,
        IContains,
        StartsWith,
        IStartsWith,
        EndsWith,
        IEndsWith,
    )
]


def register() -> None:
    """Called once from `CoreConfig.ready`."""
    IntegerField.register_lookup(IntegerFieldIn)
    ForeignKey.register_lookup(RelatedIntegerIn)
    ForeignKey.register_lookup(RelatedIntegerExact)
    for field in (CharField, TextField):
        field.register_lookup(TextIn)
        for lookup in TEXT_LOOKUPS:
            field.register_lookup(lookup)
