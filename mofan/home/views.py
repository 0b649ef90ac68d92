"""The home page per role, and the friendly error pages (with refusals audited)."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.audit.services import audit_denied
from mofan.core import dbfaults
from mofan.home import selectors
from mofan.home.work import work_queue


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    context = {
        "is_auditor": actor.has(Role.AUDITOR),
        "is_security_admin": actor.has(Role.SECURITY_ADMIN),
        "is_committee_admin": actor.has(Role.COMMITTEE_ADMIN),
        "is_committee_leader": actor.has(Role.COMMITTEE_LEADER),
        "is_reviewer": actor.has(Role.REVIEWER),
        "is_member": actor.has(Role.MEMBER),
        "role_labels": [Role(r).label for r in sorted(actor.roles)],
        "queue": work_queue(actor, timezone.localdate()),
    }
    if actor.has(Role.AUDITOR):
        context["audit"] = selectors.auditor_overview(actor)
    if actor.is_committee_staff:
        context["committee"] = selectors.committee_overview(actor)
    if actor.has(Role.SECURITY_ADMIN):
        context["security"] = selectors.security_overview(actor)
    if actor.unit_roles:
        context["units"] = selectors.unit_overview(actor)
        context["alerts"] = selectors.alerts(actor)
    return render(request, "home/home.html", context)


def _audit_refusal(request: HttpRequest, action: str, **extra: str) -> None:
    """Record a refused request (rate-limited per source and place, `audit_denied`)."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    audit_denied(
        action=action,
        path=match.view_name if match else request.path[:200],
        actor=user if user is not None and user.is_authenticated else None,
        extra={"url": request.path[:200], "method": request.method or "", **extra},
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    _audit_refusal(request, "access.csrf_failed", reason=reason[:200])
    return render(
        request,
        "core/error.html",
        {
            "code": 403,
            "title": "页面已过期",
            "message": "表单已过期或来源无法确认，请刷新页面后重试。",
        },
        status=403,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"code": 404, "title": "页面不存在", "message": "您访问的页面不存在，或您无权查看。"},
        status=404,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    _audit_refusal(request, "access.denied")
    return render(
        request,
        "core/error.html",
        {"code": 403, "title": "无权访问", "message": "您的角色无权进行此操作。"},
        status=403,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # A lost database connection raised by a middleware (not the view): the fault middleware
    # retries or answers 503 (mofan/core/dbfaults.py); this page would need the database.
    lost = dbfaults.mark_if_lost(request, sys.exc_info()[1])
    if lost is not None:
        return lost
    return render(
        request,
        "core/error.html",
        {
            "code": 500,
            "title": "系统错误",
            "message": "系统出现错误，已记录。请稍后重试或联系管理员。",
        },
        status=500,
    )
