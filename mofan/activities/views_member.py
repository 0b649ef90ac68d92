"""我的活动: a 党员 linked to their roster row records their own volunteer service, research,
training or article on a phone (choose the kind, then one short form), and sees the records they
are on: their own, which they correct or delete, and the meetings they attended, read-only.

The person is always the member themself and the party organisation their roster row's; the
rule lives in `services.activity_record_create` (a member writing for someone else is refused
there too). An account with the role 党员 that is not linked gets a page saying whom to ask.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts.access import actor_of
from mofan.accounts.roles import Role
from mofan.activities import selectors, services
from mofan.activities.forms import OwnRecordForm, record_initial
from mofan.activities.models import ActivityKind, ActivityRecord, Attendance
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write, refusal_text
from mofan.organizations.models import Member

PAGE_SIZE = 30


def _member(request: HttpRequest) -> Member | HttpResponse:
    """The actor's own roster row; for a 党员 account not linked to one, the page saying so;
    for anyone else (no 党员 role), 403."""
    actor = actor_of(request)
    if not actor.units_with(Role.MEMBER):
        raise PermissionDenied
    member = selectors.own_member(actor)
    if member is None:
        return render(request, "activities/mine_unlinked.html")
    return member


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The records the member is on, newest first."""
    member = _member(request)
    if isinstance(member, HttpResponse):
        return member
    rows = (
        selectors.records_of_member(member)
        .select_related("kind", "party_org")
        .order_by("-held_on", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/mine.html",
        {"member": member, "page": page, "query": "", "Attendance": Attendance},
    )


@login_required
def mine_new(request: HttpRequest) -> HttpResponse:
    """Step 1: the kind (large buttons); step 2: the form of that kind."""
    member = _member(request)
    if isinstance(member, HttpResponse):
        return member
    kinds = selectors.person_kinds_for(member)
    source = request.POST if request.method == "POST" else request.GET
    kind = kinds.filter(pk=parse_id(source.get("kind")) or 0).first()
    if member.party_org is None or kind is None:
        return render(request, "activities/mine_kinds.html", {"member": member, "kinds": kinds})
    if request.method != "POST":
        form = OwnRecordForm(kind=kind, initial={"held_on": timezone.localdate()})
        return _form_page(request, member=member, kind=kind, form=form)
    form = OwnRecordForm(request.POST, kind=kind)
    if form.is_valid():
        try:
            record = services.activity_record_create(
                data=_input(member, kind, form.cleaned_data), actor=actor_of(request)
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("已记录：%(t)s") % {"t": record.topic})
            return redirect("activities:mine")
    return _form_page(request, member=member, kind=kind, form=form, status=400)


def _input(member: Member, kind: ActivityKind, data: dict[str, Any]) -> services.RecordInput:
    """What the member typed; the person and the organisation are the member's own, never
    taken from the request."""
    assert member.party_org is not None
    return services.RecordInput(
        party_org=member.party_org,
        kind=kind,
        held_on=data["held_on"],
        topic=data["topic"],
        hours=data.get("hours"),
        political_theory=data.get("political_theory"),
        minutes=data.get("minutes", ""),
        present=[member.pk],
    )


def _form_page(
    request: HttpRequest,
    *,
    member: Member,
    kind: ActivityKind,
    form: OwnRecordForm,
    record: ActivityRecord | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "activities/mine_form.html",
        {"member": member, "kind": kind, "form": form, "record": record},
        status=status,
    )


@login_required
def mine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One record the member is on: what it says, never who else was there."""
    member = _member(request)
    if isinstance(member, HttpResponse):
        return member
    record = get_object_or_404(
        selectors.records_of_member(member).select_related("kind", "party_org", "unit"), pk=pk
    )
    return render(
        request,
        "activities/mine_detail.html",
        {
            "member": member,
            "record": record,
            "own": record.kind.attendance == Attendance.PERSON,
        },
    )


@login_required
def mine_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request)
    if isinstance(member, HttpResponse):
        return member
    record = get_object_or_404(
        selectors.own_person_records(member).select_related("kind", "party_org"), pk=pk
    )
    kind = record.kind
    if request.method != "POST":
        form = OwnRecordForm(
            kind=kind,
            initial=record_initial(record),
        )
        return _form_page(request, member=member, kind=kind, form=form, record=record)
    form = OwnRecordForm(request.POST, kind=kind)
    if form.is_valid():
        data = services.RecordInput(
            party_org=record.party_org,
            kind=kind,
            held_on=form.cleaned_data["held_on"],
            topic=form.cleaned_data["topic"],
            hours=form.cleaned_data.get("hours"),
            political_theory=form.cleaned_data.get("political_theory"),
            minutes=form.cleaned_data.get("minutes", ""),
            present=[member.pk],
        )
        try:
            services.activity_record_update(
                record=record,
                data=data,
                expected_version=parse_id(request.POST.get("version")) or 0,
                actor=actor_of(request),
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("记录已修改。"))
            return redirect("activities:mine_detail", pk=record.pk)
    return _form_page(request, member=member, kind=kind, form=form, record=record, status=400)


@require_POST
@login_required
def mine_delete(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request)
    if isinstance(member, HttpResponse):
        return member
    record = get_object_or_404(selectors.own_person_records(member), pk=pk)
    done = flash_write(
        request,
        lambda: services.activity_record_delete(record=record, actor=actor_of(request)),
        _("记录已删除。"),
    )
    if done is None and ActivityRecord.objects.filter(pk=pk).exists():
        return redirect("activities:mine_detail", pk=pk)
    return redirect("activities:mine")
