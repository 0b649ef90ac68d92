"""Small helpers the evaluation pages share."""

from __future__ import annotations

from django.http import Http404, HttpRequest


def posted_id(request: HttpRequest, name: str) -> int:
    """An id from a hidden form field; anything but a number is a 404, not a server error."""
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        raise Http404 from None
