"""Rows that point at their parent (`parent_id`), read flat in one query, put in tree order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar


class TreeRow(Protocol):
    pk: Any
    parent_id: Any


R = TypeVar("R", bound=TreeRow)


def in_tree_order(rows: Iterable[R]) -> list[tuple[R, int]]:
    """Each row with its depth (0 for a root), depth first; siblings keep the order given."""
    children: dict[Any, list[R]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[tuple[R, int]] = []

    def walk(parent: Any, depth: int) -> None:
        for row in children.get(parent, []):
            ordered.append((row, depth))
            walk(row.pk, depth + 1)

    walk(None, 0)
    return ordered
