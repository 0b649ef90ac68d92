"""Problem-list pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from mofan.rectification.selectors import problem_items_for


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    item = get_object_or_404(
        problem_items_for(actor).select_related("unit", "campaign", "node", "party_org"), pk=pk
    )
    events = item.events.select_related("actor")
    return render(request, "rectification/item_detail.html", {"item": item, "events": events})
