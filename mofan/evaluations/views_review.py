"""Review pages: the committee's review groups and draws, the reviewer's assignments and
scoring page, the group leader's consolidation, and the committee's approval table."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.models import User
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.campaigns.models import EnrollmentState
from mofan.core.params import parse_id
from mofan.core.sorting import column_sort
from mofan.evaluations import approval, review_groups, services
from mofan.evaluations import selectors as scope
from mofan.evaluations import selectors_approval as ranking
from mofan.evaluations.inputs import input_fields, parse_leaf_input
from mofan.evaluations.models import (
    Assignment,
    Draw,
    EvidenceLink,
    ReviewGroup,
    ReviewScore,
    SelfScore,
    VetoSource,
)
from mofan.indicators.models import IndicatorNode


def _errors(exc: ValidationError | PermissionDenied) -> str:
    return "；".join(getattr(exc, "messages", [str(exc)]))


def _posted_id(request: HttpRequest, name: str) -> int:
    """An id from a hidden form field; anything but a number is a 404, not a server error."""
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        raise Http404 from None


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("评审组名称"), max_length=50)
    leader = forms.ModelChoiceField(label=gettext_lazy("组长"), queryset=User.objects.none())
    reviewers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("成员"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, pool: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = pool  # type: ignore[attr-defined]
        self.fields["reviewers"].queryset = pool  # type: ignore[attr-defined]


class DrawForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("分配方式"),
        choices=[
            ("balanced", gettext_lazy("均衡（各组数量相近）")),
            ("random", gettext_lazy("随机")),
        ],
    )
    seed = forms.CharField(
        label=gettext_lazy("随机种子（可选）"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("留空则自动生成；种子与结果一并公开，任何人可复现。"),
    )


@role_required(*COMMITTEE_STAFF)
def groups(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(
        scope.campaigns_for(actor).filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF)),
        pk=pk,
    )
    pool = User.objects.filter(pk__in=[u.pk for u in review_groups.reviewer_pool(campaign)])
    is_admin = rules.administers(actor, campaign.committee_id)
    group_form = GroupForm(request.POST or None, pool=pool)
    if request.method == "POST" and is_admin and group_form.is_valid():
        try:
            review_groups.review_group_create(
                campaign=campaign,
                name=group_form.cleaned_data["name"],
                leader=group_form.cleaned_data["leader"],
                reviewers=list(group_form.cleaned_data["reviewers"]),
                actor=actor,
            )
            messages.success(request, _("评审组已建立。"))
            return redirect("reviews:groups", pk=pk)
        except (ValidationError, PermissionDenied) as exc:
            group_form.add_error(None, _errors(exc))
    draws = list(Draw.objects.filter(campaign=campaign))
    return render(
        request,
        "evaluations/groups.html",
        {
            "campaign": campaign,
            "groups": ReviewGroup.objects.filter(campaign=campaign)
            .select_related("leader")
            .prefetch_related("seats__reviewer", "assignments__enrollment__unit"),
            "group_form": group_form,
            "draw_form": DrawForm(),
            "reviewer_form": ReviewerDrawForm(),
            "draws": [
                (d, review_groups.draw_verify(d) if d.purpose == "assignment" else None)
                for d in draws
            ],
            "unassigned": campaign.enrollments.filter(assignment__isnull=True).count(),
            "is_admin": is_admin,
        },
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def draw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    form = DrawForm(request.POST)
    if form.is_valid():
        try:
            made = review_groups.assignment_draw(
                campaign=campaign,
                method=form.cleaned_data["method"],
                seed=form.cleaned_data["seed"] or None,
                actor=actor,
            )
            messages.success(
                request,
                _("已分配 %(n)d 个单位，随机种子 %(s)s。")
                % {"n": len(made.result), "s": made.seed},
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
    return redirect("reviews:groups", pk=pk)


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
        error = _errors(exc)
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
    try:
        services.review_submit(assignment=assignment, actor=actor)
        messages.success(request, _("评分已提交；现在可以看到本组其他评审员的评分。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    return redirect("reviews:scoring", pk=pk)


@require_POST
@login_required
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    assignment = _assignment(request, pk)
    try:
        services.visit_record(
            assignment=assignment,
            visited_on=forms.DateField().clean(request.POST.get("visited_on")),
            place=request.POST.get("place", "").strip(),
            people_met=request.POST.get("people_met", "").strip(),
            notes=request.POST.get("notes", "").strip(),
            actor=actor,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("实地考评记录未保存：") + _errors(exc))
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
            pk=_posted_id(request, "node"),
            version_id=assignment.enrollment.campaign.indicator_version_id,
        )
    text = request.POST.get("text", "").strip()
    if not text:
        messages.error(request, _("请填写发现的情况。"))
        return redirect("reviews:scoring", pk=pk)
    try:
        services.finding_add(
            assignment=assignment,
            text=text,
            node=node,
            is_problem=request.POST.get("is_problem") == "1",
            actor=actor,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
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
            messages.error(request, _errors(exc))
    return render(request, "evaluations/consolidate.html", {"assignment": assignment, "rows": rows})


class VetoForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("征求意见部门"), choices=VetoSource.choices)
    vetoed = forms.BooleanField(label=gettext_lazy("否决"), required=False)
    opinion = forms.CharField(label=gettext_lazy("意见"), required=False)


@role_required(*COMMITTEE_STAFF)
def approval_table(request: HttpRequest, pk: int) -> HttpResponse:
    """The approval table, 50 units a page, sortable and searchable; the approval actions
    (approve all, publish) act on the whole campaign and read its counts."""
    actor = actor_of(request)
    campaign = get_object_or_404(
        scope.campaigns_for(actor)
        .filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
        .select_related("indicator_version__system"),
        pk=pk,
    )
    sorting = column_sort(request, ranking.SORTS, default=ranking.DEFAULT_SORT)
    search = request.GET.get("q", "").strip()[:100]
    summary = ranking.approval_summary(campaign)
    page = ranking.approval_rows(
        campaign, summary=summary, sorting=sorting, search=search, page=request.GET.get("page")
    )
    is_admin = rules.administers(actor, campaign.committee_id)
    if is_admin:
        # The veto form is the same on every row but its ids: render it once, not 50 times.
        fields = render_to_string(
            "form_fields.html", {"form": VetoForm(auto_id="id_veto-ROW-%s")}, request
        )
        for row in page:
            row.veto_fields = mark_safe(fields.replace("-ROW-", f"{row.enrollment.pk}-"))  # noqa: S308
    context = {
        "campaign": campaign,
        "page": page,
        "sorting": sorting,
        "query": sorting.query,
        "search": search,
        "summary": summary,
        "max_points": summary.max_points,
        "is_admin": is_admin,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "evaluations/approval.html#approval-rows", context)
    return render(request, "evaluations/approval.html", context)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def approval_action(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "approve":
            approval.campaign_approve(campaign=campaign, actor=actor)
            messages.success(request, _("已审定，结果已冻结。"))
        elif action == "publish":
            approval.campaign_publish(
                campaign=campaign, actor=actor, ranking=request.POST.get("ranking") == "1"
            )
            messages.success(request, _("结果已公布，各单位可查看本单位结果。"))
        elif action in ("veto", "reopen"):
            enrollment = get_object_or_404(
                campaign.enrollments, pk=_posted_id(request, "enrollment")
            )
            if action == "veto":
                form = VetoForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("请选择征求意见部门。"))
                approval.veto_input_record(enrollment=enrollment, actor=actor, **form.cleaned_data)
                messages.success(request, _("已记录意见。"))
            else:
                approval.result_reopen(
                    enrollment=enrollment, reason=request.POST.get("reason", ""), actor=actor
                )
                messages.success(request, _("已重新打开该单位的结果。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    return redirect("reviews:approval", pk=pk)


class ReviewerDrawForm(forms.Form):
    groups = forms.IntegerField(
        label=gettext_lazy("评审组数"), min_value=1, max_value=50, initial=1
    )
    per_group = forms.IntegerField(
        label=gettext_lazy("每组人数"), min_value=1, max_value=20, initial=3
    )
    seed = forms.CharField(label=gettext_lazy("随机种子（可选）"), max_length=64, required=False)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def draw_reviewers(request: HttpRequest, pk: int) -> HttpResponse:
    """双随机: reviewers drawn at random from the pool into groups (first of each leads)."""
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    form = ReviewerDrawForm(request.POST)
    if form.is_valid():
        try:
            made = review_groups.review_groups_draw(
                campaign=campaign,
                groups=form.cleaned_data["groups"],
                per_group=form.cleaned_data["per_group"],
                seed=form.cleaned_data["seed"] or None,
                actor=actor,
            )
            messages.success(request, _("已随机抽取评审员，随机种子 %(s)s。") % {"s": made.seed})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, _("请填写组数和每组人数。"))
    return redirect("reviews:groups", pk=pk)
