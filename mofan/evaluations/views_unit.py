"""The unit's self-evaluation page: one row per leaf, each saved on its own (htmx), with the
contents panel by indicator type, the running self score, the deadline and the submit step
always in view, and the "只看未填" filter (issue 14, point 6)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.campaigns.models import Enrollment
from mofan.core.concurrency import StaleWrite
from mofan.core.params import parse_id
from mofan.core.refusals import refusal_text
from mofan.evaluations import selectors as scope
from mofan.evaluations import services
from mofan.evaluations.evidence_views import node_rows
from mofan.evaluations.inputs import checked_leaf_input, input_fields, mark_error, raw_leaf_input
from mofan.evaluations.leaf_html import RowContext, evidence_context, row_context
from mofan.evaluations.ledger_figures import OVERRIDE, may_refresh
from mofan.evaluations.ledger_views import LeafLedger, with_override
from mofan.evaluations.models import SelfScore, UnitTotals
from mofan.evaluations.submission import submission_status
from mofan.evaluations.views_common import campaign_node_or_404
from mofan.evaluations.workpage import UNFILLED, Running, only_unfilled, running
from mofan.indicators.models import IndicatorNode
from mofan.indicators.selectors import published_nodes

Typed = tuple[dict[str, Any], str, str]  # a refused form: the input, the narrative, the version


def _row(
    node: IndicatorNode,
    score: SelfScore | None,
    evidence: dict[str, Any],
    editable: bool,
    error: str = "",
    typed: Typed | None = None,
    *,
    ledger: LeafLedger,
) -> dict[str, Any]:
    """One leaf as the page shows it; `typed`: what the person typed into a refused form,
    shown again as typed, with the control at fault marked and named in `error`. A leaf not
    yet scored shows what the activity ledger suggests (取数), prefilled."""
    saved = typed[0] if typed else (score.input if score else None)
    shown = ledger.for_row(node, saved)
    value = saved if saved is not None else shown["suggested"]
    fields = input_fields(node.method, node.points, value)
    if typed and error:
        error = mark_error(node.method, fields, typed[0], error)
    optional = node.method_type in services.OPTIONAL_IN_SELF
    row_editable = editable and node.method_type != "veto"
    return {
        "node": node,
        "heading": False,
        "depth": node.code.count("."),
        "score": score,
        "fields": fields,
        "narrative": typed[1] if typed else (score.narrative if score else ""),
        "version": typed[2] if typed else (score.version if score else ""),
        "evidence": evidence,
        "ledger": shown,
        "editable": row_editable,
        "optional": optional,
        "error": error,
        "pending": bool(error) or (score is None and not optional),
        "collapsed": row_editable and score is not None and not error,
    }


def _nodes(enrollment: Enrollment) -> list[IndicatorNode]:
    """The campaign's indicator tree: read once per process for a published version (the
    rows only read the nodes)."""
    return published_nodes(enrollment.campaign.indicator_version)


def _running(enrollment: Enrollment, nodes: list[IndicatorNode], filled: set[int]) -> Running:
    """The panel: completion from the saved rows, the scores from the unit's stored figures
    (refreshed in the transaction of every save)."""
    try:
        totals: UnitTotals | None = enrollment.totals  # read with the enrollment on the page
    except UnitTotals.DoesNotExist:
        totals = None
    return running(
        nodes,
        filled,
        required=lambda n: n.method_type not in services.OPTIONAL_IN_SELF,
        type_scores=totals.self_nodes if totals else {},
        score=totals.self_total if totals else None,
        levels=totals.self_level_counts if totals else None,
    )


def _leaf_context(
    request: HttpRequest,
    enrollment: Enrollment,
    *,
    editable: bool,
    filtered: bool = False,
    just_saved: bool = False,
) -> RowContext:
    """What every leaf row of one response shares (`leaf_html.self_leaf_row`)."""
    return row_context(
        editable=editable,
        filtered=filtered,
        just_saved=just_saved,
        evidence=evidence_context(
            enrollment_pk=enrollment.pk,
            can_edit=editable,
            next_url=reverse("reviews:self", args=[enrollment.pk]),
            cap=enrollment.campaign.evidence_cap_per_indicator,
            csrf_token=get_token(request),
        ),
    )


def _page(
    request: HttpRequest,
    enrollment: Enrollment,
    actor: Any,
    refused: dict[str, Any] | None = None,
) -> HttpResponse:
    """The whole page, in a fixed number of queries whatever the number of leaves;
    `refused`: the row of a form refused without JavaScript, shown in place as typed."""
    editable = (
        rules.is_unit_admin_of(actor, enrollment.unit_id)
        and enrollment.state in services.EDITABLE_STATES
    )
    nodes = _nodes(enrollment)
    parents = {n.parent_id for n in nodes if n.parent_id}
    scores = {s.node_id: s for s in SelfScore.objects.filter(enrollment=enrollment)}
    leaves = [n for n in nodes if n.pk not in parents]
    evidence = {r["node"].pk: r for r in node_rows(enrollment, actor, leaves, can_edit=editable)}
    ledger = LeafLedger(enrollment)
    rows: list[dict[str, Any]] = []
    for node in nodes:
        if node.pk in parents:
            rows.append({"node": node, "heading": True, "depth": node.code.count(".")})
        elif refused and refused["node"].pk == node.pk:
            rows.append(refused)
        else:
            rows.append(_row(node, scores.get(node.pk), evidence[node.pk], editable, ledger=ledger))
    filtered = request.GET.get(UNFILLED) == "1"
    board = _running(enrollment, nodes, set(scores))
    return render(
        request,
        "evaluations/self_evaluation.html",
        {
            "enrollment": enrollment,
            "rows": only_unfilled(rows) if filtered else rows,
            "filtered": filtered,
            "refused": refused,
            "page_url": reverse("reviews:self", args=[enrollment.pk]),
            "running": board,
            "done": board.filled,
            "total": board.total,
            "editable": editable,
            "status": submission_status(
                enrollment,
                actor,
                done=set(scores),
                linked={pk for pk, row in evidence.items() if row["links"]},
            ),
            "ledger_computed_at": ledger.computed_at,
            "may_refresh": may_refresh(actor, enrollment),
            "leaf_context": _leaf_context(
                request, enrollment, editable=editable, filtered=filtered
            ),
        },
    )


@login_required
def self_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_of_own_units(actor).select_related(
            "campaign__indicator_version", "unit", "totals"
        ),
        pk=pk,
    )
    return _page(request, enrollment, actor)


def _htmx_answer(
    request: HttpRequest, enrollment: Enrollment, actor: Any, row: dict[str, Any]
) -> HttpResponse:
    """The saved (or refused) row, and out of band the panel, the bar and the submission
    block, which follow every save."""
    response = render(
        request,
        "evaluations/self_evaluation.html#leaf-row",
        {
            "row": row,
            "enrollment": enrollment,
            "leaf_context": _leaf_context(request, enrollment, editable=True, just_saved=True),
        },
    )
    # Read afresh in one query: the save may have moved it to 填报中 and changed its figures.
    enrollment = Enrollment.objects.select_related(
        "campaign__indicator_version", "unit", "totals"
    ).get(pk=enrollment.pk)
    nodes = _nodes(enrollment)
    filled = set(SelfScore.objects.filter(enrollment=enrollment).values_list("node_id", flat=True))
    board = _running(enrollment, nodes, filled)
    context = {
        "status": submission_status(enrollment, actor, done=filled),
        "enrollment": enrollment,
        "oob": True,
        "running": board,
        "done": board.filled,
        "total": board.total,
    }
    for part in ("_self_panel", "_self_bar", "_submission_status"):
        response.content += render_to_string(
            f"evaluations/{part}.html", context, request=request
        ).encode()
    return response


@login_required
def self_score_save(request: HttpRequest, pk: int, node_pk: int) -> HttpResponse:
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_filled_by(actor).select_related("campaign__indicator_version", "unit"),
        pk=pk,
    )
    node = campaign_node_or_404(enrollment.campaign, node_pk)
    page = reverse("reviews:self", args=[pk])
    if request.method != "POST":
        return redirect(page)
    error = ""
    typed: Typed | None = None
    score: SelfScore | None = None
    raw_version = request.POST.get("version", "")
    narrative = request.POST.get("narrative", "").strip()[:2000]
    ledger = LeafLedger(enrollment)  # the figures do not move with a save: read once
    try:
        value = with_override(
            node, enrollment, checked_leaf_input(node, request.POST), request.POST, ledger=ledger
        )
    except ValidationError as exc:  # a bad input: keep every value as typed
        error = " ".join(exc.messages)
        raw = raw_leaf_input(node.method, request.POST)
        typed = ({**raw, OVERRIDE: request.POST.get(OVERRIDE, "")}, narrative, raw_version)
    else:
        try:
            score = services.self_score_save(
                enrollment=enrollment,
                node=node,
                value=value,
                narrative=narrative,
                expected_version=parse_id(raw_version),
                actor=actor,
            )
        except StaleWrite as exc:  # someone else saved first: show what is stored now
            error = " ".join(exc.messages)
            score = exc.current if isinstance(exc.current, SelfScore) else score
        except (ValidationError, PermissionDenied) as exc:
            error = refusal_text(exc)
    if error and score is None:
        score = SelfScore.objects.filter(enrollment=enrollment, node=node).first()
    if request.htmx:  # type: ignore[attr-defined]
        evidence = node_rows(enrollment, actor, [node], can_edit=True)[0]
        row = _row(node, score, evidence, True, error=error, typed=typed, ledger=ledger)
        return _htmx_answer(request, enrollment, actor, row)
    if error and typed:  # without JavaScript: the page again, this row as typed
        enrollment.refresh_from_db()
        evidence = node_rows(enrollment, actor, [node], can_edit=True)[0]
        row = _row(node, score, evidence, True, error=error, typed=typed, ledger=ledger)
        return _page(request, enrollment, actor, refused=row)
    if error:
        messages.error(request, f"{node.code}：{error}")
    if request.POST.get(UNFILLED) == "1":  # back to the filtered list, the saved row gone
        return redirect(f"{page}?{UNFILLED}=1")
    return redirect(f"{page}#leaf-{node.code}")
