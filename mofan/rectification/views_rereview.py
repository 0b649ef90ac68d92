"""Re-review (复核) pages: the list, one re-review with its scoring form, and the POSTs that score,
submit, approve and reject. Every object comes through `rereviews_for(actor)`: outside it, 404;
inside it, a step the actor may not take is 403 (the services decide)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign
from mofan.core.params import parse_id
from mofan.core.refusals import refusal_text
from mofan.core.sorting import column_sort
from mofan.evaluations.inputs import input_fields, parse_leaf_input
from mofan.indicators.models import IndicatorNode
from mofan.rectification import rereview as rr
from mofan.rectification.models import ReReview, ReReviewScore, ReReviewState

READERS = (
    Role.COMMITTEE_ADMIN,
    Role.COMMITTEE_LEADER,
    Role.REVIEWER,
    Role.UNIT_ADMIN,
    Role.UNIT_LEADER,
)
PAGE_SIZE = 50


def _posted_int(request: HttpRequest, name: str) -> int | None:
    return parse_id(request.POST.get(name))


def _get(request: HttpRequest, pk: int) -> ReReview:
    return get_object_or_404(
        rr.rereviews_for(actor_of(request)).select_related(
            "enrollment__unit", "enrollment__campaign__indicator_version", "decided_by"
        ),
        pk=pk,
    )


@role_required(*READERS)
def rereview_list(request: HttpRequest) -> HttpResponse:
    """Every re-review the actor may see, newest first; `?campaign=<id>` and `?state=` filter,
    `?sort=` orders by a column (`rr.SORTS`)."""
    actor = actor_of(request)
    sorting = column_sort(request, rr.SORTS, default=rr.DEFAULT_SORT)
    rereviews = rr.rereviews_for(actor).select_related("enrollment__unit", "enrollment__campaign")
    campaign_id = parse_id(request.GET.get("campaign"))
    if campaign_id is not None:
        rereviews = rereviews.filter(enrollment__campaign_id=campaign_id)
    state = request.GET.get("state", "")
    if state in ReReviewState.values:
        rereviews = rereviews.filter(state=state)
    page = Paginator(rereviews.order_by(*sorting.order_by), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    campaigns = Campaign.objects.filter(
        pk__in=rr.rereviews_for(actor).values("enrollment__campaign_id")
    ).order_by("-year", "name")
    return render(
        request,
        "rectification/rereview_list.html",
        {
            "page": page,
            "campaigns": campaigns,
            "campaign_id": campaign_id,
            "state": state,
            "states": ReReviewState.choices,
            "sorting": sorting,
            "query": sorting.query,
        },
    )


@login_required
def rereview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    rereview = _get(request, pk)
    enrollment = rereview.enrollment
    campaign = enrollment.campaign
    assignment = rr.assignment_of(rereview)
    can_score = rr.may_score(rereview, assignment, actor)
    staff = rules.is_staff_of(actor, campaign.committee_id)
    in_group = assignment is not None and any(
        u.pk == actor.user.pk for u in rr.group_people(assignment)
    )
    unit_reader = rules.reads_unit(actor, enrollment.unit_id)
    scores = {
        s.node_id: s
        for s in ReReviewScore.objects.filter(rereview=rereview).select_related("scored_by")
    }
    originals = rereview.before.get("nodes", {})
    rows = [
        {
            "node": node,
            "original": originals.get(str(node.pk), "—"),
            "score": scores.get(node.pk),
            "fields": input_fields(
                node.method,
                node.points,
                scores[node.pk].input if node.pk in scores else None,
            )
            if can_score
            else [],
        }
        for node in IndicatorNode.objects.filter(pk__in=rereview.node_ids).order_by("order")
    ]
    return render(
        request,
        "rectification/rereview_detail.html",
        {
            "rereview": rereview,
            "enrollment": enrollment,
            "campaign": campaign,
            "group": assignment.group if assignment is not None else None,
            "rows": rows,
            "items": rr.tied_items(rereview).select_related("node"),
            "items_linked": staff or unit_reader,
            "show_results": staff or in_group or (unit_reader and campaign.results_published),
            "can_score": can_score,
            "can_submit": rr.may_submit(rereview, assignment, actor),
            "can_decide": rr.may_decide(rereview, actor),
            "can_close": rr.may_close(rereview, actor),
        },
    )


def _back(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("rectification:rereview_detail", args=[pk]) + anchor)


@require_POST
@login_required
def rereview_score(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the group's re-review score of one node (the node's id in the POST as `node`)."""
    rereview = _get(request, pk)
    node_id = _posted_int(request, "node")
    if node_id is None or node_id not in rereview.node_ids:
        raise Http404
    node = get_object_or_404(IndicatorNode, pk=node_id)
    try:
        rr.rereview_score_save(
            rereview=rereview,
            node=node,
            value=parse_leaf_input(node.method, request.POST),
            comment=request.POST.get("comment", "").strip()[:2000],
            expected_version=_posted_int(request, "version"),
            actor=actor_of(request),
        )
        messages.success(request, _("%(c)s 的复核评分已保存。") % {"c": node.code})
    except ValidationError as exc:  # StaleWrite included: the message names the newer value
        messages.error(request, f"{node.code}：{refusal_text(exc)}")
    return _back(pk, f"#node-{node.code}")


def _transition(request: HttpRequest, pk: int, to: str, done: str) -> HttpResponse:
    rereview = _get(request, pk)
    try:
        rr.rereview_transition(
            rereview=rereview,
            to=to,
            actor=actor_of(request),
            reason=request.POST.get("reason", "")[:2000],
            expected_version=_posted_int(request, "version"),
        )
        messages.success(request, done)
    except ValidationError as exc:
        messages.error(request, refusal_text(exc))
    return _back(pk)


@require_POST
@login_required
def rereview_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, ReReviewState.SUBMITTED, _("复核已提交，等待工委批准。"))


@require_POST
@login_required
def rereview_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, ReReviewState.APPROVED, _("已批准：复核结果替换了该单位的原考评结果。")
    )


@require_POST
@login_required
def rereview_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, ReReviewState.REJECTED, _("已不予批准，保留原考评结果。"))


@require_POST
@login_required
def rereview_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, ReReviewState.CLOSED, _("已结束该单位的整改，理由已记录。"))
