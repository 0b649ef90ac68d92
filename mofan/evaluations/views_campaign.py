"""Campaign pages: the committee's list, creation and progress board; a unit's own campaign
home (plan, leadership group, tasks, submission, result).

They live in evaluations, not in campaigns, because they show what evaluations holds (scoped
enrollments, submission checks, results); `mofan.campaigns` keeps the campaign records and
their services. The URLs keep the `campaigns:` namespace (urls_campaign.py)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.campaigns import selectors, services
from mofan.campaigns.administration import EXTENDABLE
from mofan.campaigns.forms import (
    CampaignForm,
    ExtendForm,
    LeadershipForm,
    ReasonForm,
    TaskForm,
    TaskStatusForm,
)
from mofan.campaigns.models import (
    Campaign,
    CampaignStatus,
    EnrollmentState,
    LeadershipMember,
    Task,
)
from mofan.core.refusals import flash_write, refusal_text
from mofan.evaluations import approval
from mofan.evaluations import selectors as scope
from mofan.evaluations import services as evaluation
from mofan.evaluations.cycle import cycle_overall
from mofan.evaluations.models import UnitResult
from mofan.evaluations.submission import submission_status
from mofan.indicators.models import IndicatorVersion, VersionStatus
from mofan.organizations.models import Unit
from mofan.organizations.selectors import committees_administered_by, committees_staffed_by

# States counted on the campaign page only when some unit is in them.
OPTIONAL_STATES = (EnrollmentState.INCOMPLETE, EnrollmentState.WITHDRAWN)


@role_required(Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER, Role.UNIT_ADMIN, Role.UNIT_LEADER)
def campaign_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    campaigns = scope.campaigns_for(actor).select_related("indicator_version__system")
    enrollments = scope.enrollments_of_own_units(actor).select_related("campaign", "unit")
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "campaigns": campaigns if rules.is_committee_staff(actor) else [],
            "enrollments": enrollments,
            "can_create": rules.is_committee_admin(actor),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def campaign_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    committee = get_object_or_404(committees_administered_by(actor))
    versions = IndicatorVersion.objects.filter(
        Q(system__committee__isnull=True) | Q(system__committee=committee),
        status=VersionStatus.PUBLISHED,
    ).select_related("system")
    units = Unit.objects.filter(committee=committee, is_active=True)
    form = CampaignForm(request.POST or None, versions=versions, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        weights = {
            k: v
            for k, v in (
                ("self", data["weight_self"]),
                ("review", data["weight_review"]),
                ("survey", data.get("weight_survey")),
            )
            if v
        }
        try:
            campaign = services.campaign_create(
                committee=committee,
                name=data["name"],
                year=data["year"],
                version=data["version"],
                actor=actor,
                units=None if data["all_units"] else list(data["units"]),
                cycle_start_year=data["cycle_start_year"],
                submission_deadline=data["submission_deadline"],
                weights={k: str(v) for k, v in weights.items()},
                honours_quota=data["honours_quota"],
                approved_by=data["approved_by"],
                document_number=data["document_number"],
                document_title=data["document_title"],
                cadence=data["cadence"],
                tie_policy=data["tie_policy"],
                grade_bands=form.grade_bands(),
                veto_blocks=form.veto_blocks(),
                evidence_max_mb=data["evidence_max_mb"],
                evidence_cap=data["evidence_cap"],
                rectify_grades=form.rectify_grades(),
                rectify_lowest=data["rectify_lowest"],
                rectify_days=data["rectify_days"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("创建活动已建立。"))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form})


@role_required(*COMMITTEE_STAFF)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(
        scope.campaigns_staffed_by(actor).select_related("indicator_version__system"),
        pk=pk,
    )
    rows = selectors.progress_rows(scope.enrollments_for(actor).filter(campaign=campaign))
    is_admin = rules.administers(actor, campaign.committee_id)
    states = Counter(row.state for row in rows)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "phases": campaign.phases.all(),
            "rows": rows,
            "leaves": selectors.scored_leaf_count(campaign),
            "states": [
                (state, label, states.get(state, 0))
                for state, label in EnrollmentState.choices
                if state not in OPTIONAL_STATES or states.get(state)
            ],
            "is_admin": is_admin,
            "can_extend": is_admin and campaign.status != CampaignStatus.CLOSED,
            "any_extendable": any(row.state in EXTENDABLE for row in rows),
            "reason_form": ReasonForm(),
            "extend_form": ExtendForm(),
        },
    )


def _on_enrollment(
    request: HttpRequest, pk: int, form_class: Any, act: Any, done: str, invalid: str
) -> HttpResponse:
    """A committee admin's action on one enrollment from a posted form: `act(enrollment, data)`
    runs the audited service; `done` (with %(u)s, the unit) and `invalid` are the messages."""
    actor = actor_of(request)
    enrollment = get_object_or_404(scope.enrollments_administered_by(actor), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        flash_write(
            request,
            lambda: act(enrollment, actor, form.cleaned_data),
            lambda _done: done % {"u": enrollment.unit},
        )
    else:
        messages.error(request, invalid)
    return redirect("campaigns:detail", pk=enrollment.campaign_id)


def _moves_to(state: str) -> Any:
    """The action of `_on_enrollment` that moves the enrollment to `state`, with the reason."""

    def act(enrollment: Any, actor: Any, data: dict[str, Any]) -> None:
        evaluation.enrollment_transition(
            enrollment=enrollment, to=state, actor=actor, reason=data["reason"]
        )

    return act


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def enrollment_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _on_enrollment(
        request,
        pk,
        ReasonForm,
        _moves_to(EnrollmentState.RETURNED),
        _("已退回%(u)s的自评。"),
        _("退回须写明理由。"),
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def enrollment_submit_for(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee submits a unit's self-evaluation on its behalf (a written reason, audited,
    the unit told): the same transition as the unit leader's, never a second path."""
    return _on_enrollment(
        request,
        pk,
        ReasonForm,
        _moves_to(EnrollmentState.SUBMITTED),
        _("已代%(u)s提交自评。"),
        _("代为提交须写明理由。"),
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def enrollment_extend(request: HttpRequest, pk: int) -> HttpResponse:
    def act(enrollment: Any, actor: Any, data: dict[str, Any]) -> None:
        evaluation.enrollment_extend(
            enrollment=enrollment, until=data["until"], actor=actor, reason=data["reason"]
        )

    return _on_enrollment(request, pk, ExtendForm, act, _("已为%(u)s延期。"), _("请填写延期时间。"))


@login_required
def enrollment_home(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's page for one campaign: plan, leadership group, tasks, progress, submit, result."""
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_of_own_units(actor),
        pk=pk,
    )
    campaign = enrollment.campaign
    is_admin = rules.is_unit_admin_of(actor, enrollment.unit_id)
    leaves = selectors.scored_leaf_count(campaign)
    done = enrollment.self_scores.count()
    result = None
    if campaign.results_published:
        result = UnitResult.objects.filter(enrollment=enrollment).first()
    return render(
        request,
        "campaigns/enrollment_home.html",
        {
            "enrollment": enrollment,
            "campaign": campaign,
            "phases": campaign.phases.all(),
            "leadership": enrollment.leadership.all(),
            "tasks": enrollment.tasks.all(),
            "leaves": leaves,
            "done": done,
            "percent": int(done * 100 / leaves) if leaves else 100,
            "editable": is_admin and enrollment.state in evaluation.EDITABLE_STATES,
            "status": submission_status(enrollment, actor),
            "leadership_form": LeadershipForm(),
            "task_form": TaskForm(),
            "status_form": TaskStatusForm(),
            "result": result,
            "rank_band": approval.rank_band(result.rank, selectors.taking_part(campaign).count())
            if result
            else "",
            "type_scores": _type_scores(campaign, result),
        },
    )


def _type_scores(campaign: Campaign, result: UnitResult | None) -> list[tuple[str, str, Any]]:
    if result is None:
        return []
    roots = campaign.indicator_version.nodes.filter(parent__isnull=True).order_by("order")
    return [(n.code, n.title, result.type_scores.get(n.code)) for n in roots]


@require_POST
@login_required
def enrollment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    enrollment = get_object_or_404(scope.enrollments_submitted_by(actor), pk=pk)
    flash_write(
        request,
        lambda: evaluation.enrollment_transition(
            enrollment=enrollment, to=EnrollmentState.SUBMITTED, actor=actor
        ),
        _("自评已提交，现已锁定。"),
        refused=_("未能提交："),
    )
    return redirect("campaigns:enrollment", pk=pk)


def _add_to_plan(
    request: HttpRequest, pk: int, form_class: Any, add: Any, missing: str
) -> HttpResponse:
    """Add a row to the unit's own plan (leadership group, task list) from a posted form."""
    actor = actor_of(request)
    enrollment = get_object_or_404(scope.enrollments_filled_by(actor), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        add(enrollment=enrollment, actor=actor, **form.cleaned_data)
    else:
        messages.error(request, missing)
    return redirect("campaigns:enrollment", pk=pk)


@require_POST
@login_required
def leadership_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_to_plan(
        request, pk, LeadershipForm, services.leadership_add, _("请填写职务和姓名。")
    )


@require_POST
@login_required
def leadership_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = get_object_or_404(
        LeadershipMember, pk=pk, enrollment__in=scope.enrollments_filled_by(actor)
    )
    services.leadership_remove(member=member, actor=actor)
    return redirect("campaigns:enrollment", pk=member.enrollment_id)


@require_POST
@login_required
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_to_plan(
        request, pk, TaskForm, services.task_add, _("请填写任务、责任人和完成时限。")
    )


@require_POST
@login_required
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    task = get_object_or_404(Task, pk=pk, enrollment__in=scope.enrollments_filled_by(actor))
    form = TaskStatusForm(request.POST)
    if form.is_valid():
        services.task_set_status(task=task, status=form.cleaned_data["status"], actor=actor)
    return redirect("campaigns:enrollment", pk=task.enrollment_id)


__all__ = ["Decimal"]


@role_required(*COMMITTEE_STAFF)
def cycle(request: HttpRequest, start_year: int) -> HttpResponse:
    """三年一总评: the cycle's annual results side by side and the overall grade."""
    actor = actor_of(request)
    committee = get_object_or_404(committees_staffed_by(actor))
    rule = "mean" if request.GET.get("rule") == "mean" else "grade_count"
    campaigns, rows = cycle_overall(committee, start_year, rule=rule)  # type: ignore[arg-type]
    years = [c.year for c in campaigns]
    return render(
        request,
        "campaigns/cycle.html",
        {
            "start_year": start_year,
            "end_year": start_year + 2,
            "campaigns": campaigns,
            "rows": [(row, [row.annual.get(y) for y in years]) for row in rows],
            "years": years,
            "rule": rule,
        },
    )


@require_POST
@login_required
def plan_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload the unit's 实施方案 (stored once in the unit's evidence store) and pin it."""
    from mofan.core.uploads import UploadRejected
    from mofan.evidence.services import evidence_upload

    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_filled_by(actor).select_related("campaign", "unit"), pk=pk
    )
    upload = request.FILES.get("plan")
    if upload is None:
        messages.error(request, _("请选择实施方案文件。"))
        return redirect("campaigns:enrollment", pk=pk)
    try:
        evidence, _created = evidence_upload(
            unit=enrollment.unit,
            upload=upload,
            actor=actor,
            max_mb=enrollment.campaign.evidence_max_mb,
        )
        services.plan_set(enrollment=enrollment, evidence=evidence, actor=actor)
        messages.success(request, _("实施方案已上传。"))
    except UploadRejected as exc:
        messages.error(request, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    return redirect("campaigns:enrollment", pk=pk)
