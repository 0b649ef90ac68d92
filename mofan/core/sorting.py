"""Column sorting for paged lists.

A list declares a whitelist: sort key → the ascending `order_by` terms (field names or ordering
expressions). `?sort=<key>` picks one, `?sort=-<key>` the same reversed; anything else (a
missing, unknown or malformed key) gives the list's default. A unique tiebreaker (`pk`) ends
every ordering, so a page never repeats or skips a row between requests.

    SORTS = {"created": ("created_at",), "unit": ("unit__sort_order", "unit_id", "-created_at")}
    sorting = column_sort(request, SORTS, default="-created")
    page = Paginator(qs.order_by(*sorting.order_by), 50).get_page(request.GET.get("page"))
    context = {"page": page, "sorting": sorting, "query": sorting.query}

Templates render the header links with `{% load sort_links %}` and
`{% sort_th sorting "unit" _("单位") %}` (or `{% sort_link ... %}` outside a table); a header
link keeps the request's filters and drops the page; `sorting.query` (filters and sort, no page)
is what the pager appends. A filter form keeps the sort with a hidden
`<input name="sort" value="{{ sorting.key }}">` when `sorting.requested`.

Reversing flips every term but keeps where NULLs go: a term written `F("x").asc(nulls_last=True)`
puts the rows without a value last in both directions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, OrderBy, Value, When
from django.http import HttpRequest

Term = str | OrderBy
PARAM = "sort"
PAGE_PARAMS = ("page",)
TIEBREAKERS = frozenset({"pk", "-pk", "id", "-id"})


def reverse_term(term: Term) -> Term:
    """The term sorting the other way (NULLs stay where the term put them)."""
    if isinstance(term, str):
        return term[1:] if term.startswith("-") else f"-{term}"
    return OrderBy(
        term.expression,
        descending=not term.descending,
        nulls_first=term.nulls_first,
        nulls_last=term.nulls_last,
    )


def ordering(sorts: Mapping[str, Sequence[Term]], key: str) -> tuple[Term, ...] | None:
    """The `order_by` terms of `key` (`-key` reversed), ending with `pk`; None if unknown."""
    name, descending = (key[1:], True) if key.startswith("-") else (key, False)
    base = sorts.get(name)
    if base is None:
        return None
    terms = tuple(base)
    if not any(isinstance(t, str) and t in TIEBREAKERS for t in terms):
        terms += ("pk",)
    return tuple(reverse_term(t) for t in terms) if descending else terms


def rank(field: str, values: Iterable[Any]) -> Case:
    """An integer standing for the position of `field`'s value in `values` (e.g. the states in
    the order of their life cycle); values not listed come last. Use `rank(...).asc()`."""
    values = list(values)
    return Case(
        *(When(**{field: value}, then=Value(i)) for i, value in enumerate(values)),
        default=Value(len(values)),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class SortLink:
    href: str
    active: bool
    descending: bool

    @property
    def aria_sort(self) -> str:
        if not self.active:
            return ""
        return "descending" if self.descending else "ascending"


@dataclass(frozen=True)
class Sorting:
    key: str  # in effect: "unit", "-created"
    order_by: tuple[Term, ...]
    requested: bool  # the request named this key (else it is the default)
    others: str  # the request's other parameters (filters), without page and sort, encoded

    @property
    def column(self) -> str:
        return self.key.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.key.startswith("-")

    @property
    def query(self) -> str:
        """Filters and sort, without the page: what the pager links carry."""
        return self._with(self.key) if self.requested else self.others

    def _with(self, key: str) -> str:
        sort = f"{PARAM}={key}"
        return f"{self.others}&{sort}" if self.others else sort

    def link(self, column: str) -> SortLink:
        """The header link of a column: ascending first, the other way when it is in effect."""
        active = column == self.column
        key = f"-{column}" if active and not self.descending else column
        return SortLink(href=f"?{self._with(key)}", active=active, descending=self.descending)


def column_sort(
    request: HttpRequest,
    sorts: Mapping[str, Sequence[Term]],
    *,
    default: str,
    drop: Sequence[str] = PAGE_PARAMS,
) -> Sorting:
    """The sort a list request asks for (or the default), with what its template needs.
    `drop` names the paging parameters that a new sort (or a new filter) resets."""
    fallback = ordering(sorts, default)
    if fallback is None:
        raise ValueError(f"default sort {default!r} is not among {sorted(sorts)}")
    raw = request.GET.get(PARAM, "")
    chosen = ordering(sorts, raw) if raw else None
    others = request.GET.copy()
    for name in (PARAM, *drop):
        others.pop(name, None)
    return Sorting(
        key=raw if chosen is not None else default,
        order_by=chosen if chosen is not None else fallback,
        requested=chosen is not None,
        others=others.urlencode(),
    )
