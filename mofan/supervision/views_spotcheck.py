"""Spot-check pages (双随机、一公开): the list of draws, the committee's draw form, a draw's
published result, the inspector's draws and visit form, and a visit's record. Objects come from
the selectors in `selectors_spotcheck`; outside them, 404."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.models import User
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.core.params import parse_id
from mofan.evaluations.selectors import campaigns_managed_by
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemItem
from mofan.rectification.selectors import problem_items_for
from mofan.supervision import selectors_spotcheck as scope
from mofan.supervision import spotcheck
from mofan.supervision.forms_spotcheck import (
    STRATIFY_LABELS,
    SpotCheckDrawForm,
    SpotCheckVisitForm,
    VisitCorrectionForm,
)
from mofan.supervision.models import SpotCheckDraw, SpotCheckVisit, VisitMode
from mofan.supervision.views_common import attempt, sorted_page

# Who sees a visit's record; a draw's published result is for members too (一公开).
VISIT_READERS = (*COMMITTEE_STAFF, Role.REVIEWER, *UNIT_READERS)
READERS = (*VISIT_READERS, Role.MEMBER)
PER_PAGE = 50


def _mode_label(mode: str) -> str:
    return str(dict(VisitMode.choices).get(mode, mode))


@role_required(*READERS)
def spotcheck_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    listed = sorted_page(
        request,
        scope.draws_visible_to(actor).select_related("campaign"),
        scope.DRAW_SORTS,
        default=scope.DRAW_DEFAULT,
        per_page=PER_PAGE,
    )
    rows = [
        {
            "draw": d,
            "units": len(d.result.get("units", [])),
            "inspectors": len(d.result.get("inspectors", [])),
            "mode": _mode_label(d.inputs.get("mode", "")),
        }
        for d in listed["page"]
    ]
    own_units = actor.units_with(*UNIT_READERS)
    own_visits = (
        scope.visits_visible_to(actor)
        .filter(unit_id__in=own_units)
        .select_related("unit", "draw")
        .order_by("-visited_on", "-pk")[:PER_PAGE]
        if own_units
        else []
    )
    return render(
        request,
        "supervision/spotcheck_list.html",
        {
            **listed,
            "rows": rows,
            "own_visits": own_visits,
            "may_draw": rules.is_committee_admin(actor),
            "is_inspector": rules.is_reviewer(actor),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def spotcheck_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = SpotCheckDrawForm(request.POST or None, campaigns=campaigns_managed_by(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draw = attempt(
            form,
            lambda: spotcheck.spot_check_draw_record(
                campaign=data["campaign"],
                units=data["units"],
                inspectors=data["inspectors"],
                seed=data["seed"] or None,
                stratify_by=data["stratify_by"] or "",
                exclude_months=data["exclude_months"],
                mode=data["mode"],
                title=data["title"],
                actor=actor,
            ),
        )
        if draw is not None:
            messages.success(request, _("抽取完成，随机种子 %(s)s。") % {"s": draw.seed})
            return redirect("supervision:spotcheck_detail", pk=draw.pk)
    return render(request, "supervision/spotcheck_form.html", {"form": form})


def _json_lines(data: dict[str, Any]) -> str:
    """The recorded inputs as JSON, one top-level key per line (lists kept on their line)."""
    lines = [
        f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in data.items()
    ]
    return "{\n " + ",\n ".join(lines) + "\n}"


def _strata(draw: SpotCheckDraw) -> list[dict[str, Any]]:
    """Per stratum: candidates and units drawn (published: counts only, no unit's stratum)."""
    stratify_by = draw.inputs.get("stratify_by", "")
    of = {c["id"]: c["stratum"] for c in draw.inputs.get("candidates", [])}
    candidates = Counter(of.values())
    drawn = Counter(of.get(u, "") for u in draw.result.get("units", []))
    return [
        {
            "label": spotcheck.stratum_label(stratify_by, name) or _("全部"),
            "candidates": candidates[name],
            "drawn": drawn[name],
        }
        for name in sorted(candidates)
    ]


@role_required(*READERS)
def spotcheck_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    draw = get_object_or_404(
        scope.draws_visible_to(actor).select_related("campaign", "created_by"), pk=pk
    )
    full = scope.draws_in_full_for(actor).filter(pk=draw.pk).exists()
    may_record = scope.draws_recordable_by(actor).filter(pk=draw.pk).exists()
    unit_ids = draw.result.get("units", [])
    excluded = draw.inputs.get("excluded", [])
    units = Unit.objects.in_bulk([*unit_ids, *(e["id"] for e in excluded)])
    people = User.objects.in_bulk(draw.result.get("inspectors", []))
    visits = {v.unit_id: v for v in draw.visits.all()}
    readable = set(scope.visits_visible_to(actor).filter(draw=draw).values_list("pk", flat=True))
    rows = []
    for uid in unit_ids:
        visit = visits.get(uid)
        rows.append(
            {
                "unit": units.get(uid),
                "visit": visit,
                "readable": visit is not None and visit.pk in readable,
                "recordable": may_record and visit is None,
            }
        )
    stratify_by = draw.inputs.get("stratify_by", "")
    return render(
        request,
        "supervision/spotcheck_detail.html",
        {
            "draw": draw,
            "rows": rows,
            "inspectors": [people.get(i) for i in draw.result.get("inspectors", [])],
            "full": full,
            "may_record": may_record,
            # Re-derived on the clerk's request (the button), not on every view of the page.
            "verified": spotcheck.spot_check_verify(draw) if request.GET.get("verify") else None,
            "mode": _mode_label(draw.inputs.get("mode", "")),
            "stratify": dict(STRATIFY_LABELS).get(stratify_by, stratify_by),
            "strata": _strata(draw),
            "excluded": [{"unit": units.get(e["id"]), "draw": e.get("draw")} for e in excluded]
            if full
            else [],
            "excluded_count": len(excluded),
            "pool_size": len(draw.inputs.get("pool", [])),
            "inputs_json": _json_lines(draw.inputs) if full else "",
            "result_json": json.dumps(draw.result, ensure_ascii=False),
            "algorithm": spotcheck.ALGORITHM,
        },
    )


@role_required(Role.REVIEWER)
def spotcheck_mine(request: HttpRequest) -> HttpResponse:
    """The inspector's draws, each with its units and whether each was visited."""
    listed = sorted_page(
        request,
        scope.draws_inspected_by(actor_of(request)).select_related("campaign"),
        scope.DRAW_SORTS,
        default=scope.DRAW_DEFAULT,
        per_page=PER_PAGE,
    )
    shown = list(listed["page"])
    units = Unit.objects.in_bulk({u for d in shown for u in d.result.get("units", [])})
    visited = set(SpotCheckVisit.objects.filter(draw__in=shown).values_list("draw_id", "unit_id"))
    rows = [
        {
            "draw": d,
            "mode": _mode_label(d.inputs.get("mode", "")),
            "units": [
                {"unit": units.get(u), "pk": u, "visited": (d.pk, u) in visited}
                for u in d.result.get("units", [])
            ],
        }
        for d in shown
    ]
    return render(request, "supervision/spotcheck_mine.html", {**listed, "rows": rows})


@role_required(Role.COMMITTEE_ADMIN, Role.REVIEWER)
def spotcheck_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the visit to one unit of the draw (chosen in the form; `?unit=` preselects it)."""
    actor = actor_of(request)
    draw = get_object_or_404(scope.draws_recordable_by(actor).select_related("campaign"), pk=pk)
    units = scope.visitable_units(actor, draw.pk)
    initial: dict[str, Any] = {
        "mode": draw.inputs.get("mode", VisitMode.ANNOUNCED),
        "visited_on": timezone.localdate(),
    }
    wanted = parse_id(request.GET.get("unit"))
    if wanted is not None:
        initial["unit"] = wanted  # shown only when it is one of `units`
    form = SpotCheckVisitForm(request.POST or None, units=units, draw=draw, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        recorded = attempt(
            form,
            lambda: spotcheck.spot_check_visit_record(
                draw=draw,
                unit=data["unit"],
                mode=data["mode"],
                visited_on=data["visited_on"],
                findings=data["findings"],
                problems=data["problems"],
                actor=actor,
            ),
        )
        if recorded is not None:
            visit, items = recorded
            messages.success(
                request,
                _("检查情况已记录，列入问题清单 %(n)d 项。") % {"n": len(items)},
            )
            return redirect("supervision:spotcheck_visit_detail", pk=visit.pk)
    nodes = IndicatorNode.objects.filter(version_id=draw.campaign.indicator_version_id).order_by(
        "order"
    )
    return render(
        request,
        "supervision/spotcheck_visit_form.html",
        {"draw": draw, "form": form, "nodes": nodes, "all_done": not units.exists()},
    )


@role_required(*VISIT_READERS)
def spotcheck_visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    visit = get_object_or_404(
        scope.visits_visible_to(actor).select_related(
            "unit", "draw__campaign", "recorded_by", "corrected_by"
        ),
        pk=pk,
    )
    items = list(
        ProblemItem.objects.filter(origin_type=spotcheck.ORIGIN, origin_id=visit.pk)
        .select_related("node")
        .order_by("pk")
    )
    linkable = set(
        problem_items_for(actor).filter(pk__in=[i.pk for i in items]).values_list("pk", flat=True)
    )
    draw_visible = scope.draws_visible_to(actor).filter(pk=visit.draw_id).exists()
    return render(
        request,
        "supervision/spotcheck_visit_detail.html",
        {
            "visit": visit,
            "items": [(item, item.pk in linkable) for item in items],
            "draw_visible": draw_visible,
            "can_correct": spotcheck.may_record_visit(actor, visit.draw),
        },
    )


@role_required(Role.COMMITTEE_ADMIN, Role.REVIEWER)
def spotcheck_visit_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a recorded visit's date and findings, with a reason."""
    actor = actor_of(request)
    visit = get_object_or_404(
        scope.visits_visible_to(actor).select_related("unit", "draw__campaign"), pk=pk
    )
    if not spotcheck.may_record_visit(actor, visit.draw):
        raise PermissionDenied(_("只有本次抽取的检查人员或工委管理员可以更正检查记录。"))
    form = VisitCorrectionForm.for_visit(visit, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = attempt(
            form,
            lambda: spotcheck.spot_check_visit_correct(
                visit=visit,
                visited_on=data["visited_on"],
                findings=data["findings"],
                reason=data["reason"],
                expected_version=data["version"],
                actor=actor,
            ),
        )
        if saved is not None:
            messages.success(request, _("检查记录已更正，单位已收到通知。"))
            return redirect("supervision:spotcheck_visit_detail", pk=visit.pk)
    return render(
        request, "supervision/spotcheck_visit_correct.html", {"visit": visit, "form": form}
    )
