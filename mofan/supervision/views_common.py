"""What the supervision pages share: the message of a refused write, putting it on the form, and
paged (and column-sorted) lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from mofan.core.refusals import refusal_text
from mofan.core.sorting import Term, column_sort

T = TypeVar("T")


def attempt(
    form: forms.BaseForm,
    write: Callable[[], T],
    describe: Callable[[ValidationError | PermissionDenied], str] = refusal_text,
) -> T | None:
    """Run a service write; when the service refuses, put its message on the form (as a
    non-field error) and give None."""
    try:
        return write()
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, describe(exc))
        return None


def paged(request: HttpRequest, rows: Any, per_page: int) -> Page:
    """The page `?page=` asks for (the last one when it is too high, the first when invalid)."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def sorted_page(
    request: HttpRequest,
    rows: QuerySet[Any],
    sorts: Mapping[str, Sequence[Term]],
    *,
    default: str,
    per_page: int,
) -> dict[str, Any]:
    """A list sorted by the column `?sort=` names (see `mofan.core.sorting`) and paged: the
    template context `page`, `sorting` and `query` (filters and sort, for the pager)."""
    sorting = column_sort(request, sorts, default=default)
    page = paged(request, rows.order_by(*sorting.order_by), per_page)
    return {"page": page, "sorting": sorting, "query": sorting.query}
