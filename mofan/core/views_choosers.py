"""The one search endpoint per chooser kind (see `core.choosers`): at most `SEARCH_LIMIT`
matches within the scope the actor may pick from, as a partial for htmx."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mofan.core import choosers


@login_required
@require_GET
def choose(request: HttpRequest, kind: str) -> HttpResponse:
    """`?scope=<name>&q=<text>` plus the scope's own parameters. An unknown kind or scope is a
    404; outside every scope (no role there) the list is simply empty."""
    params = {key: request.GET.get(key, "") for key in request.GET}
    queryset = choosers.scoped(
        kind,
        params.get("scope", ""),
        request.actor,  # type: ignore[attr-defined]
        params,
    )
    if queryset is None:
        raise Http404
    entry = choosers.registered(kind)
    text = params.get("q", "")[:100]
    found, more = choosers.search(entry, queryset, text)
    options = [{"pk": o.pk, "label": entry.label(o), "detail": entry.detail(o)} for o in found]
    response = render(
        request,
        "core/widgets/_chooser_options.html",
        {
            "options": options,
            "more": more,
            "text": text.strip(),
            "kind": entry,
            "limit": choosers.SEARCH_LIMIT,
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response
