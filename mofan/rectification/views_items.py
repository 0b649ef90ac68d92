"""Problem-list pages: the committee's board (with the findings waiting to be listed and a form
for its own items), the unit's list and its 自查自纠 form, and the item page where each side
takes the next step of the item's life.

Every object comes through a scoped selector (out of scope is a 404); every change goes through
`services` (the one transition function, the committee's adjustment, the two ways to create).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts import rules
from mofan.accounts.access import Actor, actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.campaigns.models import Campaign
from mofan.core.refusals import refusal_text
from mofan.core.uploads import UploadRejected
from mofan.evaluations.models import Finding
from mofan.evaluations.selectors import campaigns_staffed_by
from mofan.evidence import services as store
from mofan.evidence.models import Evidence
from mofan.evidence.selectors import evidence_for
from mofan.organizations.models import Unit
from mofan.organizations.selectors import units_administered_by, units_for, units_read_by
from mofan.rectification import selectors, services
from mofan.rectification.forms import (
    CommitteeItemForm,
    FindingItemForm,
    ItemFilterForm,
    MeasuresForm,
    ReasonForm,
    ReportForm,
    UnitItemForm,
    UpdateForm,
)
from mofan.rectification.models import ProblemItem, ProblemState

PAGE_SIZE = 50
FINDINGS_PAGE_SIZE = 20
DEFAULT_DAYS = 60
TABLE = "#item-table"


# --- lists -----------------------------------------------------------------------------------


def _mark(items: Any, today: date) -> None:
    """What a row shows beyond the fields: overdue, and the age in days."""
    for item in items:
        item.is_overdue = item.state != ProblemState.CLOSED and item.deadline < today
        item.age_days = (today - timezone.localtime(item.created_at).date()).days


def _listing(
    request: HttpRequest,
    scope: QuerySet[ProblemItem],
    campaigns: QuerySet[Campaign],
    *,
    today: date,
    unit_search: bool,
    keep: dict[str, Any] | None = None,
) -> dict[str, Any]:
    form = ItemFilterForm(
        request.GET or None, campaigns=campaigns, unit_search=unit_search, auto_id="filter-%s"
    )
    filters = form.filters()
    items = selectors.filter_items(scope, filters, today=today)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    _mark(page, today)
    params = {k: v for k, v in request.GET.items() if k not in ("page", "fpage") and v}
    params.update(keep or {})
    return {"form": form, "page": page, "query": urlencode(params), "today": today}


@role_required(*COMMITTEE_STAFF)
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The committee's board of every item: counts by state, overdue units, filters, the
    paginated table (alone for htmx), and the findings waiting to be listed."""
    actor = actor_of(request)
    today = timezone.localdate()
    scope = selectors.board_items(actor)
    campaigns = campaigns_staffed_by(actor).order_by("-year", "-pk")
    context = _listing(request, scope, campaigns, today=today, unit_search=True)
    context["list_url"] = reverse("rectification:item_board")
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "rectification/board.html#item-table", context)
    is_admin = rules.is_committee_admin(actor)
    context.update(
        {
            "counts": selectors.state_counts(scope, today=today),
            "worst_units": selectors.units_most_overdue(scope, today=today),
            "is_admin": is_admin,
            "findings": _findings_page(request, actor, today) if is_admin else None,
            "campaigns": campaigns,
        }
    )
    return render(request, "rectification/board.html", context)


def _findings_page(request: HttpRequest, actor: Actor, today: date) -> Page:
    page = Paginator(selectors.findings_to_list(actor), FINDINGS_PAGE_SIZE).get_page(
        request.GET.get("fpage")
    )
    for finding in page:
        days = finding.assignment.enrollment.campaign.rectify_days or DEFAULT_DAYS
        finding.form = FindingItemForm(  # type: ignore[attr-defined]
            initial={"deadline": today + timedelta(days=days), "severity": "general"},
            auto_id=f"finding-{finding.pk}-%s",
        )
    return page


def _own_unit(actor: Actor, raw: str | None) -> Unit:
    readable = actor.units_with(*UNIT_READERS)
    try:
        pk = int(raw) if raw else min(readable)
    except ValueError:
        raise Http404 from None
    if pk not in readable:
        raise Http404
    return get_object_or_404(units_for(actor), pk=pk)


@role_required(*UNIT_READERS)
@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    """A unit's own items with their deadlines (the unit admin and leader)."""
    actor = actor_of(request)
    today = timezone.localdate()
    unit = _own_unit(actor, request.GET.get("unit"))
    scope = selectors.unit_items(actor, unit.pk)
    campaigns = Campaign.objects.filter(problem_items__unit_id=unit.pk).distinct().order_by("-year")
    context = _listing(
        request, scope, campaigns, today=today, unit_search=False, keep={"unit": unit.pk}
    )
    context.update({"unit": unit, "list_url": reverse("rectification:unit_items")})
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "rectification/unit_list.html#item-table", context)
    others = units_read_by(actor)
    context.update(
        {
            "counts": selectors.state_counts(scope, today=today),
            "may_create": rules.is_unit_admin_of(actor, unit.pk),
            "other_units": others if len(others) > 1 else [],
        }
    )
    return render(request, "rectification/unit_list.html", context)


# --- creating --------------------------------------------------------------------------------


def _create_page(
    request: HttpRequest,
    form: Any,
    *,
    fields: tuple[str, ...],
    success: str,
    title: str,
    back: str,
) -> HttpResponse:
    """Both creation forms: validate, put the item on the list through the service, or show
    the form again with the service's Chinese error."""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.problem_item_create(
                actor=actor_of(request), **{name: data[name] for name in fields}
            )
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, success)
            return redirect("rectification:item_detail", pk=item.pk)
    return render(
        request, "rectification/item_form.html", {"form": form, "title": title, "back": back}
    )


ITEM_FIELDS = (
    "unit",
    "source",
    "description",
    "deadline",
    "severity",
    "required_measures",
    "responsible_person",
)


@role_required(Role.COMMITTEE_ADMIN)
def committee_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    committees = actor.committees_with(Role.COMMITTEE_ADMIN)
    form = CommitteeItemForm(
        request.POST or None,
        initial={"deadline": timezone.localdate() + timedelta(days=DEFAULT_DAYS)},
        units=selectors.listable_units(actor),
        campaigns=Campaign.objects.filter(committee_id__in=committees).order_by("-year", "-pk"),
    )
    return _create_page(
        request,
        form,
        fields=(*ITEM_FIELDS, "campaign", "node"),
        success=_("已列入问题清单，并已通知该单位。"),
        title=_("列入问题清单"),
        back=reverse("rectification:item_board"),
    )


@role_required(Role.UNIT_ADMIN)
def unit_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    units = units_administered_by(actor)
    form = UnitItemForm(
        request.POST or None,
        initial={"deadline": timezone.localdate() + timedelta(days=DEFAULT_DAYS)},
        units=units,
    )
    return _create_page(
        request,
        form,
        fields=ITEM_FIELDS,
        success=_("已列入本单位问题清单。"),
        title=_("自查自纠：列入本单位问题清单"),
        back=reverse("rectification:unit_items"),
    )


@role_required(Role.COMMITTEE_ADMIN)
@require_POST
def from_finding(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    finding: Finding = get_object_or_404(selectors.findings_to_list(actor), pk=pk)
    form = FindingItemForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("未能列入问题清单：%(e)s")
            % {"e": "；".join(str(e) for errors in form.errors.values() for e in errors)},
        )
        return redirect("rectification:item_board")
    data = form.cleaned_data
    try:
        item = services.problem_item_from_finding(
            finding=finding,
            deadline=data["deadline"],
            severity=data["severity"],
            required_measures=data["required_measures"],
            responsible_person=data["responsible_person"],
            actor=actor,
        )
    except ValidationError as exc:
        messages.error(request, refusal_text(exc))
        return redirect("rectification:item_board")
    messages.success(request, _("评审发现已列入问题清单，并已通知该单位。"))
    return redirect("rectification:item_detail", pk=item.pk)


@role_required(Role.COMMITTEE_ADMIN)
@require_POST
def from_findings(request: HttpRequest) -> HttpResponse:
    """The board's bulk action: every finding waiting to be listed (of one campaign when the
    form names it) onto its unit's list, with the campaign's period."""
    actor = actor_of(request)
    findings = selectors.findings_to_list(actor)
    campaign_id = request.POST.get("campaign", "")
    if campaign_id.isascii() and campaign_id.isdigit() and len(campaign_id) <= 9:
        findings = findings.filter(assignment__enrollment__campaign_id=int(campaign_id))
    try:
        made = services.problem_items_from_findings(
            findings=findings, today=timezone.localdate(), actor=actor
        )
    except ValidationError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request,
            _("已将 %(n)d 条评审发现列入问题清单，并已通知相关单位。") % {"n": len(made)},
        )
    return redirect(reverse("rectification:item_board") + "#findings")


# --- one item --------------------------------------------------------------------------------


def _unit_files(actor: Actor, item: ProblemItem) -> QuerySet[Evidence]:
    """The item's unit's store, as far as the actor may open it."""
    return evidence_for(actor).filter(unit_id=item.unit_id).order_by("-uploaded_at", "-pk")


def _action_form(
    actor: Actor, item: ProblemItem, action: str, posted: tuple[Any, Any] | None = None
) -> Any:
    """The form of one step, blank (from the item) or bound to what was posted."""
    initial = {"version": item.version}
    auto_id = f"{action}-%s"
    data, files = posted or (None, None)
    if action == "submit_measures":
        return MeasuresForm(data, initial={**initial, "measures": item.measures}, auto_id=auto_id)
    if action == "report_done":
        return ReportForm(
            data,
            files,
            initial={
                **initial,
                "report": item.done_report,
                "evidence": [e.pk for e in item.evidence.all()],
            },
            files_of_unit=_unit_files(actor, item),
            may_upload=rules.is_unit_admin_of(actor, item.unit_id),
            auto_id=auto_id,
        )
    required = action in services.NEEDS_REASON
    label = {
        "accept_measures": _("意见（可选）"),
        "return_measures": _("退回理由"),
        "verify": _("验收意见（可选）"),
        "reopen": _("退回理由"),
    }[action]
    return ReasonForm(data, initial=initial, required=required, label=label, auto_id=auto_id)


def _detail(
    request: HttpRequest,
    actor: Actor,
    item: ProblemItem,
    *,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    bound = bound or {}
    today = timezone.localdate()
    _mark([item], today)
    action_forms = [
        (
            action,
            services.ACTION_LABELS[action],
            bound.get(action) or _action_form(actor, item, action),
        )
        for action in services.actions_for(actor, item)
    ]
    update_form = None
    if services.may_update(actor, item):
        update_form = bound.get("update") or UpdateForm(
            initial={
                "version": item.version,
                "deadline": item.deadline,
                "severity": item.severity,
                "responsible_person": item.responsible_person,
            },
            auto_id="update-%s",
        )
    labels = dict(ProblemState.choices)
    events = [
        (event, labels.get(event.from_state, ""), labels.get(event.to_state, event.to_state))
        for event in item.events.select_related("actor")
    ]
    is_staff = rules.is_staff_of(actor, item.committee_id)
    return render(
        request,
        "rectification/item_detail.html",
        {
            "item": item,
            "events": events,
            "evidence": list(item.evidence.order_by("pk")),
            "action_forms": action_forms,
            "update_form": update_form,
            "back": reverse("rectification:item_board")
            if is_staff
            else f"{reverse('rectification:unit_items')}?unit={item.unit_id}",
        },
    )


def _item(actor: Actor, pk: int) -> ProblemItem:
    return get_object_or_404(
        selectors.problem_items_for(actor).select_related(
            "unit", "campaign", "node", "party_org", "closed_by", "created_by"
        ),
        pk=pk,
    )


@login_required
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    return _detail(request, actor, _item(actor, pk))


@login_required
@require_POST
def item_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one step of the item's life (the action is named in the form)."""
    actor = actor_of(request)
    item = _item(actor, pk)
    action = request.POST.get("action", "")
    if action not in services.TRANSITIONS:
        raise Http404
    form = _action_form(actor, item, action, (request.POST, request.FILES))
    if form.is_valid():
        data = form.cleaned_data
        evidence_ids = [e.pk for e in data.get("evidence") or []]
        upload = data.get("file")
        try:
            # Stored only when the step itself is open to the actor (else the service refuses).
            if upload and action in services.actions_for(actor, item):
                try:
                    evidence, _created = store.evidence_upload(
                        unit=item.unit, upload=upload, actor=actor
                    )
                except UploadRejected as exc:
                    raise ValidationError(str(exc)) from exc
                evidence_ids.append(evidence.pk)
            services.problem_item_transition(
                item=item,
                action=action,
                actor=actor,
                expected_version=data["version"],
                measures=data.get("measures", ""),
                report=data.get("report", ""),
                evidence_ids=evidence_ids,
                reason=data.get("reason", ""),
            )
        except ValidationError as exc:
            item = _item(actor, pk)
            if action not in services.actions_for(actor, item):
                # The item moved on meanwhile: the form is gone from the page, so say it here.
                messages.error(request, refusal_text(exc))
                return redirect("rectification:item_detail", pk=item.pk)
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(
                request, _("已%(action)s。") % {"action": services.ACTION_LABELS[action]}
            )
            return redirect("rectification:item_detail", pk=item.pk)
    return _detail(request, actor, item, bound={action: form})


@role_required(Role.COMMITTEE_ADMIN)
@require_POST
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee admin adjusts deadline, severity or responsible person."""
    actor = actor_of(request)
    item = _item(actor, pk)
    form = UpdateForm(request.POST, auto_id="update-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.problem_item_update(
                item=item,
                actor=actor,
                expected_version=data["version"],
                deadline=data["deadline"],
                severity=data["severity"],
                responsible_person=data["responsible_person"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("已保存调整。"))
            return redirect("rectification:item_detail", pk=item.pk)
    return _detail(request, actor, item, bound={"update": form})
