"""Bulletin pages: the list, composing a draft from findings and rectification data, the monthly
bulletin, editing a draft, publishing, and the (print-friendly) bulletin itself.

Every bulletin is fetched through `bulletins_for` (reading) or `bulletins_managed_by` (the
committee admin's), so anything outside the actor's scope is a 404."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.core.concurrency import StaleWrite
from mofan.organizations.models import Committee
from mofan.supervision import bulletins as services
from mofan.supervision.forms_bulletins import (
    BulletinEditForm,
    ComposeForm,
    FindingFilterForm,
    MonthlyForm,
    VersionForm,
    WithdrawForm,
)
from mofan.supervision.models import BulletinKind, BulletinState
from mofan.supervision.selectors_bulletins import (
    DEFAULT_SORT,
    READERS,
    SORTS,
    admin_committee,
    bulletins_for,
    bulletins_managed_by,
    problem_findings,
)
from mofan.supervision.views_common import attempt, paged, sorted_page

PAGE_SIZE = 20
FINDINGS_PAGE_SIZE = 50
HEADING = re.compile(r"^\u3000*[一二三四五六七八九十]+、")
SOURCE_LABELS = {
    "findings": _l("问题发现"),
    "status_units": _l("整改情况涉及单位"),
    "status_problem_items": _l("整改情况统计的问题清单项"),
    "overdue_problem_items": _l("逾期问题清单项"),
    "overdue_ledger_items": _l("逾期督办事项"),
    "visits": _l("明察暗访"),
    "interviews": _l("约谈"),
    "problem_items_created": _l("新列入问题清单项"),
    "problem_items_closed": _l("销号问题清单项"),
    "ledger_items_done": _l("办结督办事项"),
}


def _committee(request: HttpRequest) -> Committee:
    committee = admin_committee(actor_of(request))
    if committee is None:
        raise PermissionDenied
    return committee


def _messages(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc) or _("无权进行此操作。")])


def body_lines(body: str) -> list[tuple[str, str]]:
    """The body as (kind, text) lines for the page: a heading (一、…), a paragraph (indented),
    the salutation (the first unindented line), a gap, or a signature line (unindented lines
    after the first)."""
    lines: list[tuple[str, str]] = []
    seen_text = False
    for line in body.splitlines():
        if not line.strip():
            kind = "gap"
        elif HEADING.match(line):
            kind = "heading"
        elif line[0].isspace():
            kind = "para"
        else:
            kind = "sign" if seen_text else "salutation"
        seen_text = seen_text or bool(line.strip())
        lines.append((kind, line.rstrip()))
    return lines


@role_required(*READERS)
def bulletin_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    bulletins = bulletins_for(actor).select_related("campaign")
    kind = request.GET.get("kind", "")
    if kind in BulletinKind.values:
        bulletins = bulletins.filter(kind=kind)
    context = {
        **sorted_page(request, bulletins, SORTS, default=DEFAULT_SORT, per_page=PAGE_SIZE),
        "kind": kind,
        "kinds": BulletinKind.choices,
        "can_compose": rules.is_committee_admin(actor),
        "is_staff": actor.is_committee_staff,
    }
    template = "supervision/bulletin_list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#bulletin-table"
    return render(request, template, context)


@role_required(Role.COMMITTEE_ADMIN)
def bulletin_compose(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    committee = _committee(request)
    filters = FindingFilterForm(request.GET or None, committee=committee)
    campaign, query = None, ""
    if filters.is_valid():
        campaign, query = filters.cleaned_data["campaign"], filters.cleaned_data["q"].strip()
    findings = problem_findings(
        committee.pk, campaign_id=campaign.pk if campaign else None, query=query
    )
    page = paged(request, findings, FINDINGS_PAGE_SIZE)
    form = ComposeForm(
        request.POST if request.method == "POST" else None,
        committee=committee,
        initial={"campaign": campaign, "include_status": True, "include_overdue": True},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        bulletin = attempt(
            form,
            lambda: services.bulletin_create_draft(
                committee=committee,
                actor=actor,
                campaign=data["campaign"],
                finding_ids=[f.pk for f in data["findings"]],
                include_status=data["include_status"],
                include_overdue=data["include_overdue"],
                title=data["title"],
            ),
            _messages,
        )
        if bulletin is not None:
            messages.success(request, _("通报草稿已生成，请修改完善后发布。"))
            return redirect("supervision:bulletin_edit", pk=bulletin.pk)
    picked = {str(v) for v in request.POST.getlist("findings")}
    return render(
        request,
        "supervision/bulletin_compose.html",
        {
            "committee": committee,
            "filters": filters,
            "campaign": campaign,
            "query": query,
            "page": page,
            "form": form,
            "picked": picked,
        },
    )


def _previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@role_required(Role.COMMITTEE_ADMIN)
def bulletin_monthly(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    committee = _committee(request)
    form = MonthlyForm(
        request.POST if request.method == "POST" else None,
        committee=committee,
        initial={"month": _previous_month(timezone.localdate())},
    )
    if request.method == "POST" and form.is_valid():
        year, month = form.cleaned_data["month"]
        bulletin = attempt(
            form,
            lambda: services.bulletin_monthly_draft(
                committee=committee,
                year=year,
                month=month,
                actor=actor,
                campaign=form.cleaned_data["campaign"],
            ),
            _messages,
        )
        if bulletin is not None:
            messages.success(request, _("月度通报草稿已生成，请修改完善后发布。"))
            return redirect("supervision:bulletin_edit", pk=bulletin.pk)
    return render(
        request, "supervision/bulletin_monthly.html", {"form": form, "committee": committee}
    )


@role_required(*READERS)
def bulletin_detail(
    request: HttpRequest, pk: int, withdraw_form: WithdrawForm | None = None
) -> HttpResponse:
    actor = actor_of(request)
    bulletin = get_object_or_404(
        bulletins_for(actor).select_related("committee", "campaign", "created_by", "published_by"),
        pk=pk,
    )
    is_staff = bulletin.committee_id in actor.committees_with(
        Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER
    )
    administers = rules.administers(actor, bulletin.committee_id)
    can_manage = bulletin.state == BulletinState.DRAFT and administers
    sources = (
        [
            (SOURCE_LABELS.get(k, k), len(v))
            for k, v in bulletin.sources.items()
            if isinstance(v, list)
        ]
        if is_staff
        else []
    )
    return render(
        request,
        "supervision/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "lines": body_lines(bulletin.body),
            "is_staff": is_staff,
            "can_manage": can_manage,
            "sources": sources,
            "publish_form": VersionForm(initial={"version": bulletin.version}),
            "can_withdraw": bulletin.state == BulletinState.PUBLISHED and administers,
            "withdraw_form": withdraw_form or WithdrawForm(initial={"version": bulletin.version}),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    bulletin = get_object_or_404(bulletins_managed_by(actor), pk=pk)
    if bulletin.state != BulletinState.DRAFT:
        messages.error(request, _("通报已发布，不能再修改。"))
        return redirect("supervision:bulletin_detail", pk=bulletin.pk)
    form = BulletinEditForm(
        request.POST if request.method == "POST" else None,
        instance=bulletin,
        initial={"version": bulletin.version},
    )
    stored = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.bulletin_update(
                bulletin=bulletin,
                title=data["title"],
                document_number=data["document_number"],
                body=data["body"],
                expected_version=data["version"],
                actor=actor,
            )
        except StaleWrite as exc:
            # Keep the user's text, show what is stored now, and let a second save overwrite it.
            stored = exc.current
            posted = request.POST.copy()
            posted["version"] = str(stored.version)
            form = BulletinEditForm(posted, instance=bulletin)
            form.is_valid()
            form.add_error(None, _messages(exc))
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _messages(exc))
        else:
            messages.success(request, _("通报已保存。"))
            return redirect("supervision:bulletin_detail", pk=bulletin.pk)
    return render(
        request,
        "supervision/bulletin_edit.html",
        {"form": form, "bulletin": bulletin, "stored": stored},
    )


@role_required(Role.COMMITTEE_ADMIN)
@require_POST
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    bulletin = get_object_or_404(bulletins_managed_by(actor), pk=pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请求无效，请刷新页面后重试。"))
        return redirect("supervision:bulletin_detail", pk=bulletin.pk)
    try:
        services.bulletin_transition(
            bulletin=bulletin,
            to=BulletinState.PUBLISHED,
            expected_version=form.cleaned_data["version"],
            actor=actor,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _messages(exc))
    else:
        messages.success(request, _("通报已发布，各单位联络员和领导已收到通知。"))
    return redirect("supervision:bulletin_detail", pk=bulletin.pk)


@role_required(Role.COMMITTEE_ADMIN)
@require_POST
def bulletin_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    bulletin = get_object_or_404(bulletins_managed_by(actor), pk=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.bulletin_transition(
                bulletin=bulletin,
                to=BulletinState.WITHDRAWN,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                actor=actor,
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _messages(exc))
        else:
            messages.success(request, _("通报已撤回，收到发布通知的人员已收到撤回通知。"))
            return redirect("supervision:bulletin_detail", pk=bulletin.pk)
    response = bulletin_detail(request, pk, withdraw_form=form)
    response.status_code = 400
    return response
