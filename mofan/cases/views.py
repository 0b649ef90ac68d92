"""Call pages: the list, creating and editing a draft, a call's page (the committee: the cases,
the panel, the consolidated ranking and the selection; a unit: its own cases), its state
changes, the draw, closing the scoring, the tie decision, and the 优秀案例 list of the
committee.

Every call is fetched through a scoped selector, so anything outside the actor's scope is a
404; the services check again who may write."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules as access
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.cases import panel as panel_writes
from mofan.cases import rules, selectors, services
from mofan.cases.forms import CallForm, DrawForm, TransitionForm
from mofan.cases.models import CallState, CaseCall, CasePanel
from mofan.core.extensions import sections_of
from mofan.core.refusals import flash_write
from mofan.organizations.models import Committee
from mofan.organizations.selectors import committee_administered_by
from mofan.supervision.views_common import attempt


def _admin_committee(request: HttpRequest) -> Committee:
    return committee_administered_by(actor_of(request))


@role_required(*selectors.READERS)
def call_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "cases/call_list.html",
        {
            "calls": selectors.calls_for(actor).order_by("-year", "-pk"),
            "can_create": access.is_committee_admin(actor),
        },
    )


def _call_form(request: HttpRequest, call: CaseCall | None) -> HttpResponse:
    actor = actor_of(request)
    committee = _admin_committee(request) if call is None else call.committee
    form = CallForm(request.POST or None, instance=call)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if call is None:
            done = attempt(
                form, lambda: services.call_create(committee=committee, values=values, actor=actor)
            )
        else:
            done = attempt(
                form, lambda: services.call_update(call=call, values=values, actor=actor)
            )
        if done is not None:
            return redirect("cases:call_detail", done.pk)
    return render(
        request,
        "form_page.html",
        {
            "title": _("案例征集"),
            "heading": _("新建案例征集") if call is None else _("修改案例征集"),
            "intro": _(
                "各单位在截止日期前报送党建品牌案例；专家按评审标准打分，按名次评选优秀案例。"
            ),
            "form": form,
            "submit": _("保存"),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def call_create(request: HttpRequest) -> HttpResponse:
    return _call_form(request, None)


@role_required(Role.COMMITTEE_ADMIN)
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(
        selectors.calls_managed_by(actor_of(request)),
        pk=pk,
        state=CallState.DRAFT,
    )
    return _call_form(request, call)


def _ranking(call: CaseCall) -> dict[str, object]:
    """The committee's view of the review: each case with its experts' totals (count, live
    mean), and once the scoring is closed, the selection the rules give."""
    cases = services.in_review(call)
    totals = panel_writes.totals(call, cases)
    rows = []
    for case in cases:
        given = sorted(totals.get(case.pk, []))
        rows.append((case, given, rules.consolidate(given)))
    rows.sort(key=lambda r: (r[0].rank or 10**6, -(r[2] or 0), r[0].pk))
    context: dict[str, object] = {"rows": rows}
    panel = CasePanel.objects.filter(call=call).first()
    if panel is not None and panel.closed and call.state == CallState.REVIEWING:
        selection = services.selection_of(call)
        titles = {c.pk: c.title for c in cases}
        context["selection"] = selection
        context["named_titles"] = [titles[i] for i in selection.named]
        context["tied"] = [(i, titles[i]) for i in selection.tied]
    return context


@role_required(*selectors.READERS)
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    call = get_object_or_404(selectors.calls_for(actor).select_related("committee"), pk=pk)
    staff = access.is_staff_of(actor, call.committee_id)
    manages = access.administers(actor, call.committee_id)
    panel = CasePanel.objects.filter(call=call).first()
    context: dict[str, object] = {
        "call": call,
        "staff": staff,
        "manages": manages,
        "panel": panel,
        "seats": panel.seats.select_related("expert") if panel and staff else [],
        "own_cases": selectors.cases_for(actor)
        .filter(call=call, unit_id__in=actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER))
        .order_by("unit_id", "pk"),
        "units": [],
        "excellent": (
            selectors.excellent_for(actor).filter(call=call)
            if call.state == CallState.SELECTED
            else []
        ),
        "draw_form": (DrawForm() if manages and call.state in panel_writes.DRAW_STATES else None),
        # what higher apps add (reports: the compilation of the selected cases)
        "sections": sections_of("cases.call", actor=actor, call=call),
    }
    if call.state == CallState.COLLECTING:
        context["units"] = [
            (unit, services.cases_left(call, unit))
            for unit in selectors.submitting_units(actor, call)
        ]
    if staff:
        context.update(_ranking(call))
    return render(request, "cases/call_detail.html", context)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def call_transition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    call = get_object_or_404(selectors.calls_managed_by(actor), pk=pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        flash_write(
            request,
            lambda: services.call_transition(
                call=call, action=data["action"], actor=actor, reason=data["reason"]
            ),
            lambda c: _("征集状态已更新为：%(state)s") % {"state": c.get_state_display()},
        )
    return redirect("cases:call_detail", call.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def panel_draw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    call = get_object_or_404(selectors.calls_managed_by(actor), pk=pk)
    form = DrawForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("cases:call_detail", call.pk)
    flash_write(
        request,
        lambda: panel_writes.panel_draw(
            call=call, size=form.cleaned_data["size"], seed=form.cleaned_data["seed"], actor=actor
        ),
        _("已抽取评审专家。"),
    )
    return redirect("cases:call_detail", call.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def panel_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    call = get_object_or_404(selectors.calls_managed_by(actor), pk=pk)
    flash_write(
        request,
        lambda: panel_writes.panel_close(call=call, actor=actor),
        _("专家评分已结束，已按平均分排名。"),
    )
    return redirect("cases:call_detail", call.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def tie_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    call = get_object_or_404(selectors.calls_managed_by(actor), pk=pk)
    chosen = [int(v) for v in request.POST.getlist("chosen") if v.isascii() and v.isdigit()]
    flash_write(
        request,
        lambda: panel_writes.tie_decide(call=call, chosen=chosen, actor=actor),
        _("已确定同分入选案例。"),
    )
    return redirect("cases:call_detail", call.pk)


@role_required(*selectors.EXCELLENT_READERS)
def excellent_list(request: HttpRequest) -> HttpResponse:
    """The published 优秀案例 of the actor's committees, for everyone holding a role in them."""
    actor = actor_of(request)
    return render(request, "cases/excellent_list.html", {"cases": selectors.excellent_for(actor)})
