"""Expert panel pages: the committee admin draws and closes a programme's panel (the panel block
of the programme's page, `templatetags/honours_panel.py`); an expert lists the panels they sit
on and scores the candidates, one card per candidate. Objects come through the scoped
selectors of `panel_selectors` (a 404 outside the scope); the services check again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.core.refusals import flash_write
from mofan.honours import panel, panel_selectors, selectors
from mofan.honours.forms_panel import PanelCloseForm, PanelDrawForm, PanelScoreForm
from mofan.honours.models import Nomination
from mofan.supervision.views_common import attempt


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def panel_draw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    programme = get_object_or_404(selectors.programmes_managed_by(actor), pk=pk)
    form = PanelDrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写1至50之间的专家人数。"))
        return redirect("honours:programme_detail", programme.pk)
    data = form.cleaned_data
    flash_write(
        request,
        lambda: panel.panel_draw(
            programme=programme,
            size=data["size"],
            blind=data["blind"],
            seed=data["seed"],
            actor=actor,
        ),
        lambda p: _("已抽取%(n)d名评审专家，随机种子：%(seed)s") % {"n": p.size, "seed": p.seed},
    )
    return redirect(reverse("honours:programme_detail", args=[programme.pk]) + "#panel")


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def panel_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    expert_panel = get_object_or_404(panel_selectors.panels_managed_by(actor), programme_id=pk)
    form = PanelCloseForm(request.POST)
    accept = form.is_valid() and form.cleaned_data["accept_missing"]
    flash_write(
        request,
        lambda: panel.panel_close(panel=expert_panel, actor=actor, accept_missing=accept),
        _("专家评分已结束，汇总得分已记为各推荐对象的评审得分。"),
    )
    return redirect(reverse("honours:programme_detail", args=[pk]) + "#panel")


@role_required(Role.REVIEWER)
def panel_list(request: HttpRequest) -> HttpResponse:
    seats = panel_selectors.seats_for(actor_of(request))
    return render(request, "honours/panel_list.html", {"seats": seats})


@role_required(Role.REVIEWER)
def panel_scoring(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert's scoring page: one card per candidate with its record, statement and the
    expert's own score; each card posts on its own (a phone keeps the others' input)."""
    actor = actor_of(request)
    seat = get_object_or_404(panel_selectors.seats_for(actor), panel_id=pk)
    bound: PanelScoreForm | None = None
    if request.method == "POST":
        bound = PanelScoreForm(request.POST)
        if bound.is_valid():
            data = bound.cleaned_data
            nomination = Nomination.objects.filter(
                pk=data["nomination"], programme_id=seat.panel.programme_id
            ).first()
            if nomination is None:
                bound.add_error(None, _("该推荐对象不在本次评分之列。"))
            else:
                done = attempt(
                    bound,
                    lambda: panel.panel_score(
                        panel=seat.panel,
                        nomination=nomination,
                        score=data["score"],
                        note=data["note"],
                        actor=actor,
                    ),
                )
                if done is not None:
                    messages.success(request, _("评分已保存。"))
                    url = reverse("honours:panel_scoring", args=[pk])
                    return redirect(f"{url}#c{nomination.pk}")
    cards = panel_selectors.scoring_cards(seat)
    posted = bound.data.get("nomination") if bound is not None else None
    forms = []
    matched = False
    for card in cards:
        if bound is not None and posted == str(card.nomination_id):
            form, matched = bound, True
        else:
            form = PanelScoreForm(
                initial={
                    "nomination": card.nomination_id,
                    "score": card.score,
                    "note": card.note,
                },
                auto_id=f"c{card.nomination_id}_%s",
            )
        forms.append((card, form))
    if bound is not None and not matched:  # not a card of this page: say why at the top
        errors = [str(e) for e in bound.non_field_errors()]
        for error in errors or [_("该推荐对象不在本次评分之列。")]:
            messages.error(request, error)
    return render(
        request,
        "honours/panel_scoring.html",
        {
            "seat": seat,
            "expert_panel": seat.panel,
            "programme": seat.panel.programme,
            "cards": forms,
            "open": panel.scoring_open(seat.panel),
            "done": sum(1 for c in cards if c.score is not None),
        },
    )
