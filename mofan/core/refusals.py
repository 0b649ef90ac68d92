"""A service's refusal (ValidationError, PermissionDenied) as the one line a page shows."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


def refusal_text(exc: ValidationError | PermissionDenied) -> str:
    """The messages of a refusal joined with "；" (a PermissionDenied's own text)."""
    return "；".join(getattr(exc, "messages", [str(exc)]))
