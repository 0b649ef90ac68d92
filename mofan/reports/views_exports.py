"""The export page of a campaign, the job page with its progress bar, downloads and 我的导出.

The campaign comes through `campaigns_for(actor)` and a job through `jobs_for(actor)` (the
actor's own jobs only), so anything outside the scope is a 404. The page lists the registered
exports whose `check()` passes for the actor; starting one is a POST that creates a job and
redirects to the job page, which polls its status partial through htmx until the job ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import BoundField
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mofan.accounts import rules
from mofan.accounts.access import Actor, actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign
from mofan.core.exports import registry
from mofan.core.exports.base import Export
from mofan.evaluations.selectors import campaigns_for
from mofan.organizations.models import Unit
from mofan.reports import issuing, jobs, jobs_files
from mofan.reports.exporters._scope import export_units
from mofan.reports.forms import FORMAT_LABELS, ExportStartForm
from mofan.reports.models import ExportJob, JobState
from mofan.reports.render import CONTENT_TYPES

logger = logging.getLogger(__name__)

# Everybody who may read a campaign's data; the exports' own check() decides the rest.
EXPORT_ROLES = (
    Role.COMMITTEE_ADMIN,
    Role.COMMITTEE_LEADER,
    Role.REVIEWER,
    Role.UNIT_ADMIN,
    Role.UNIT_LEADER,
)
SERVE_CSP = "sandbox; default-src 'none'"
JOB_PARTIAL = "reports/job.html#job-status"


@dataclass
class Offer:
    identifier: str
    label: str
    formats: list[str]
    per_unit: bool
    background: bool
    unavailable: str = ""
    draftable: bool = False  # an official document the committee's staff may draft and issue
    buttons: list[tuple[str, str]] = field(default_factory=list)


# The order a committee works in: the package it sends upward, the official documents, then the
# tables; anything registered later comes last.
DISPLAY_ORDER = (
    "upper_report",
    "results_bulletin",
    "naming_notice",
    "rectification_notice",
    "work_summary",
    "ranking",
    "score_sheet",
    "problem_list",
    "supervision_ledger",
    "evidence_index",
)


def _display_key(offer: Offer) -> tuple[int, str]:
    order = DISPLAY_ORDER.index(offer.identifier) if offer.identifier in DISPLAY_ORDER else 99
    return (order, offer.identifier)


def _units(actor: Actor, campaign: Campaign) -> QuerySet[Unit]:
    return export_units(actor, campaign)


def offers_for(actor: Actor, campaign: Campaign, units: QuerySet[Unit]) -> dict[str, Offer]:
    """The registered exports the actor may run here (each export's own check() decides)."""
    first_unit: Unit | None = None
    if any(cls.per_unit for cls in registry.all_exports()):
        first_unit = units.first()
    size = jobs.unit_count(campaign)
    staff = rules.is_campaign_staff(actor, campaign)
    offers: dict[str, Offer] = {}
    for cls in registry.all_exports():
        unit = first_unit if cls.per_unit else None
        if cls.per_unit and unit is None:
            continue
        unavailable = ""
        try:
            cls(campaign=campaign, actor=actor, unit=unit).check()
        except (PermissionDenied, LookupError, ObjectDoesNotExist, Http404):
            continue
        except ValidationError as exc:
            unavailable = "；".join(exc.messages)
        offers[cls.identifier] = Offer(
            identifier=cls.identifier,
            label=str(cls.label),
            formats=list(cls.formats),
            per_unit=cls.per_unit,
            background=_in_background(cls, size),
            unavailable=unavailable,
            draftable=staff and issuing.draftable(cls),
            buttons=[(fmt, str(FORMAT_LABELS.get(fmt, fmt))) for fmt in cls.formats],
        )
    return offers


def _in_background(cls: type[Export], campaign_units: int) -> bool:
    """Small exports run inline in the request; larger ones are a task for the worker."""
    units = 1 if cls.per_unit else campaign_units
    return units > cls.background_above_units


def _with_labels(rows: Any) -> list[ExportJob]:
    rows = list(rows)
    for job in rows:
        job.label = jobs.export_label(job.exporter)
    return rows


@role_required(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def exports(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    campaign = get_object_or_404(campaigns_for(actor).select_related("committee"), pk=pk)
    units = _units(actor, campaign)
    offers = offers_for(actor, campaign, units)
    if request.method == "POST":
        return _start(request, actor, campaign, units, offers)
    jobs_files.job_expire(user=request.user)
    recent = (
        jobs.jobs_for(actor)
        .filter(campaign=campaign)
        .select_related("unit")
        .order_by("-created_at", "-pk")[:10]
    )
    return render(
        request,
        "reports/exports.html",
        {
            "campaign": campaign,
            "offers": [
                (offer, _unit_field(offers, units, campaign, offer))
                for offer in sorted(offers.values(), key=_display_key)
            ],
            "recent": _with_labels(recent),
            "retention_hours": settings.MOFAN_EXPORT_RETENTION_HOURS,
        },
    )


def _unit_field(
    offers: dict[str, Offer], units: QuerySet[Unit], campaign: Campaign, offer: Offer
) -> BoundField | None:
    """The unit chooser of a per-unit offer (ids of its own, one chooser per offer)."""
    if not offer.per_unit:
        return None
    form = ExportStartForm(
        offers=offers,
        units=units,
        campaign_id=campaign.pk,
        auto_id=f"unit-{offer.identifier}-%s",
    )
    return form["unit"]


def _start(
    request: HttpRequest,
    actor: Actor,
    campaign: Campaign,
    units: QuerySet[Unit],
    offers: dict[str, Offer],
) -> HttpResponse:
    form = ExportStartForm(request.POST, offers=offers, units=units, campaign_id=campaign.pk)
    if not form.is_valid():
        errors = [*form.non_field_errors(), *form.errors.get("unit", [])]
        for error in errors or [_("请求无效，请重试。")]:
            messages.error(request, str(error))
        return redirect("reports:exports", pk=campaign.pk)
    offer: Offer = form.cleaned_data["offer"]
    try:
        job = jobs.job_submit(
            identifier=offer.identifier,
            fmt=form.cleaned_data["format"],
            campaign=campaign,
            unit=form.cleaned_data["unit"],
            actor=actor,
            inline=not offer.background,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("reports:exports", pk=campaign.pk)
    except (LookupError, ObjectDoesNotExist):
        raise Http404 from None
    if job.state == JobState.DONE:
        messages.success(request, _("「%(label)s」已生成。") % {"label": offer.label})
    elif job.state in jobs.ACTIVE_STATES:
        messages.info(
            request,
            _("已开始生成「%(label)s」。可以离开本页继续工作，完成后在「我的导出」中下载。")
            % {"label": offer.label},
        )
    return redirect("reports:job", pk=job.pk)


@role_required(*EXPORT_ROLES)
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    job = get_object_or_404(jobs.jobs_for(actor).select_related("campaign", "unit"), pk=pk)
    job = jobs_files.expire_if_due(job)
    context = {
        "job": job,
        "label": jobs.export_label(job.exporter),
        "active": job.state in jobs.ACTIVE_STATES,
        "retryable": job.state in jobs.RETRYABLE_STATES,
        "format_label": FORMAT_LABELS.get(job.format, job.format),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, JOB_PARTIAL, context)
    return render(request, "reports/job.html", context)


@role_required(*EXPORT_ROLES)
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the actor's own export while it is still queued."""
    actor = actor_of(request)
    job = get_object_or_404(jobs.jobs_for(actor), pk=pk)
    try:
        jobs.job_cancel(job=job, actor=actor)
        messages.success(request, _("已取消该导出。"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("reports:job", pk=job.pk)


@role_required(*EXPORT_ROLES)
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask again for a failed, cancelled or expired export of the actor's own: a new job."""
    actor = actor_of(request)
    job = get_object_or_404(jobs.jobs_for(actor).select_related("campaign", "unit"), pk=pk)
    try:
        again = jobs.job_retry(job=job, actor=actor)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("reports:job", pk=job.pk)
    except (LookupError, ObjectDoesNotExist):
        raise Http404 from None
    messages.info(request, _("已重新开始生成。"))
    return redirect("reports:job", pk=again.pk)


@role_required(*EXPORT_ROLES)
@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    job = get_object_or_404(jobs.jobs_for(actor), pk=pk)
    job = jobs_files.expire_if_due(job)
    if job.state == JobState.EXPIRED:
        messages.info(request, _("该文件已过期并已删除，请重新导出。"))
        return redirect("reports:job", pk=job.pk)
    if job.state != JobState.DONE:
        raise Http404
    try:
        path = jobs_files.path_of(job.stored_name)
        handle = path.open("rb")
    except (OSError, ValueError):
        logger.error("export job %s: file %s is missing", job.pk, job.stored_name)
        raise Http404 from None
    try:
        audit_record(
            action="report.download",
            actor=request.user,
            target=job,
            committee_id=job.committee_id,
            extra=jobs.audit_facts(job, size=job.size),
        )
    except BaseException:
        handle.close()
        raise
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=job.download_name,
        content_type=CONTENT_TYPES.get(job.format, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVE_CSP
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)  # role_required's type; a FileResponse streams


@role_required(*EXPORT_ROLES)
@require_GET
def my_exports(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    jobs_files.job_expire(user=request.user)
    rows = jobs.jobs_for(actor).select_related("campaign", "unit").order_by("-created_at", "-pk")
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/exports_mine.html",
        {
            "page": page,
            "jobs": _with_labels(page.object_list),
            "retention_hours": settings.MOFAN_EXPORT_RETENTION_HOURS,
        },
    )
