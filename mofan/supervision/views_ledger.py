"""Pages of the supervision ledger (挂账督办), 约谈 records and yellow cards (黄牌警示).

Every object comes through a scoped selector (`selectors_ledger`): outside the actor's scope it
is a 404. Pages are guarded by role; writes go through `ledger` services, which check again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.core.params import parse_id
from mofan.supervision import ledger
from mofan.supervision import selectors_ledger as scope
from mofan.supervision.forms_ledger import (
    BoardFilterForm,
    InterviewForm,
    LedgerItemForm,
    LedgerTransitionForm,
    LedgerUpdateForm,
    ProgressReportForm,
    YellowCardForm,
    YellowCardLiftForm,
)
from mofan.supervision.models import Escalation, LedgerItem, LedgerState, ProgressReport
from mofan.supervision.views_common import attempt, paged, sorted_page

PAGE_SIZE = 50


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- ledger ------------------------------------------------------------------------------------


@role_required(*COMMITTEE_STAFF)
def ledger_board(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters = scope.BoardFilters.from_query(request.GET)
    context = {
        "page": paged(request, scope.ledger_board(actor, filters), PAGE_SIZE),
        "filter_form": BoardFilterForm.showing(filters),
        "query": _query_without_page(request),
        "today": timezone.localdate(),
        "can_create": rules.is_committee_admin(actor),
    }
    template = "supervision/ledger_board.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#ledger-rows"
    return render(request, template, context)


@role_required(*UNIT_READERS)
def ledger_unit(request: HttpRequest) -> HttpResponse:
    listed = sorted_page(
        request,
        scope.unit_ledger(actor_of(request)),
        scope.UNIT_LEDGER_SORTS,
        default=scope.UNIT_LEDGER_DEFAULT,
        per_page=PAGE_SIZE,
    )
    return render(
        request,
        "supervision/ledger_unit.html",
        {**listed, "today": timezone.localdate()},
    )


@role_required(Role.COMMITTEE_ADMIN)
def ledger_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = LedgerItemForm(
        request.POST or None,
        units=scope.ledger_units_for(actor),
        campaigns=scope.ledger_campaigns_for(actor),
    )
    if request.method == "POST" and form.is_valid():
        item = attempt(form, lambda: ledger.ledger_item_create(actor=actor, **form.cleaned_data))
        if item is not None:
            messages.success(request, _("督办事项已挂账，单位已收到通知。"))
            return redirect("supervision:ledger_detail", pk=item.pk)
    return render(request, "supervision/ledger_form.html", {"form": form, "item": None})


def _detail(
    request: HttpRequest,
    item: LedgerItem,
    *,
    report_form: ProgressReportForm | None = None,
    transition_form: LedgerTransitionForm | None = None,
) -> HttpResponse:
    actor = actor_of(request)
    can_report = scope.ledger_items_reportable_by(actor).filter(pk=item.pk).exists()
    can_manage = scope.ledger_items_managed_by(actor).filter(pk=item.pk).exists()
    is_open = item.state == LedgerState.OPEN
    reports = ProgressReport.objects.filter(item=item).select_related("reported_by")
    reports = reports.prefetch_related("evidence")
    if can_report and report_form is None:
        report_form = ProgressReportForm(evidence=scope.report_evidence_choices(item))
    if can_manage and is_open and transition_form is None:
        transition_form = LedgerTransitionForm(initial={"version": item.version})
    interviews = list(item.interviews.all())
    return render(
        request,
        "supervision/ledger_detail.html",
        {
            "item": item,
            "reports": reports,
            "interviews": interviews,
            "report_form": report_form if can_report else None,
            "transition_form": transition_form if can_manage and is_open else None,
            "can_manage": can_manage,
            "is_open": is_open,
            # 需约谈 until a 约谈 on this item has been recorded
            "interview_due": item.escalation == Escalation.INTERVIEW and is_open and not interviews,
            "overdue_days": (timezone.localdate() - item.deadline).days,
        },
    )


def _item_for(request: HttpRequest, qs: Any, pk: int) -> LedgerItem:
    return get_object_or_404(qs.select_related("unit", "campaign", "created_by"), pk=pk)


@role_required(*scope.READERS)
def ledger_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _item_for(request, scope.ledger_items_for(actor_of(request)), pk))


@role_required(Role.COMMITTEE_ADMIN)
def ledger_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    item = _item_for(request, scope.ledger_items_managed_by(actor), pk)
    form = LedgerUpdateForm.for_item(item, request.POST or None)
    if item.state != LedgerState.OPEN:
        messages.error(request, _("已办结或已撤销的督办事项不能再调整。"))
        return redirect("supervision:ledger_detail", pk=pk)
    if request.method == "POST" and form.is_valid():
        updated = attempt(
            form, lambda: ledger.ledger_item_update(item=item, actor=actor, **form.cleaned_data)
        )
        if updated is not None:
            messages.success(request, _("督办事项已调整。"))
            return redirect("supervision:ledger_detail", pk=pk)
    return render(request, "supervision/ledger_form.html", {"form": form, "item": item})


@require_POST
@role_required(*UNIT_READERS)
def ledger_report(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    item = _item_for(request, scope.ledger_items_reportable_by(actor), pk)
    form = ProgressReportForm(request.POST, evidence=scope.report_evidence_choices(item))
    if form.is_valid():
        data = form.cleaned_data
        report = attempt(
            form,
            lambda: ledger.progress_report_add(
                item=item,
                actor=actor,
                text=data["text"],
                percent=data["percent"],
                evidence=list(data["evidence"]),
            ),
        )
        if report is not None:
            messages.success(request, _("进展已报送。"))
            return redirect("supervision:ledger_detail", pk=pk)
    return _detail(request, item, report_form=form)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def ledger_transition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    item = _item_for(request, scope.ledger_items_managed_by(actor), pk)
    form = LedgerTransitionForm(request.POST)
    if form.is_valid():
        closed = attempt(
            form, lambda: ledger.ledger_item_transition(item=item, actor=actor, **form.cleaned_data)
        )
        if closed is not None:
            done = form.cleaned_data["to"] == LedgerState.DONE
            messages.success(request, _("督办事项已办结。") if done else _("督办事项已撤销。"))
            return redirect("supervision:ledger_detail", pk=pk)
    item.refresh_from_db()
    return _detail(request, item, transition_form=form)


# --- 约谈 ----------------------------------------------------------------------------------------


@role_required(*scope.READERS)
def interview_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    listed = sorted_page(
        request,
        scope.interviews_for(actor).select_related("unit", "ledger_item"),
        scope.INTERVIEW_SORTS,
        default=scope.INTERVIEW_DEFAULT,
        per_page=PAGE_SIZE,
    )
    return render(
        request,
        "supervision/interview_list.html",
        {**listed, "can_create": rules.is_committee_admin(actor)},
    )


@role_required(Role.COMMITTEE_ADMIN)
def interview_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    items = (
        scope.ledger_items_managed_by(actor)
        .filter(state=LedgerState.OPEN, escalation__gte=Escalation.REMINDED)
        .select_related("unit")
        .order_by("-escalation", "deadline", "pk")
    )
    initial: dict[str, Any] = {"held_on": timezone.localdate()}
    linked = parse_id(request.GET.get("ledger"))
    if linked is not None:
        item = scope.ledger_items_managed_by(actor).filter(pk=linked).first()
        if item is not None:
            initial.update(unit=item.unit_id, ledger_item=item.pk)
            items = items | scope.ledger_items_managed_by(actor).filter(pk=item.pk)
    form = InterviewForm(
        request.POST or None,
        initial=initial,
        units=scope.ledger_units_for(actor),
        items=items.distinct(),
    )
    if request.method == "POST" and form.is_valid():
        interview = attempt(form, lambda: ledger.interview_create(actor=actor, **form.cleaned_data))
        if interview is not None:
            messages.success(request, _("约谈记录已登记，指出的问题已列入该单位问题清单。"))
            return redirect("supervision:interview_detail", pk=interview.pk)
    return render(request, "supervision/interview_form.html", {"form": form})


@role_required(*scope.READERS)
def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    interview = get_object_or_404(
        scope.interviews_for(actor).select_related("unit", "ledger_item", "recorded_by"), pk=pk
    )
    return render(
        request,
        "supervision/interview_detail.html",
        {"interview": interview, "problem": scope.interview_problem(interview)},
    )


# --- yellow cards --------------------------------------------------------------------------------


@role_required(*scope.READERS)
def yellow_card_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    show = request.GET.get("show", "active")
    cards = scope.yellow_cards_for(actor).select_related("party_org__unit")
    if show != "all":
        show = "active"
        cards = cards.filter(lifted_on__isnull=True)
    listed = sorted_page(
        request,
        cards,
        scope.YELLOW_CARD_SORTS,
        default=scope.YELLOW_CARD_DEFAULT,
        per_page=PAGE_SIZE,
    )
    return render(
        request,
        "supervision/yellow_card_list.html",
        {
            **listed,
            "show": show,
            "can_create": rules.is_committee_admin(actor),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def yellow_card_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    orgs = scope.cardable_party_orgs(actor)
    initial: dict[str, Any] = {}
    org = parse_id(request.GET.get("org"))
    if org is not None:
        initial["party_org"] = org
    form = YellowCardForm(request.POST or None, initial=initial, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        card = attempt(
            form,
            lambda: ledger.yellow_card_issue(
                party_org=data["party_org"],
                reasons=data["reasons"],
                issued_on=data["issued_on"],
                problems=form.problem_list(),
                rectify_by=data["rectify_by"],
                actor=actor,
            ),
        )
        if card is not None:
            messages.success(request, _("已挂牌警示，单位已收到通知。"))
            return redirect("supervision:yellow_card_detail", pk=card.pk)
    return render(request, "supervision/yellow_card_form.html", {"form": form})


def _card_page(request: HttpRequest, card: Any, lift_form: YellowCardLiftForm | None = None) -> Any:
    actor = actor_of(request)
    can_lift = (
        card.lifted_on is None and scope.yellow_cards_managed_by(actor).filter(pk=card.pk).exists()
    )
    items = list(scope.yellow_card_items(card).order_by("deadline", "pk"))
    return render(
        request,
        "supervision/yellow_card_detail.html",
        {
            "card": card,
            "items": items,
            "open_count": sum(1 for i in items if i.state != "closed"),
            "lift_form": (lift_form or YellowCardLiftForm()) if can_lift else None,
        },
    )


def _card_for(qs: Any, pk: int) -> Any:
    return get_object_or_404(
        qs.select_related("party_org__unit", "issued_by", "lifted_by"),
        pk=pk,
    )


@role_required(*scope.READERS)
def yellow_card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _card_page(request, _card_for(scope.yellow_cards_for(actor_of(request)), pk))


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def yellow_card_lift(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    card = _card_for(scope.yellow_cards_managed_by(actor), pk)
    form = YellowCardLiftForm(request.POST)
    if form.is_valid():
        lifted = attempt(
            form,
            lambda: ledger.yellow_card_lift(
                card=card,
                lifted_on=form.cleaned_data["lifted_on"],
                note=form.cleaned_data["note"],
                actor=actor,
            ),
        )
        if lifted is not None:
            messages.success(request, _("已摘牌。"))
            return redirect("supervision:yellow_card_detail", pk=pk)
    return _card_page(request, card, lift_form=form)
