"""Review pages: the reviewer's assignments and scoring page, and the group leader's
consolidation. The committee's review groups and draws are in views_groups.py, its approval
table in views_approval.py, their forms in forms_review.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.campaigns.models import EnrollmentState
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write, refusal_text
from mofan.evaluations import selectors as scope
from mofan.evaluations import services
from mofan.evaluations.inputs import input_fields, parse_leaf_input
from mofan.evaluations.models import (
    Assignment,
    EvidenceLink,
    ReviewScore,
    SelfScore,
)
from mofan.evaluations.views_common import posted_id
from mofan.indicators.models import IndicatorNode


@role_required(Role.REVIEWER)
def my_assignments(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    assignments = scope.assignments_for_reviewer(actor).select_related(
        "enrollment__unit", "enrollment__campaign", "group"
    )
    return render(request, "evaluations/my_assignments.html", {"assignments": assignments})


def _score_rows(
    assignment: Assignment,
    actor: Any,
    *,
    editable: bool,
    show_others: bool,
    only: IndicatorNode | None = None,
) -> list[dict[str, Any]]:
    """Every leaf with the reviewer's own score, the unit's self score, the evidence and (once
    the reviewer has submitted: `show_others`) the other reviewers' scores, in a fixed number
    of queries whatever the number of leaves; `only`: that one leaf's row (the htmx answer to
    a save)."""
    enrollment = assignment.enrollment
    if only is None:
        nodes = list(
            IndicatorNode.objects.filter(
                version_id=enrollment.campaign.indicator_version_id
            ).order_by("order")
        )
        parents = {n.parent_id for n in nodes if n.parent_id}
        leaf: dict[str, Any] = {}
    else:
        nodes, parents, leaf = [only], set(), {"node": only}
    own = {
        s.node_id: s
        for s in ReviewScore.objects.filter(assignment=assignment, reviewer=actor.user, **leaf)
    }
    self_scores = {s.node_id: s for s in SelfScore.objects.filter(enrollment=enrollment, **leaf)}
    others: dict[int, list[ReviewScore]] = {}
    if show_others:
        for score in (
            ReviewScore.objects.filter(assignment=assignment, **leaf)
            .exclude(reviewer=actor.user)
            .select_related("reviewer")
        ):
            others.setdefault(score.node_id, []).append(score)
    links: dict[int, list[EvidenceLink]] = {}
    for link in EvidenceLink.objects.filter(enrollment=enrollment, **leaf).select_related(
        "evidence"
    ):
        links.setdefault(link.node_id, []).append(link)
    rows = []
    for node in nodes:
        if node.pk in parents:
            rows.append({"node": node, "heading": True, "depth": node.code.count(".")})
            continue
        mine = own.get(node.pk)
        rows.append(
            {
                "node": node,
                "heading": False,
                "score": mine,
                "self": self_scores.get(node.pk),
                "fields": input_fields(node.method, node.points, mine.input if mine else None),
                "others": others.get(node.pk, []),
                "links": links.get(node.pk, []),
                "editable": editable,
                "error": "",
            }
        )
    return rows


def _assignment(request: HttpRequest, pk: int) -> Assignment:
    return get_object_or_404(
        scope.assignments_for_reviewer(actor_of(request)).select_related(
            "group", "enrollment__campaign", "enrollment__unit"
        ),
        pk=pk,
    )


@login_required
def scoring(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    assignment = _assignment(request, pk)
    submitted = services.may_see_other_reviewers(assignment, actor)
    editable = not submitted and assignment.enrollment.state == EnrollmentState.SUBMITTED
    return render(
        request,
        "evaluations/scoring.html",
        {
            "assignment": assignment,
            "enrollment": assignment.enrollment,
            "rows": _score_rows(assignment, actor, editable=editable, show_others=submitted),
            "submitted": submitted,
            "editable": editable,
            "is_leader": assignment.group.leader_id == actor.user.pk,
            "visits": assignment.visits.all(),
            "findings": assignment.findings.select_related("node"),
        },
    )


@require_POST
@login_required
def score_save(request: HttpRequest, pk: int, node_pk: int) -> HttpResponse:
    """Save one leaf's review score. With htmx the answer is that leaf's row alone (the saved
    score and its new version, or the refusal and what is stored now), like the unit's own
    save; without JavaScript, the form posts and the page is shown again (POST, redirect)."""
    actor = actor_of(request)
    assignment = _assignment(request, pk)
    node = get_object_or_404(
        IndicatorNode, pk=node_pk, version_id=assignment.enrollment.campaign.indicator_version_id
    )
    error = ""
    try:
        raw = request.POST.get("version", "")
        services.review_score_save(
            assignment=assignment,
            node=node,
            value=parse_leaf_input(node.method, request.POST),
            comment=request.POST.get("comment", "").strip()[:2000],
            expected_version=parse_id(raw),
            actor=actor,
        )
    except (ValidationError, PermissionDenied) as exc:
        error = refusal_text(exc)
    if request.htmx:  # type: ignore[attr-defined]
        submitted = services.may_see_other_reviewers(assignment, actor)
        editable = not submitted and assignment.enrollment.state == EnrollmentState.SUBMITTED
        (row,) = _score_rows(assignment, actor, editable=editable, show_others=submitted, only=node)
        row["error"] = error
        return render(
            request,
            "evaluations/scoring.html#score-row",
            {
                "row": row,
                "assignment": assignment,
                "enrollment": assignment.enrollment,
                "editable": editable,
            },
        )
    if error:
        messages.error(request, f"{node.code}：{error}")
    return redirect(reverse("reviews:scoring", args=[pk]) + f"#leaf-{node.code}")


@require_POST
@login_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    assignment = _assignment(request, pk)
    flash_write(
        request,
        lambda: services.review_submit(assignment=assignment, actor=actor),
        _("评分已提交；现在可以看到本组其他评审员的评分。"),
    )
    return redirect("reviews:scoring", pk=pk)


@require_POST
@login_required
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    assignment = _assignment(request, pk)
    posted = request.POST
    flash_write(
        request,
        lambda: services.visit_record(
            assignment=assignment,
            visited_on=forms.DateField().clean(posted.get("visited_on")),
            place=posted.get("place", "").strip(),
            people_met=posted.get("people_met", "").strip(),
            notes=posted.get("notes", "").strip(),
            actor=actor,
        ),
        refused=_("实地考评记录未保存："),
    )
    return redirect("reviews:scoring", pk=pk)


@require_POST
@login_required
def finding(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    assignment = _assignment(request, pk)
    node = None
    if request.POST.get("node"):
        node = get_object_or_404(
            IndicatorNode,
            pk=posted_id(request, "node"),
            version_id=assignment.enrollment.campaign.indicator_version_id,
        )
    text = request.POST.get("text", "").strip()
    if not text:
        messages.error(request, _("请填写发现的情况。"))
        return redirect("reviews:scoring", pk=pk)
    flash_write(
        request,
        lambda: services.finding_add(
            assignment=assignment,
            text=text,
            node=node,
            is_problem=request.POST.get("is_problem") == "1",
            actor=actor,
        ),
    )
    return redirect("reviews:scoring", pk=pk)


@login_required
def consolidate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    assignment = get_object_or_404(
        scope.assignments_led_by(actor).select_related(
            "enrollment__campaign", "enrollment__unit", "group"
        ),
        pk=pk,
    )
    if not services.may_see_other_reviewers(assignment, actor):
        # the leader reviews independently too: the others' scores only after his own
        messages.info(request, _("请先提交您本人的评分，再汇总本组评分。"))
        return redirect("reviews:scoring", pk=pk)
    rows = services.consolidation_preview(assignment)
    if request.method == "POST":
        decisions = {}
        for row in rows:
            node = row["node"]
            if row["flagged"]:
                decisions[node.pk] = {
                    "score": request.POST.get(f"score_{node.pk}", ""),
                    "level": request.POST.get(f"level_{node.pk}", ""),
                    "reason": request.POST.get(f"reason_{node.pk}", ""),
                }
        try:
            services.consolidate(assignment=assignment, actor=actor, decisions=decisions)
            messages.success(request, _("已汇总，该单位评审完成。"))
            return redirect("reviews:mine")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, refusal_text(exc))
    return render(request, "evaluations/consolidate.html", {"assignment": assignment, "rows": rows})
