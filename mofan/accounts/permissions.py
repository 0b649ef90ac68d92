"""View decorators: which roles may open a page, and pages that need a fresh password."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from mofan.accounts.services import reauth_recent
from mofan.core.redirects import safe_next

View = Callable[..., HttpResponse]


def role_required(*roles: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.actor.has(*roles):  # type: ignore[attr-defined]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def recent_auth_required(view: View) -> View:
    """Ask for the password again unless it was given in the last few minutes."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not reauth_recent(request):
            target = request.get_full_path()
            if request.method != "GET":
                # After re-authenticating, go back to the page the form was on (same origin).
                referer = urlsplit(request.headers.get("Referer", ""))
                same_origin = not referer.netloc or referer.netloc == request.get_host()
                target = safe_next(request, referer.path, "/") if same_origin else "/"
            query = urlencode({"next": target})
            if request.htmx:  # type: ignore[attr-defined]
                response = HttpResponse(status=204)
                response["HX-Redirect"] = f"{reverse('accounts:reauth')}?{query}"
                return response
            return redirect(f"{reverse('accounts:reauth')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper
