"""Nomination pages: a unit's nomination (prefilled from the records), a nomination's page with
the committee's review, veto inputs, objections and revocation, and the 公示 list with its
objection channel. Objects come through scoped selectors (a 404 outside the scope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules as access
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import UNIT_ROLES, Role
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write
from mofan.honours import nominations as writes
from mofan.honours import panel_selectors, records, selectors, services
from mofan.honours.forms import (
    NominationForm,
    ObjectionForm,
    RecordedObjectionForm,
    ResolveForm,
    ReviewForm,
    RevokeForm,
    VetoForm,
)
from mofan.honours.models import HonourKind, NominationState, ProgrammeState
from mofan.honours.selectors import READERS
from mofan.supervision.views_common import attempt


@role_required(Role.UNIT_ADMIN)
def nomination_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    programme = get_object_or_404(
        selectors.programmes_for(actor), pk=pk, state=ProgrammeState.NOMINATING
    )
    units = selectors.nominating_units(actor, programme)
    unit_id = parse_id(request.GET.get("unit"))
    unit = (units.filter(pk=unit_id) if unit_id is not None else units).first()
    if unit is None:
        raise Http404
    form = NominationForm(request.POST or None, programme=programme, unit=unit, actor=actor)
    facts = records.facts_of(programme, unit) if programme.kind == HonourKind.UNIT else None
    if request.method == "POST" and "preview" in request.POST:
        # 查看记录数据 before the statement is written: only the candidate needs to be valid, and
        # the form comes back unbound (no "required" errors) with what was typed.
        form.is_valid()
        picked = {k: form.cleaned_data.get(k) for k in ("party_org", "member")}
        if any(picked.values()):
            facts = records.facts_of(programme, unit, **picked)
        form = NominationForm(
            initial=request.POST.dict(), programme=programme, unit=unit, actor=actor
        )
    elif request.method == "POST" and form.is_valid():
        candidate: dict[str, Any] = {
            "party_org": form.cleaned_data.get("party_org"),
            "member": form.cleaned_data.get("member"),
        }
        facts = records.facts_of(programme, unit, **candidate)
        done = attempt(
            form,
            lambda: writes.nomination_create(
                programme=programme,
                unit=unit,
                statement=form.cleaned_data["statement"],
                actor=actor,
                **candidate,
            ),
        )
        if done is not None:
            return redirect("honours:nomination_detail", done.pk)
    return render(
        request,
        "honours/nomination_form.html",
        {
            "programme": programme,
            "unit": unit,
            "form": form,
            "facts": facts,
            "left": services.nominations_left(programme, unit),
            "asks_candidate": programme.kind != HonourKind.UNIT,
        },
    )


@role_required(*READERS)
def nomination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    nomination = get_object_or_404(selectors.nominations_for(actor), pk=pk)
    programme = nomination.programme
    staff = access.is_staff_of(actor, programme.committee_id)
    manages = access.administers(actor, programme.committee_id)
    reviewing = manages and programme.state == ProgrammeState.REVIEWING
    context = {
        "nomination": nomination,
        "programme": programme,
        "staff": staff,
        "vetoes": nomination.vetoes.all() if staff else [],
        "objections": nomination.objections.all() if staff else [],
        "review_form": ReviewForm(
            initial={"score": nomination.score, "note": nomination.review_note}
        )
        if reviewing and not panel_selectors.has_panel(programme)  # else the panel scores
        else None,
        "veto_form": VetoForm() if reviewing else None,
        "resolve_form": ResolveForm()
        if manages and programme.state == ProgrammeState.PUBLICITY
        else None,
        "record_form": RecordedObjectionForm()
        if manages
        and programme.state == ProgrammeState.PUBLICITY
        and nomination.state == NominationState.SELECTED
        else None,
        "revoke_form": RevokeForm()
        if manages and nomination.state == NominationState.NAMED
        else None,
    }
    return render(request, "honours/nomination_detail.html", context)


def _managed(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(selectors.nominations_managed_by(actor_of(request)), pk=pk)


def _refused(request: HttpRequest, form: Any) -> None:
    errors = [e for field_errors in form.errors.values() for e in field_errors]
    messages.error(request, "；".join(errors) or _("填写有误。"))


def _nomination_write(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    write: Callable[[Any, Any, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """A committee admin's write on a nomination from its page: the form checked, the write
    flashed (refusals as messages), back to the nomination."""
    actor = actor_of(request)
    nomination = _managed(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        flash_write(request, lambda: write(nomination, actor, data), done)
    else:
        _refused(request, form)
    return redirect("honours:nomination_detail", nomination.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def nomination_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _nomination_write(
        request,
        pk,
        ReviewForm,
        lambda nomination, actor, data: writes.nomination_review(
            nomination=nomination, score=data["score"], note=data["note"], actor=actor
        ),
        _("评分已保存。"),
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def veto_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _nomination_write(
        request,
        pk,
        VetoForm,
        lambda nomination, actor, data: writes.veto_record(
            nomination=nomination, actor=actor, **data
        ),
        _("征求意见已记录。"),
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def honour_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _nomination_write(
        request,
        pk,
        RevokeForm,
        lambda nomination, actor, data: writes.honour_revoke(
            nomination=nomination, actor=actor, **data
        ),
        _("荣誉已撤销。"),
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    objection = get_object_or_404(selectors.objections_managed_by(actor), pk=pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        flash_write(
            request,
            lambda: writes.objection_resolve(objection=objection, actor=actor, **data),
            _("异议已处理。"),
        )
    else:
        _refused(request, form)
    return redirect("honours:nomination_detail", objection.nomination_id)


@role_required(*READERS)
def publicity(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    programme = get_object_or_404(selectors.publicity_programmes_for(actor), pk=pk)
    can_object = (
        programme.state == ProgrammeState.PUBLICITY
        and programme.committee_id in selectors.unit_committees(actor, tuple(UNIT_ROLES))
    )
    return render(
        request,
        "honours/publicity.html",
        {
            "programme": programme,
            "rows": selectors.publicity_list(programme),
            "can_object": can_object,
            "form": ObjectionForm() if can_object else None,
            "mine": selectors.own_objections(actor, programme).select_related("nomination"),
        },
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def objection_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee records an objection received by phone, letter, visit or e-mail."""
    actor = actor_of(request)
    nomination = get_object_or_404(selectors.nominations_managed_by(actor), pk=pk)
    form = RecordedObjectionForm(request.POST)
    if form.is_valid():
        flash_write(
            request,
            lambda: writes.objection_record(
                nomination=nomination, actor=actor, **form.cleaned_data
            ),
            _("异议已记录，请核实后处理。"),
        )
    else:
        _refused(request, form)
    return redirect("honours:nomination_detail", nomination.pk)


def public_publicity(request: HttpRequest, pk: int) -> HttpResponse:
    """The 公示 list as the public sees it, without an account: the candidates, their units,
    the period and how to raise an objection (the committee's contact); once named, the named
    and any since revoked. No record data, statement, score or veto is shown."""
    programme = get_object_or_404(selectors.public_programmes(), pk=pk)
    return render(
        request,
        "honours/public_publicity.html",
        {"programme": programme, "rows": selectors.publicity_list(programme)},
    )


@require_POST
@role_required(*READERS)
def objection_lodge(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    nomination = get_object_or_404(selectors.public_nominations_for(actor), pk=pk)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        flash_write(
            request,
            lambda: writes.objection_lodge(
                nomination=nomination, text=form.cleaned_data["text"], actor=actor
            ),
            _("异议已提交，工委将核实处理。"),
        )
    else:
        _refused(request, form)
    return redirect("honours:publicity", nomination.programme_id)
