"""The unit's self-evaluation page: one row per leaf, each saved on its own (htmx)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.campaigns.models import Enrollment
from mofan.campaigns.selectors import scored_leaf_count
from mofan.core.concurrency import StaleWrite
from mofan.core.params import parse_id
from mofan.evaluations import selectors as scope
from mofan.evaluations import services
from mofan.evaluations.evidence_views import node_rows
from mofan.evaluations.inputs import input_fields, parse_leaf_input
from mofan.evaluations.models import SelfScore
from mofan.evaluations.submission import submission_status
from mofan.indicators.models import IndicatorNode


def _row(
    node: IndicatorNode,
    score: SelfScore | None,
    evidence: dict[str, Any],
    editable: bool,
    error: str = "",
) -> dict[str, Any]:
    return {
        "node": node,
        "heading": False,
        "depth": node.code.count("."),
        "score": score,
        "fields": input_fields(node.method, node.points, score.input if score else None),
        "evidence": evidence,
        "editable": editable and node.method_type != "veto",
        "optional": node.method_type in services.OPTIONAL_IN_SELF,
        "error": error,
    }


def _rows(enrollment: Enrollment, actor: Any, editable: bool) -> list[dict[str, Any]]:
    """Every leaf with the unit's input and linked evidence, in a fixed number of queries."""
    nodes = list(
        IndicatorNode.objects.filter(version_id=enrollment.campaign.indicator_version_id).order_by(
            "order"
        )
    )
    parents = {n.parent_id for n in nodes if n.parent_id}
    scores = {s.node_id: s for s in SelfScore.objects.filter(enrollment=enrollment)}
    leaves = [n for n in nodes if n.pk not in parents]
    evidence = {r["node"].pk: r for r in node_rows(enrollment, actor, leaves, can_edit=editable)}
    rows: list[dict[str, Any]] = []
    for node in nodes:
        if node.pk in parents:
            rows.append({"node": node, "heading": True, "depth": node.code.count(".")})
        else:
            rows.append(_row(node, scores.get(node.pk), evidence[node.pk], editable))
    return rows


@login_required
def self_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_of_own_units(actor).select_related("campaign", "unit"),
        pk=pk,
    )
    editable = (
        rules.is_unit_admin_of(actor, enrollment.unit_id)
        and enrollment.state in services.EDITABLE_STATES
    )
    rows = _rows(enrollment, actor, editable)
    leaves = [r for r in rows if not r["heading"] and not r["optional"]]
    return render(
        request,
        "evaluations/self_evaluation.html",
        {
            "enrollment": enrollment,
            "rows": rows,
            "done": sum(1 for r in leaves if r["score"]),
            "total": len(leaves),
            "editable": editable,
            "cap": enrollment.campaign.evidence_cap_per_indicator,
            "next": request.path,
            "status": submission_status(enrollment, actor),
        },
    )


@login_required
def self_score_save(request: HttpRequest, pk: int, node_pk: int) -> HttpResponse:
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_filled_by(actor).select_related("campaign"), pk=pk
    )
    node = get_object_or_404(
        IndicatorNode, pk=node_pk, version_id=enrollment.campaign.indicator_version_id
    )
    page = reverse("reviews:self", args=[pk])
    if request.method != "POST":
        return redirect(page)
    error = ""
    score: SelfScore | None = None
    try:
        raw_version = request.POST.get("version", "")
        score = services.self_score_save(
            enrollment=enrollment,
            node=node,
            value=parse_leaf_input(node.method, request.POST),
            narrative=request.POST.get("narrative", "").strip()[:2000],
            expected_version=parse_id(raw_version),
            actor=actor,
        )
    except StaleWrite as exc:
        error = " ".join(exc.messages)
        score = exc.current if isinstance(exc.current, SelfScore) else score
    except (ValidationError, PermissionDenied) as exc:
        error = " ".join(getattr(exc, "messages", [str(exc)]))
    if error and score is None:  # refused: the row shows what is stored
        score = SelfScore.objects.filter(enrollment=enrollment, node=node).first()
    if request.htmx:  # type: ignore[attr-defined]
        evidence = node_rows(enrollment, actor, [node], can_edit=True)[0]
        response = render(
            request,
            "evaluations/self_evaluation.html#leaf-row",
            {
                "row": _row(node, score, evidence, editable=True, error=error),
                "enrollment": enrollment,
                "editable": True,
                "cap": enrollment.campaign.evidence_cap_per_indicator,
                "next": page,
            },
        )
        # the submission block at the top follows the save (what still blocks, out of band)
        enrollment.refresh_from_db()  # the save may have moved it to 填报中
        context = {
            "status": submission_status(enrollment, actor),
            "enrollment": enrollment,
            "oob": True,
            "done": SelfScore.objects.filter(enrollment=enrollment)
            .exclude(node__method__type__in=services.OPTIONAL_IN_SELF)
            .count(),
            "total": scored_leaf_count(enrollment.campaign),
        }
        for part in ("_self_progress", "_submission_status"):
            response.content += render_to_string(
                f"evaluations/{part}.html", context, request=request
            ).encode()
        return response
    if error:
        messages.error(request, f"{node.code}：{error}")
    return redirect(f"{page}#leaf-{node.code}")
