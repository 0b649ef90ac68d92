"""The committee's campaign dashboard and a unit's own view, each a page (with the numbers as
tables, so it reads and prints without JavaScript) and a JSON endpoint its charts are drawn
from (`static/js/charts.js`). Out-of-scope campaigns and enrollments are 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from mofan.accounts import rules
from mofan.accounts.access import Actor, actor_of
from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.models import UnitResult
from mofan.reports import dashboard as dash
from mofan.reports import dashboard_table as table


def _campaign(actor: Actor, pk: int) -> Campaign:
    return get_object_or_404(
        dash.dashboard_campaigns(actor).select_related("indicator_version__system", "committee"),
        pk=pk,
    )


def _enrollment(actor: Actor, pk: int) -> Enrollment:
    return get_object_or_404(
        dash.unit_view_enrollments(actor).select_related(
            "unit", "campaign__indicator_version__system"
        ),
        pk=pk,
    )


def _json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, private=True, no_store=True)
    return response


def _query(**params: Any) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _columns(key: str, descending: bool) -> list[dict[str, Any]]:
    """Each column header's link: ascending first, a second click descending."""
    columns = []
    for column, label in table.unit_sort_choices():
        current = column == key
        target = f"-{column}" if current and not descending else column
        columns.append(
            {
                "key": column,
                "label": label,
                "current": current,
                "descending": current and descending,
                "aria": ("descending" if descending else "ascending") if current else "none",
                "href": _query(sort=target),
            }
        )
    return columns


def _score_empty(figures: dash.Figures) -> str:
    if figures.submitted == 0:
        return _("暂无数据：尚无单位提交自评")
    return _("暂无数据：尚无审定结果")


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = _campaign(actor, pk)
    today = timezone.localdate()
    figures = dash.campaign_figures(campaign, actor, today=today)
    key, descending = table.parse_sort(request.GET.get("sort"))
    sort = f"-{key}" if descending else key
    page: Page[Enrollment] = Paginator(
        table.unit_rows(campaign, actor, sort=sort, today=today), dash.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for row in page.object_list:
        try:
            row.unit_result = row.result
        except UnitResult.DoesNotExist:
            row.unit_result = None
    context = {
        "campaign": campaign,
        "figures": figures,
        "score_empty": _score_empty(figures),
        "page": page,
        "columns": _columns(key, descending),
        "sort": sort,
        "previous_query": _query(sort=sort, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_query": _query(sort=sort, page=page.next_page_number()) if page.has_next() else "",
    }
    template = "reports/dashboard.html"
    htmx = request.htmx  # type: ignore[attr-defined]
    # A sort or page link swaps the table only; going back in history asks for the whole page.
    if htmx and not htmx.history_restore_request:
        template += "#unit-table"
    return render(request, template, context)


@login_required
@require_GET
def dashboard_data(request: HttpRequest, pk: int) -> JsonResponse:
    actor = actor_of(request)
    campaign = _campaign(actor, pk)
    figures = dash.campaign_figures(campaign, actor, today=timezone.localdate())
    return _json(dash.figures_json(figures))


def _unit_figures(request: HttpRequest, pk: int) -> tuple[Actor, Enrollment, dash.UnitFigures]:
    """The actor, the enrollment they may see (404 otherwise) and its figures as of today."""
    actor = actor_of(request)
    enrollment = _enrollment(actor, pk)
    return actor, enrollment, dash.unit_figures(enrollment, actor, today=timezone.localdate())


@login_required
@require_GET
def unit_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor, enrollment, figures = _unit_figures(request, pk)
    campaign = enrollment.campaign
    staff = dash.sees_everything(actor, campaign)
    return render(
        request,
        "reports/unit_view.html",
        {
            "enrollment": enrollment,
            "campaign": campaign,
            "unit": enrollment.unit,
            "figures": figures,
            "staff": staff,
            "own_unit": rules.reads_unit(actor, enrollment.unit_id),
        },
    )


@login_required
@require_GET
def unit_data(request: HttpRequest, pk: int) -> JsonResponse:
    _actor, _seen, figures = _unit_figures(request, pk)
    return _json(dash.unit_json(figures))
