"""Round pages: the list (the committee's rounds, a unit's own reports, a panel member's
rounds), creating a round, a round's page (every unit with its state, result and
distribution, filtered by state), its state changes and its panel.

Every round is fetched through a scoped selector, so anything outside the actor's scope is a
404; the services check again who may write."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules as access
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.appraisals import selectors, services
from mofan.appraisals.forms import PanelForm, RoundForm, TransitionForm
from mofan.appraisals.models import AppraisalState, Level
from mofan.appraisals.services import PANEL_ROLES
from mofan.core.refusals import flash_write, refusal_text
from mofan.organizations.models import Committee

T = TypeVar("T")


def attempt(form: forms.BaseForm, write: Callable[[], T]) -> T | None:
    """Run a service write; a refusal goes on the form (non-field error) and gives None."""
    try:
        return write()
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, refusal_text(exc))
        return None


@role_required(*PANEL_ROLES)
def round_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "appraisals/round_list.html",
        {
            "rounds": selectors.rounds_for(actor).select_related("committee"),
            "own": selectors.unit_appraisals_for(actor),
            "panel_rounds": selectors.panel_rounds_for(actor),
            "can_create": access.is_committee_admin(actor),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def round_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    ids = actor.committees_with(Role.COMMITTEE_ADMIN)
    committee = Committee.objects.filter(pk__in=ids).order_by("pk").first()
    if committee is None:
        raise PermissionDenied
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = attempt(
            form,
            lambda: services.round_create(
                committee=committee, year=data["year"], title=data["title"], actor=actor
            ),
        )
        if done is not None:
            return redirect("appraisals:round_detail", done.pk)
    return render(
        request,
        "form_page.html",
        {
            "title": _("述职评议"),
            "heading": _("新建述职评议"),
            "intro": _(
                "开始述职后，本工委每个在册单位都须提交党组（党委）书记抓基层党建工作述职报告；"
                "不参加现场述职的提交书面述职材料，做到全覆盖。"
            ),
            "form": form,
            "submit": _("保存"),
        },
    )


@role_required(*COMMITTEE_STAFF)
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    round = get_object_or_404(selectors.rounds_for(actor).select_related("committee"), pk=pk)
    appraisals = selectors.appraisals_for(actor).filter(round=round)
    state = request.GET.get("state", "")
    if state in AppraisalState.values:
        appraisals = appraisals.filter(state=state)
    else:
        state = ""
    panel = list(round.panel.order_by("username").values_list("username", flat=True))
    manages = access.administers(actor, round.committee_id)
    return render(
        request,
        "appraisals/round_detail.html",
        {
            "round": round,
            "rows": selectors.round_rows(round, appraisals),
            "states": AppraisalState.choices,
            "state": state,
            "levels": Level.choices,
            "manages": manages,
            "panel": panel,
            "panel_form": PanelForm(initial={"usernames": "\n".join(panel)}) if manages else None,
        },
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def round_transition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    round = get_object_or_404(selectors.rounds_managed_by(actor), pk=pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        flash_write(
            request,
            lambda: services.round_transition(
                round=round, action=form.cleaned_data["action"], actor=actor
            ),
            lambda r: _("述职评议状态已更新为：%(state)s") % {"state": r.get_state_display()},
        )
    return redirect("appraisals:round_detail", round.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def round_panel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    round = get_object_or_404(selectors.rounds_managed_by(actor), pk=pk)
    form = PanelForm(request.POST)
    if form.is_valid():
        flash_write(
            request,
            lambda: services.round_panel_set(round=round, usernames=form.names(), actor=actor),
            _("评议组成员已保存。"),
        )
    return redirect("appraisals:round_detail", round.pk)
