"""The search box of a list page: the text searched for and the rows that match it."""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Q
from django.http import HttpRequest


def search_text(request: HttpRequest) -> str:
    """What the list page's search box (`q`) asks for, trimmed; "" for nothing."""
    return request.GET.get("q", "").strip()


def contains_any(text: str, *fields: str) -> Q:
    """Rows in which any of `fields` contains `text`, ignoring case."""
    return reduce(operator.or_, (Q(**{f"{field}__icontains": text}) for field in fields))
