"""The committee's review groups and the recorded draws of units (and reviewers) to groups."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.campaigns.selectors import taking_part
from mofan.core.refusals import flash_write, refusal_text
from mofan.evaluations import review_groups
from mofan.evaluations import selectors as scope
from mofan.evaluations.forms_review import DrawForm, GroupForm, ReviewerDrawForm
from mofan.evaluations.models import (
    Draw,
    ReviewGroup,
)


@role_required(*COMMITTEE_STAFF)
def groups(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(
        scope.campaigns_staffed_by(actor),
        pk=pk,
    )
    pool = review_groups.reviewers_of_committee(campaign.committee_id)
    is_admin = rules.administers(actor, campaign.committee_id)
    group_form = GroupForm(request.POST or None, pool=pool, campaign=campaign)
    if request.method == "POST" and is_admin and group_form.is_valid():
        try:
            review_groups.review_group_create(
                campaign=campaign,
                name=group_form.cleaned_data["name"],
                leader=group_form.cleaned_data["leader"],
                reviewers=list(group_form.cleaned_data["reviewers"]),
                actor=actor,
            )
            messages.success(request, _("评审组已建立。"))
            return redirect("reviews:groups", pk=pk)
        except (ValidationError, PermissionDenied) as exc:
            group_form.add_error(None, refusal_text(exc))
    draws = list(Draw.objects.filter(campaign=campaign))
    return render(
        request,
        "evaluations/groups.html",
        {
            "campaign": campaign,
            "groups": ReviewGroup.objects.filter(campaign=campaign)
            .select_related("leader")
            .prefetch_related("seats__reviewer", "assignments__enrollment__unit"),
            "group_form": group_form,
            "draw_form": DrawForm(),
            "reviewer_form": ReviewerDrawForm(),
            "draws": [
                (d, review_groups.draw_verify(d) if d.purpose == "assignment" else None)
                for d in draws
            ],
            "unassigned": taking_part(campaign).filter(assignment__isnull=True).count(),
            "is_admin": is_admin,
        },
    )


def _draw(
    request: HttpRequest, pk: int, form_class: Any, run: Any, done: Any, invalid: str = ""
) -> HttpResponse:
    """A recorded draw for a campaign the actor manages, from a posted form: `run(campaign,
    data, actor)` makes it (audited), `done(draw)` says what came out; back to the groups."""
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        flash_write(request, lambda: run(campaign, form.cleaned_data, actor), done)
    elif invalid:
        messages.error(request, invalid)
    return redirect("reviews:groups", pk=pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def draw(request: HttpRequest, pk: int) -> HttpResponse:
    return _draw(
        request,
        pk,
        DrawForm,
        lambda campaign, data, actor: review_groups.assignment_draw(
            campaign=campaign, method=data["method"], seed=data["seed"] or None, actor=actor
        ),
        lambda made: (
            _("已分配 %(n)d 个单位，随机种子 %(s)s。") % {"n": len(made.result), "s": made.seed}
        ),
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def draw_reviewers(request: HttpRequest, pk: int) -> HttpResponse:
    """双随机: reviewers drawn at random from the pool into groups (first of each leads)."""
    return _draw(
        request,
        pk,
        ReviewerDrawForm,
        lambda campaign, data, actor: review_groups.review_groups_draw(
            campaign=campaign,
            groups=data["groups"],
            per_group=data["per_group"],
            seed=data["seed"] or None,
            actor=actor,
        ),
        lambda made: _("已随机抽取评审员，随机种子 %(s)s。") % {"s": made.seed},
        invalid=_("请填写组数和每组人数。"),
    )
