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
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, EnrollmentState
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write, refusal_text
from mofan.evaluations import selectors as scope
from mofan.evaluations import services
from mofan.evaluations.inputs import (
    checked_leaf_input,
    input_fields,
    mark_error,
    raw_leaf_input,
)
from mofan.evaluations.ledger_figures import OVERRIDE
from mofan.evaluations.ledger_views import LeafLedger, with_override
from mofan.evaluations.models import (
    Assignment,
    EvidenceLink,
    ReviewScore,
    SelfScore,
)
from mofan.evaluations.reminders import review_deadline
from mofan.evaluations.views_common import campaign_node_or_404, posted_id
from mofan.evaluations.workpage import UNFILLED, Running, only_unfilled, own_totals, running
from mofan.indicators.models import IndicatorNode
from mofan.indicators.selectors import published_nodes

Typed = tuple[dict[str, Any], str, str]  # a refused form: the input, the comment, the version


@role_required(Role.REVIEWER)
def my_assignments(request: HttpRequest) -> HttpResponse:
    """The reviewer's own assignments, newest campaign first (then the newest draw), filtered by
    campaign (`?campaign=<id>`, among the campaigns the reviewer has assignments in)."""
    actor = actor_of(request)
    mine = scope.assignments_for_reviewer(actor)
    campaigns = list(
        Campaign.objects.filter(enrollments__assignment__in=mine)
        .distinct()
        .order_by("-year", "-created_at", "-pk")
        .only("id", "name", "year")
    )
    chosen = parse_id(request.GET.get("campaign", ""))
    if chosen not in {c.pk for c in campaigns}:
        chosen = None
    assignments = mine.select_related("enrollment__unit", "enrollment__campaign", "group")
    if chosen is not None:
        assignments = assignments.filter(enrollment__campaign_id=chosen)
    assignments = assignments.order_by(
        "-enrollment__campaign__year", "-enrollment__campaign__created_at", "-pk"
    )
    return render(
        request,
        "evaluations/my_assignments.html",
        {"assignments": assignments, "campaigns": campaigns, "chosen": chosen},
    )


def _score_rows(
    assignment: Assignment,
    actor: Any,
    *,
    editable: bool,
    show_others: bool,
    only: IndicatorNode | None = None,
    ledger: LeafLedger | None = None,
) -> list[dict[str, Any]]:
    """Every leaf with the reviewer's own score, the unit's self score, the evidence and (once
    the reviewer has submitted: `show_others`) the other reviewers' scores, in a fixed number
    of queries whatever the number of leaves; `only`: that one leaf's row (the htmx answer to
    a save); `ledger`: the enrollment's ledger figures when the caller has read them."""
    enrollment = assignment.enrollment
    if only is None:
        nodes = _tree(assignment)
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
    if ledger is None:
        ledger = LeafLedger(enrollment)
    rows = []
    for node in nodes:
        if node.pk in parents:
            rows.append({"node": node, "heading": True, "depth": node.code.count(".")})
            continue
        rows.append(
            _shape(
                {
                    "node": node,
                    "heading": False,
                    "score": own.get(node.pk),
                    "self": self_scores.get(node.pk),
                    "others": others.get(node.pk, []),
                    "links": links.get(node.pk, []),
                    "leaf_ledger": ledger,
                },
                editable=editable,
            )
        )
    return rows


def _shape(
    row: dict[str, Any], *, editable: bool, error: str = "", typed: Typed | None = None
) -> dict[str, Any]:
    """The form side of a leaf row: the reviewer's input (or, after a refused save, what was
    typed, the control at fault marked and named in `error`), folded once scored."""
    node, mine = row["node"], row["score"]
    saved = typed[0] if typed else (mine.input if mine else None)
    shown = row["leaf_ledger"].for_row(node, saved)
    value = saved if saved is not None else shown["suggested"]  # unscored: prefilled (取数)
    fields = input_fields(node.method, node.points, value)
    if typed and error:
        error = mark_error(node.method, fields, typed[0], error)
    optional = node.method_type == "bonus"  # submission does not wait for bonus leaves
    return {
        **row,
        "fields": fields,
        "comment": typed[1] if typed else (mine.comment if mine else ""),
        "ledger": shown,
        "self_override": (row["self"].input or {}).get(OVERRIDE, "") if row["self"] else "",
        "version": typed[2] if typed else (mine.version if mine else ""),
        "editable": editable,
        "optional": optional,
        "error": error,
        "pending": bool(error) or (mine is None and not optional),
        "collapsed": editable and mine is not None and not error,
    }


def _review_running(nodes: list[IndicatorNode], own: dict[int, ReviewScore]) -> Running:
    """The panel of the scoring page: the reviewer's own completion and running total."""
    total, types, levels = own_totals(nodes, own)
    return running(
        nodes,
        set(own),
        required=lambda n: n.method_type != "bonus",
        type_scores=types,
        score=total,
        levels=levels,
    )


def _review_due(assignment: Assignment) -> Any:
    """The review deadline the reminders use (the end of the first phase ending on or after
    the submission deadline), shown in the scoring page's bar; None when the campaign has none."""
    campaign = assignment.enrollment.campaign
    return review_deadline(campaign, list(campaign.phases.all()))


def _assignment(request: HttpRequest, pk: int) -> Assignment:
    return get_object_or_404(
        scope.assignments_for_reviewer(actor_of(request)).select_related(
            "group", "enrollment__campaign__indicator_version", "enrollment__unit"
        ),
        pk=pk,
    )


def _tree(assignment: Assignment) -> list[IndicatorNode]:
    """The campaign's indicator tree in order (read once per process for a published version;
    not to be modified)."""
    return published_nodes(assignment.enrollment.campaign.indicator_version)


def _scoring_page(
    request: HttpRequest, assignment: Assignment, refused: dict[str, Any] | None = None
) -> HttpResponse:
    """The whole scoring page; `refused`: the row of a form refused without JavaScript, shown
    in place as typed."""
    actor = actor_of(request)
    submitted = services.may_see_other_reviewers(assignment, actor)
    editable = not submitted and assignment.enrollment.state == EnrollmentState.SUBMITTED
    rows = _score_rows(assignment, actor, editable=editable, show_others=submitted)
    if refused:
        rows = [refused if r["node"].pk == refused["node"].pk else r for r in rows]
    own = {r["node"].pk: r["score"] for r in rows if not r["heading"] and r["score"]}
    filtered = request.GET.get(UNFILLED) == "1"
    return render(
        request,
        "evaluations/scoring.html",
        {
            "assignment": assignment,
            "enrollment": assignment.enrollment,
            "rows": only_unfilled(rows) if filtered else rows,
            "filtered": filtered,
            "refused": refused,
            "page_url": reverse("reviews:scoring", args=[assignment.pk]),
            "running": _review_running([r["node"] for r in rows], own),
            "review_due": _review_due(assignment),
            "submitted": submitted,
            "editable": editable,
            "is_leader": assignment.group.leader_id == actor.user.pk,
            "visits": assignment.visits.all(),
            "findings": assignment.findings.select_related("node"),
        },
    )


@login_required
def scoring(request: HttpRequest, pk: int) -> HttpResponse:
    return _scoring_page(request, _assignment(request, pk))


def _score_answer(
    request: HttpRequest,
    assignment: Assignment,
    row: dict[str, Any],
    *,
    editable: bool,
    submitted: bool,
) -> HttpResponse:
    """The htmx answer to a save: the row, and out of band the panel and the bar."""
    response = render(
        request,
        "evaluations/scoring.html#score-row",
        {
            "row": row,
            "assignment": assignment,
            "enrollment": assignment.enrollment,
            "editable": editable,
            "just_saved": True,
        },
    )
    actor = actor_of(request)
    nodes = _tree(assignment)
    own = {
        s.node_id: s for s in ReviewScore.objects.filter(assignment=assignment, reviewer=actor.user)
    }
    context = {
        "assignment": assignment,
        "running": _review_running(nodes, own),
        "review_due": _review_due(assignment),
        "editable": editable,
        "submitted": submitted,
        "oob": True,
    }
    for part in ("_review_panel", "_review_bar"):
        response.content += render_to_string(
            f"evaluations/{part}.html", context, request=request
        ).encode()
    return response


@require_POST
@login_required
def score_save(request: HttpRequest, pk: int, node_pk: int) -> HttpResponse:
    """Save one leaf's review score. With htmx the answer is that leaf's row (the saved score
    and its new version, or the refusal: a bad input as typed, else what is stored now) with
    the panel and the bar out of band; without JavaScript, the page again after a success
    (POST, redirect) or, for a bad input, the page with that row as typed."""
    actor = actor_of(request)
    assignment = _assignment(request, pk)
    node = campaign_node_or_404(assignment.enrollment.campaign, node_pk)
    error = ""
    typed: Typed | None = None
    raw = request.POST.get("version", "")
    comment = request.POST.get("comment", "").strip()[:2000]
    ledger = LeafLedger(assignment.enrollment)  # the figures do not move with a save: read once
    try:
        value = checked_leaf_input(node, request.POST)
        value = with_override(node, assignment.enrollment, value, request.POST, ledger=ledger)
    except ValidationError as exc:  # a bad input: keep every value as typed
        error = refusal_text(exc)
        typed = (
            {**raw_leaf_input(node.method, request.POST), OVERRIDE: request.POST.get(OVERRIDE, "")},
            comment,
            raw,
        )
    else:
        try:
            services.review_score_save(
                assignment=assignment,
                node=node,
                value=value,
                comment=comment,
                expected_version=parse_id(raw),
                actor=actor,
            )
        except (ValidationError, PermissionDenied) as exc:
            error = refusal_text(exc)
    submitted = services.may_see_other_reviewers(assignment, actor)
    editable = not submitted and assignment.enrollment.state == EnrollmentState.SUBMITTED
    if request.htmx or typed:  # type: ignore[attr-defined]
        (row,) = _score_rows(
            assignment, actor, editable=editable, show_others=submitted, only=node, ledger=ledger
        )
        row = _shape(row, editable=editable, error=error, typed=typed)
        if request.htmx:  # type: ignore[attr-defined]
            return _score_answer(request, assignment, row, editable=editable, submitted=submitted)
        return _scoring_page(request, assignment, refused=row)
    if error:
        messages.error(request, f"{node.code}：{error}")
    page = reverse("reviews:scoring", args=[pk])
    if request.POST.get(UNFILLED) == "1":  # back to the filtered list, the saved row gone
        return redirect(f"{page}?{UNFILLED}=1")
    return redirect(f"{page}#leaf-{node.code}")


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
        node = campaign_node_or_404(assignment.enrollment.campaign, posted_id(request, "node"))
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
