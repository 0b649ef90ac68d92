"""The committee's approval table (综合审定): the ranking of every unit, vetoes, approval."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.accounts.totp import has_confirmed_device
from mofan.core.refusals import refusal_text
from mofan.core.sorting import column_sort
from mofan.evaluations import approval
from mofan.evaluations import approval_rounds as rounds
from mofan.evaluations import approval_tasks as runs
from mofan.evaluations import selectors as scope
from mofan.evaluations import selectors_approval as ranking
from mofan.evaluations.forms_review import VetoForm
from mofan.evaluations.models import RunKind, RunState
from mofan.evaluations.views_common import posted_id


@role_required(*COMMITTEE_STAFF)
def approval_table(request: HttpRequest, pk: int) -> HttpResponse:
    """The approval table, 50 units a page, sortable and searchable; the approval actions
    (approve all, publish) act on the whole campaign and read its counts."""
    actor = actor_of(request)
    campaign = get_object_or_404(
        scope.campaigns_staffed_by(actor).select_related("indicator_version__system"),
        pk=pk,
    )
    sorting = column_sort(request, ranking.SORTS, default=ranking.DEFAULT_SORT)
    search = request.GET.get("q", "").strip()[:100]
    summary = ranking.approval_summary(campaign)
    page = ranking.approval_rows(
        campaign, summary=summary, sorting=sorting, search=search, page=request.GET.get("page")
    )
    pending = ranking.pending_rows(
        campaign, summary=summary, search=search, page=request.GET.get("opage")
    )
    is_admin = rules.administers(actor, campaign.committee_id)
    is_leader = rules.signs_off(actor, campaign.committee_id)
    if is_admin:
        # The veto form is the same on every row but its ids: render it once, not 50 times.
        fields = render_to_string(
            "form_fields.html", {"form": VetoForm(auto_id="id_veto-ROW-%s")}, request
        )
        for row in [*page, *pending]:
            row.veto_fields = mark_safe(fields.replace("-ROW-", f"{row.enrollment.pk}-"))  # noqa: S308
    context = {
        "campaign": campaign,
        "page": page,
        "pending": pending,
        "sorting": sorting,
        "query": sorting.query,
        "search": search,
        "summary": summary,
        "max_points": summary.max_points,
        "is_admin": is_admin,
        "is_leader": is_leader,
        "needs_code": is_leader and has_confirmed_device(request.user),  # type: ignore[arg-type]
        "active_run": runs.active_run(campaign),
        "last_run": runs.latest_run(campaign),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "evaluations/approval.html#approval-rows", context)
    return render(request, "evaluations/approval.html", context)


@require_POST
@role_required(Role.COMMITTEE_LEADER)
def approval_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee leader signs off the round the admin prepared, with their password: checked
    here; the approval itself runs as a background task, whose page this answers with."""
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_staffed_by(actor), pk=pk)
    try:
        pending = ranking.pending_round(campaign)
        if pending is None:
            raise ValidationError(_("没有等待签批的审定。"))
        run = runs.approval_sign_request(
            batch=pending,
            actor=actor,
            password=request.POST.get("password", ""),
            code=request.POST.get("code", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
        return redirect("reviews:approval", pk=pk)
    messages.info(request, _("已确认签批，正在后台审定。可以离开本页，稍后回来查看。"))
    return redirect("reviews:approval_run", pk=run.pk)


@role_required(*COMMITTEE_STAFF)
@require_GET
def approval_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A background approval's page: its state, polled through htmx until it ends; a failed
    signature can be signed again from here (with the password again)."""
    actor = actor_of(request)
    run = get_object_or_404(
        runs.approval_runs_for(actor).select_related("campaign", "batch", "requested_by"), pk=pk
    )
    retry_sign = (
        run.state == RunState.FAILED
        and run.kind == RunKind.SIGN
        and rules.signs_off(actor, run.campaign.committee_id)
        and ranking.pending_round(run.campaign) is not None
        and runs.active_run(run.campaign) is None
    )
    result = ""
    if run.state == RunState.DONE:
        result = ngettext(
            "已签批，%(n)d 个单位的结果已审定并冻结。",
            "已签批，%(n)d 个单位的结果已审定并冻结。",
            run.approved,
        ) % {"n": run.approved}
        if run.kind == RunKind.CAMPAIGN:
            result = _("已审定，%(n)d 个单位的结果已冻结。") % {"n": run.approved}
    context = {
        "run": run,
        "result": result,
        "campaign": run.campaign,
        "active": run.state in runs.ACTIVE,
        "retry_sign": retry_sign,
        "needs_code": retry_sign and has_confirmed_device(request.user),  # type: ignore[arg-type]
    }
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "evaluations/approval_run.html#run-status", context)
        if result:  # it has just ended under the watcher's eyes: back to the approval table
            messages.success(request, result)
            response["HX-Redirect"] = reverse("reviews:approval", args=[run.campaign_id])
        return response
    return render(request, "evaluations/approval_run.html", context)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def approval_action(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "prepare":
            batch = rounds.approval_prepare(campaign=campaign, actor=actor)
            messages.success(
                request,
                _("已准备 %(n)d 个单位的审定，等待工委领导签批。") % {"n": len(batch.enrollments)},
            )
        elif action == "withdraw":
            pending = ranking.pending_round(campaign)
            if pending is None:
                raise ValidationError(_("没有等待签批的审定。"))
            rounds.approval_withdraw(
                batch=pending, actor=actor, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已撤回这一轮审定。"))
        elif action == "close":
            n = rounds.approval_close(
                campaign=campaign, reason=request.POST.get("reason", ""), actor=actor
            )
            messages.success(request, _("已结束审定，%(n)d 个单位记为未完成。") % {"n": n})
        elif action == "publish":
            approval.campaign_publish(
                campaign=campaign, actor=actor, ranking=request.POST.get("ranking") == "1"
            )
            messages.success(request, _("结果已公布，各单位可查看本单位结果。"))
        elif action == "tie":
            approval.quota_tie_decide(
                campaign=campaign,
                policy=request.POST.get("policy", ""),
                admitted=[int(v) for v in request.POST.getlist("admitted") if v.isdigit()],
                reason=request.POST.get("reason", ""),
                actor=actor,
            )
            messages.success(request, _("已记录对并列单位的决定，先进单位已按此确定。"))
        elif action in ("veto", "reopen"):
            enrollment = get_object_or_404(
                campaign.enrollments, pk=posted_id(request, "enrollment")
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
        messages.error(request, refusal_text(exc))
    return redirect("reviews:approval", pk=pk)
