"""Integers from request data (ids, versions, page numbers in forms that are not Django forms).

`str.isdigit()` is the wrong guard before `int()`: it is true for "²" and "①", which `int()`
refuses (a 500), and `int()` alone takes "-1", " 7 " and "1_000". Ids and versions are plain
ASCII digits; anything else is "no such object" (404) or "not given" (None). A value too large
for the database is left to the ORM, where it matches no row (`mofan.core.lookups`).
"""

from __future__ import annotations

from django.http import Http404


def parse_id(value: object) -> int | None:
    """A non-negative integer written in ASCII digits (an int passes as it is), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def id_or_404(value: object) -> int:
    """`parse_id`, with anything that is not an id answered 404 (the object does not exist)."""
    parsed = parse_id(value)
    if parsed is None:
        raise Http404
    return parsed
