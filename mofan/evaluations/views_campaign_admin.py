"""Campaign administration pages (issue 14 point 2): edit a campaign's settings and phase
dates, add units, withdraw one, extend several at once, delete a draft, launch (asking first
when the deadline has passed). Committee admin only; the services check it again and audit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.campaigns import administration, selectors, services
from mofan.campaigns.forms import BulkExtendForm, CampaignEditForm, ReasonForm, UnitsAddForm
from mofan.campaigns.models import CampaignStatus
from mofan.core.refusals import flash_write, refusal_text
from mofan.evaluations import selectors as scope


@role_required(Role.COMMITTEE_ADMIN)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(
        scope.campaigns_managed_by(actor).select_related("indicator_version__system"), pk=pk
    )
    if campaign.status == CampaignStatus.CLOSED:
        messages.error(request, _("活动已结束，不能再修改。"))
        return redirect("campaigns:detail", pk=pk)
    form = CampaignEditForm(request.POST or None, campaign=campaign, phases=campaign.phases.all())
    if request.method == "POST" and form.is_valid():
        try:
            changed = administration.campaign_update(
                campaign=campaign,
                actor=actor,
                changes=form.changes(),
                phase_dates=form.phase_dates(),
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(
                request,
                _("已保存修改（%(n)d 项），并记入审计日志。") % {"n": len(changed)}
                if changed
                else _("没有修改。"),
            )
            return redirect("campaigns:detail", pk=pk)
    return render(
        request,
        "campaigns/campaign_edit.html",
        {
            "campaign": campaign,
            "form": form,
            "units_form": UnitsAddForm(
                units=selectors.units_to_enrol(campaign), campaign_id=campaign.pk
            ),
        },
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def campaign_units_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    form = UnitsAddForm(
        request.POST, units=selectors.units_to_enrol(campaign), campaign_id=campaign.pk
    )
    if form.is_valid():
        flash_write(
            request,
            lambda: administration.enrollments_add(
                campaign=campaign, units=form.cleaned_data["units"], actor=actor
            ),
            lambda n: _("已增加 %(n)d 个参评单位。") % {"n": n},
        )
    else:
        messages.error(request, _("请选择要增加的单位。"))
    return redirect("campaigns:detail", pk=pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def enrollment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_administered_by(actor).select_related("unit"), pk=pk
    )
    form = ReasonForm(request.POST)
    if form.is_valid():
        flash_write(
            request,
            lambda: administration.enrollment_withdraw(
                enrollment=enrollment, reason=form.cleaned_data["reason"], actor=actor
            ),
            _("%(u)s已退出本活动。") % {"u": enrollment.unit.name},
        )
    else:
        messages.error(request, _("退出须写明理由。"))
    return redirect("campaigns:detail", pk=enrollment.campaign_id)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def enrollment_readmit(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a withdrawn unit back (已退出 → 未开始)."""
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_administered_by(actor).select_related("unit"), pk=pk
    )
    flash_write(
        request,
        lambda: administration.enrollment_readmit(enrollment=enrollment, actor=actor),
        _("%(u)s已恢复参加本活动。") % {"u": enrollment.unit.name},
    )
    return redirect("campaigns:detail", pk=enrollment.campaign_id)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def campaign_extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Extend the deadline of the units ticked in the progress table, all at once."""
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    candidates = selectors.extendable(scope.enrollments_administered_by(actor), campaign)
    form = BulkExtendForm(request.POST, enrollments=candidates)
    if form.is_valid():
        data = form.cleaned_data
        flash_write(
            request,
            lambda: administration.enrollments_extend(
                campaign=campaign,
                enrollments=data["enrollments"],
                until=data["until"],
                reason=data["reason"],
                actor=actor,
            ),
            lambda n: _("已为 %(n)d 个单位延期。") % {"n": n},
        )
    else:
        messages.error(request, _("请勾选尚未提交的单位并填写延期时间。"))
    return redirect("campaigns:detail", pk=pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def campaign_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    done = flash_write(
        request,
        lambda: administration.campaign_delete(campaign=campaign, actor=actor) or True,
        _("活动“%(c)s”已删除。") % {"c": campaign.name},
    )
    return redirect("campaigns:list") if done else redirect("campaigns:detail", pk=pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def campaign_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Launch; when the submission deadline has passed, a page asks to confirm first."""
    actor = actor_of(request)
    campaign = get_object_or_404(scope.campaigns_managed_by(actor), pk=pk)
    confirmed = request.POST.get("confirm_past_deadline") == "1"
    if (
        campaign.status == CampaignStatus.DRAFT
        and administration.deadline_has_passed(campaign)
        and not confirmed
    ):
        return render(request, "campaigns/campaign_activate_confirm.html", {"campaign": campaign})
    flash_write(
        request,
        lambda: services.campaign_activate(
            campaign=campaign, actor=actor, past_deadline_confirmed=confirmed
        ),
        _("活动已启动，各单位可以开始填报。"),
    )
    return redirect("campaigns:detail", pk=pk)
