"""Pages of the activity ledger: the list (the unit's own, or every unit of the committee for its
staff), recording on a phone in two steps (organisation and kind, then the form with the roster),
a record, its correction and deletion, and the kinds of record."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import Actor, actor_of
from mofan.activities import selectors, services
from mofan.activities.forms import KindForm, RecordForm, StartForm, record_initial
from mofan.activities.models import ActivityKind, ActivityRecord, Attendance
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write, refusal_text
from mofan.organizations.models import Committee, PartyOrganization

PAGE_SIZE = 50


def _reader(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    if not selectors.reads_ledger(actor):
        raise PermissionDenied
    return actor


def ledger_writer(request: HttpRequest) -> Actor:
    """The request's actor, who must be one who records activities (403 otherwise)."""
    actor = actor_of(request)
    if not selectors.writes_ledger(actor):
        raise PermissionDenied
    return actor


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """The records the actor may see, newest first, filtered by kind, organisation and year
    (and, for committee staff, by unit name)."""
    actor = _reader(request)
    rows = selectors.records_for(actor).select_related("unit", "party_org", "kind")
    kinds = selectors.kinds_of_actor(actor)
    kind, org, year = (parse_id(request.GET.get(k)) for k in ("kind", "org", "year"))
    if year is not None and not 1 <= year <= 9999:
        year = None  # a date's year; beyond it the ORM's year bounds fail
    search = request.GET.get("q", "").replace("\x00", "").strip()[:50]
    if kind:
        rows = rows.filter(kind_id=kind)
    if org:
        rows = rows.filter(party_org_id=org)
    if year:
        rows = rows.filter(held_on__year=year)
    if search:
        rows = rows.filter(unit__name__contains=search)
    page = Paginator(rows.order_by("-held_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "activities/ledger.html",
        {
            "page": page,
            "query": query,
            "kinds": kinds,
            "orgs": selectors.orgs_writable_by(actor) if selectors.writes_ledger(actor) else [],
            "years": range(timezone.localdate().year, timezone.localdate().year - 6, -1),
            "chosen": {"kind": kind, "org": org, "year": year, "q": search},
            "is_staff": rules.is_committee_staff(actor),
            "can_write": selectors.writes_ledger(actor),
        },
    )


def _people_posted(
    post: QueryDict, kind: ActivityKind, roster: list[Any]
) -> tuple[list[int], dict[int, str]]:
    present = services.ids(post.getlist("present"))
    if kind.attendance != Attendance.ROSTER:
        return present, {}
    absent = {m.pk: post.get(f"reason-{m.pk}", "") for m in roster if m.pk not in set(present)}
    return present, absent


def _record_page(
    request: HttpRequest,
    *,
    org: PartyOrganization,
    kind: ActivityKind,
    form: RecordForm,
    record: ActivityRecord | None = None,
    present: list[int] | None = None,
    reasons: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    chosen, reasons = set(present or []), reasons or {}
    people = [
        {"member": m, "checked": m.pk in chosen, "reason": reasons.get(m.pk, "")}
        for m in selectors.roster_of(org)
    ]
    return render(
        request,
        "activities/record_form.html",
        {
            "org": org,
            "kind": kind,
            "form": form,
            "record": record,
            "people": people,
            "Attendance": Attendance,
        },
        status=status,
    )


@login_required
def record_new(request: HttpRequest) -> HttpResponse:
    """Step 1: organisation and kind; step 2: the record. A refused save keeps what was typed."""
    actor = ledger_writer(request)
    orgs = selectors.orgs_writable_by(actor)
    source = request.POST if request.method == "POST" else request.GET
    org = orgs.filter(pk=parse_id(source.get("org")) or 0).first()
    kind = (
        selectors.kinds_for(org.unit.committee_id)
        .filter(pk=parse_id(source.get("kind")) or 0)
        .first()
        if org
        else None
    )
    if org is None or kind is None:
        first = orgs.first()
        kinds = (
            selectors.kinds_for(first.unit.committee_id) if first else ActivityKind.objects.none()
        )
        start = StartForm(orgs=orgs, kinds=kinds)
        return render(request, "activities/record_start.html", {"form": start, "orgs": orgs})
    files = selectors.unit_files(org.unit_id)
    if request.method != "POST":
        form = RecordForm(kind=kind, files=files, initial={"held_on": timezone.localdate()})
        return _record_page(request, org=org, kind=kind, form=form)
    form = RecordForm(request.POST, kind=kind, files=files)
    roster = selectors.roster_of(org)
    present, absent = _people_posted(request.POST, kind, roster)
    if form.is_valid():
        data = _input(org, kind, form.cleaned_data, present, absent)
        try:
            record = services.activity_record_create(data=data, actor=actor)
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("已记录：%(t)s") % {"t": record.topic})
            return redirect("activities:detail", pk=record.pk)
    return _record_page(
        request, org=org, kind=kind, form=form, present=present, reasons=absent, status=400
    )


def _input(
    org: PartyOrganization,
    kind: ActivityKind,
    data: dict[str, Any],
    present: list[int],
    absent: dict[int, str],
) -> services.RecordInput:
    return services.RecordInput(
        party_org=org,
        kind=kind,
        held_on=data["held_on"],
        topic=data["topic"],
        hours=data.get("hours"),
        political_theory=data.get("political_theory"),
        minutes=data.get("minutes", ""),
        present=present,
        absent=absent,
        evidence=[e.pk for e in data.get("evidence") or []],
    )


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    record = get_object_or_404(
        selectors.records_for(actor).select_related("unit", "party_org", "kind", "created_by"),
        pk=pk,
    )
    people = record.participations.order_by("-present", "pk")
    return render(
        request,
        "activities/record_detail.html",
        {
            "record": record,
            "present": [p for p in people if p.present],
            "absent": [p for p in people if not p.present],
            "files": record.evidence.order_by("-uploaded_at"),
            "can_write": selectors.records_writable_by(actor).filter(pk=pk).exists(),
        },
    )


@login_required
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = ledger_writer(request)
    record = get_object_or_404(
        selectors.records_writable_by(actor).select_related("party_org__unit", "kind"), pk=pk
    )
    org, kind = record.party_org, record.kind
    files = selectors.unit_files(record.unit_id)
    rows = list(record.participations.all())
    if request.method != "POST":
        form = RecordForm(
            kind=kind,
            files=files,
            initial={
                **record_initial(record),
                "evidence": list(record.evidence.values_list("pk", flat=True)),
            },
        )
        return _record_page(
            request,
            org=org,
            kind=kind,
            form=form,
            record=record,
            present=[p.member_id for p in rows if p.present and p.member_id],
            reasons={p.member_id: p.absence_reason for p in rows if p.member_id and not p.present},
        )
    form = RecordForm(request.POST, kind=kind, files=files)
    present, absent = _people_posted(request.POST, kind, selectors.roster_of(org))
    if form.is_valid():
        try:
            services.activity_record_update(
                record=record,
                data=_input(org, kind, form.cleaned_data, present, absent),
                expected_version=parse_id(request.POST.get("version")) or 0,
                actor=actor,
            )
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("记录已修改。"))
            return redirect("activities:detail", pk=record.pk)
    return _record_page(
        request,
        org=org,
        kind=kind,
        form=form,
        record=record,
        present=present,
        reasons=absent,
        status=400,
    )


@require_POST
@login_required
def record_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = ledger_writer(request)
    record = get_object_or_404(selectors.records_writable_by(actor), pk=pk)
    done = flash_write(
        request,
        lambda: services.activity_record_delete(record=record, actor=actor),
        _("记录已删除。"),
    )
    if done is None and ActivityRecord.objects.filter(pk=pk).exists():
        return redirect("activities:detail", pk=pk)
    return redirect("activities:ledger")


@login_required
def kinds(request: HttpRequest) -> HttpResponse:
    """The kinds of record of the actor's committee; its admin adds and stops its own."""
    actor = _reader(request)
    committee = _committee_of(actor)
    is_admin = committee is not None and rules.administers(actor, committee.pk)
    form = KindForm(request.POST or None) if is_admin else None
    if request.method == "POST":
        if not is_admin or form is None or committee is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.activity_kind_create(
                    committee=committee, values=form.cleaned_data, actor=actor
                )
            except ValidationError as exc:
                form.add_error(None, refusal_text(exc))
            else:
                messages.success(request, _("已添加活动类型。"))
                return redirect("activities:kinds")
    shown = (
        selectors.kinds_for(committee.pk, active=False)
        if committee
        else ActivityKind.objects.filter(committee__isnull=True)
    )
    return render(
        request,
        "activities/kinds.html",
        {"kinds": shown, "form": form, "is_admin": is_admin, "committee": committee},
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
@login_required
def kind_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    kind = get_object_or_404(
        ActivityKind.objects.filter(committee_id__in=actor.committees_with("committee_admin")),
        pk=pk,
    )
    flash_write(
        request,
        lambda: services.activity_kind_set_active(
            kind=kind, active=not kind.is_active, actor=actor
        ),
        _("已更新。"),
    )
    return redirect("activities:kinds")


def _committee_of(actor: Actor) -> Committee | None:
    """The committee whose kinds the page shows: the actor's (staff) or their unit's."""
    committee = actor.user.committee
    return committee if isinstance(committee, Committee) else None
