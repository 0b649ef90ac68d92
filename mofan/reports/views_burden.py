"""减负统计 pages: the actor's campaigns compared (the committee's, summed over its units) with
the actor's own units' rows, and one campaign's units. Figures come from `reports.burden`;
out-of-scope campaigns are 404."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS
from mofan.reports import burden as figures
from mofan.reports.forms import FORMAT_LABELS

PAGE_SIZE = 50


@role_required(*COMMITTEE_STAFF, *UNIT_READERS)
@require_GET
def burden_index(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    campaigns = list(figures.burden_campaigns(actor).select_related("indicator_version"))
    committee = [c for c in campaigns if figures.sees_committee(actor, c)]
    sums = figures.campaign_burden(committee, figures.burden_enrollments(actor))
    own = list(
        figures.burden_enrollments(actor)
        .filter(unit_id__in=actor.units_with(*UNIT_READERS))
        .select_related("unit", "campaign")
        .order_by("-campaign__year", "-campaign__created_at", "unit__sort_order")[:200]
    )
    own_burden = figures.enrollment_burden(own)
    return render(
        request,
        "reports/burden_index.html",
        {
            "committee_rows": [(c, sums[c.pk]) for c in committee],
            "own_rows": [(e, own_burden[e.pk]) for e in own],
        },
    )


@role_required(*COMMITTEE_STAFF, *UNIT_READERS)
@require_GET
def burden_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(
        figures.burden_campaigns(actor).select_related("indicator_version"), pk=pk
    )
    enrollments = figures.burden_enrollments(actor).filter(campaign=campaign)
    page = Paginator(
        enrollments.select_related("unit", "campaign").order_by("unit__sort_order", "unit_id"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    by_enrollment = figures.enrollment_burden(list(page.object_list))
    return render(
        request,
        "reports/burden_campaign.html",
        {
            "campaign": campaign,
            "committee_view": figures.sees_committee(actor, campaign),
            "summed": figures.campaign_burden([campaign], enrollments)[campaign.pk],
            "page": page,
            "rows": [(e, by_enrollment[e.pk]) for e in page.object_list],
            "formats": [(fmt, FORMAT_LABELS.get(fmt, fmt)) for fmt in ("xlsx", "csv")],
        },
    )
