"""A unit's case: writing it (its 联络员, until submitted), reading it, submitting it; and the
expert's blind scoring pages (the cases not of the expert's own units, no unit name, never
another expert's score)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules as access
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.cases import panel as panel_writes
from mofan.cases import selectors, services
from mofan.cases.forms import CaseForm, ScoreForm
from mofan.cases.models import CallState, Case, CaseCall, CaseScore, CaseState
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write
from mofan.evidence.models import Evidence
from mofan.evidence.selectors import evidence_for
from mofan.honours import panel_rules
from mofan.organizations.models import Unit
from mofan.supervision.views_common import attempt


def _files(unit_id: int) -> QuerySet[Evidence]:
    return Evidence.objects.filter(unit_id=unit_id).order_by("-uploaded_at", "-pk")


def _case_form(request: HttpRequest, call: CaseCall, unit: Unit, case: Case | None) -> HttpResponse:
    actor = actor_of(request)
    files = _files(unit.pk)
    initial = {}
    if case is not None:
        initial = {
            "title": case.title,
            "brand": case.brand,
            "summary": case.summary,
            "body": case.body,
            "tags": case.tags,
            "evidence": list(case.evidence.values_list("pk", flat=True)),
        }
    form = CaseForm(request.POST or None, files=files, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.CaseInput(
            title=d["title"],
            brand=d["brand"],
            summary=d["summary"],
            body=d["body"],
            tags=d["tags"],
            evidence=[e.pk for e in d["evidence"]],
        )
        done = attempt(
            form,
            lambda: services.case_save(
                call=call,
                unit=unit,
                data=data,
                case=case,
                actor=actor,
            ),
        )
        if done is not None:
            return redirect("cases:case_detail", done.pk)
    return render(
        request,
        "form_page.html",
        {
            "title": _("报送案例"),
            "heading": call.title,
            "intro": _("报送前可随时修改；报送后不能再修改。附件从本单位佐证库中选择。"),
            "form": form,
            "submit": _("保存"),
        },
    )


@role_required(Role.UNIT_ADMIN)
def case_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    call = get_object_or_404(selectors.calls_for(actor), pk=pk, state=CallState.COLLECTING)
    units = selectors.submitting_units(actor, call)
    wanted = parse_id(request.GET.get("unit"))
    unit = (units.filter(pk=wanted) if wanted is not None else units.order_by("pk")).first()
    if unit is None:
        raise Http404
    return _case_form(request, call, unit, None)


@role_required(Role.UNIT_ADMIN)
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(
        selectors.cases_managed_by(actor_of(request)), pk=pk, state=CaseState.DRAFT
    )
    return _case_form(request, case.call, case.unit, case)


@role_required(*selectors.EXCELLENT_READERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A case in full: the unit's own (drafts too), the committee staff's (submitted), and a
    published 优秀案例 for everyone of the committee. Attachments only as far as the actor may
    open them (the evidence library's own scope)."""
    actor = actor_of(request)
    case = (
        selectors.cases_for(actor).filter(pk=pk).first()
        or selectors.excellent_for(actor).filter(pk=pk).first()
    )
    if case is None:
        raise Http404
    files = evidence_for(actor).filter(pk__in=case.evidence.values("pk")).order_by("pk")
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "files": files,
            "can_edit": case.state == CaseState.DRAFT
            and access.is_unit_admin_of(actor, case.unit_id)
            and case.call.state == CallState.COLLECTING,
        },
    )


@require_POST
@role_required(Role.UNIT_ADMIN)
def case_submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = get_object_or_404(selectors.cases_managed_by(actor), pk=pk)
    flash_write(request, lambda: services.case_submit(case=case, actor=actor), _("案例已报送。"))
    return redirect("cases:case_detail", case.pk)


# --- the expert's pages -----------------------------------------------------------------------


def _blind_cases(call: CaseCall, seat: object) -> list[tuple[str, Case]]:
    """The cases the expert scores, labelled 案例 A, B, ... in an order fixed by the seed."""
    cases = [c for c in services.in_review(call) if not panel_writes.recused(seat, c)]  # type: ignore[arg-type]
    labels = panel_rules.blind_labels([c.pk for c in cases], call.panel.seed)
    return sorted(((labels[c.pk], c) for c in cases), key=lambda pair: (len(pair[0]), pair[0]))


@role_required(Role.REVIEWER)
def scoring_list(request: HttpRequest) -> HttpResponse:
    """The calls on whose panel the expert sits."""
    calls = selectors.calls_scored_by(actor_of(request)).order_by("-year", "-pk")
    return render(request, "cases/scoring_list.html", {"calls": calls})


@role_required(Role.REVIEWER)
def scoring(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert's list of the call's cases, with their own totals."""
    actor = actor_of(request)
    call = get_object_or_404(selectors.calls_scored_by(actor), pk=pk)
    seat = panel_writes.seat_of(actor, call)
    if seat is None:
        raise Http404
    mine = dict(CaseScore.objects.filter(seat=seat).values_list("case_id", "total"))
    rows = [(label, case, mine.get(case.pk)) for label, case in _blind_cases(call, seat)]
    return render(
        request,
        "cases/scoring.html",
        {"call": call, "rows": rows, "open": panel_writes.scoring_open(call)},
    )


@role_required(Role.REVIEWER)
def score(request: HttpRequest, pk: int) -> HttpResponse:
    """One case, blind, and the expert's own points per criterion."""
    actor = actor_of(request)
    case = get_object_or_404(
        Case.objects.select_related("call", "unit"),
        pk=pk,
        call__in=selectors.calls_scored_by(actor),
        state=CaseState.SUBMITTED,
    )
    call = case.call
    seat = panel_writes.seat_of(actor, call)
    if seat is None or panel_writes.recused(seat, case):
        raise Http404
    label = dict((c.pk, lbl) for lbl, c in _blind_cases(call, seat))[case.pk]
    row = CaseScore.objects.filter(seat=seat, case=case).first()
    initial: dict[str, object] = {}
    if row is not None:
        initial = {f"c{i}": p for i, p in enumerate(row.points)}
        initial["comment"] = row.comment
    form = ScoreForm(request.POST or None, criteria=call.criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: panel_writes.case_score(
                case=case, points=form.points(), comment=form.cleaned_data["comment"], actor=actor
            ),
        )
        if done is not None:
            return redirect("cases:scoring", call.pk)
    hidden = case.unit.name
    return render(
        request,
        "cases/score.html",
        {
            "call": call,
            "label": label,
            "title": panel_rules.masked(case.title, hidden),
            "brand": panel_rules.masked(case.brand, hidden),
            "summary": panel_rules.masked(case.summary, hidden),
            "body": panel_rules.masked(case.body, hidden),
            "tags": case.tag_list(),
            "form": form,
            "open": panel_writes.scoring_open(call),
        },
    )
