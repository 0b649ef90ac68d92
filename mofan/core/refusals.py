"""A service's refusal (ValidationError, PermissionDenied) as the one line a page shows, and
`flash_write`, the try/except every POST-then-redirect view wraps around its service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

T = TypeVar("T")


def refusal_text(exc: ValidationError | PermissionDenied) -> str:
    """The messages of a refusal joined with "；" (a PermissionDenied's own text)."""
    return "；".join(getattr(exc, "messages", [str(exc)]))


def flash_write(
    request: HttpRequest,
    write: Callable[[], T],
    success: str | Callable[[T], str] = "",
    *,
    refused: str = "",
) -> T | None:
    """Run an audited service write for a page that answers with a redirect. Done: say
    `success` (a text, or a function of what the write gave; none when empty) and give what the
    write gave. Refused: show the refusal, after `refused`, as an error message and give None."""
    try:
        done = write()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refused + refusal_text(exc))
        return None
    text = success(done) if callable(success) else success
    if text:
        messages.success(request, text)
    return done
