"""Account administration for the committee admin (系统管理员) and security admin (安全管理员)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import batches, credentials, imports, lockout, selectors, services
from mofan.accounts.forms import (
    BulkFromUnitsForm,
    DeactivateForm,
    ImportForm,
    ProfileForm,
    RoleGrantForm,
)
from mofan.accounts.models import AccountBatch, LoginThrottle, RoleAssignment, User
from mofan.accounts.permissions import recent_auth_required, role_required
from mofan.accounts.roles import Role, grantable_by
from mofan.core.uploads import UploadRejected, check_xlsx
from mofan.organizations import selectors as org_selectors
from mofan.organizations.models import Committee

MANAGERS = (Role.COMMITTEE_ADMIN, Role.SECURITY_ADMIN)


def _committee(request: HttpRequest) -> Committee:
    ids = request.actor.committees_with(*MANAGERS)  # type: ignore[attr-defined]
    return get_object_or_404(Committee, pk__in=ids)


def _account(request: HttpRequest, pk: int) -> User:
    """An account the actor manages; any other is a 404."""
    return get_object_or_404(selectors.accounts_for(request.actor), pk=pk)  # type: ignore[attr-defined]


def _refusal(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


def _change_account(
    request: HttpRequest, user: User, change: Callable[[], object], success: str
) -> HttpResponse:
    """Run an audited change of a managed account, say `success` or why the service refused
    it, and go back to the account's page."""
    try:
        change()
        messages.success(request, success)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    return redirect("accounts_manage:detail", pk=user.pk)


@role_required(*MANAGERS)
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = selectors.accounts_for(request.actor)  # type: ignore[attr-defined]
    query = request.GET.get("q", "").strip()
    if query:
        accounts = accounts.filter(
            Q(username__icontains=query)
            | Q(full_name__icontains=query)
            | Q(role_assignments__unit__name__icontains=query)
        ).distinct()
    role = request.GET.get("role", "")
    if role in Role.values:
        accounts = accounts.filter(role_assignments__role=role).distinct()
    locked_names = set(
        LoginThrottle.objects.filter(
            key__startswith="account:", locked_until__isnull=False
        ).values_list("key", flat=True)
    )
    rows = [(user, f"account:{user.username.lower()}" in locked_names) for user in accounts[:500]]
    context = {"rows": rows, "query": query, "role": role, "roles": Role.choices}
    template = "accounts/manage/list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#account-rows"
    return render(request, template, context)


@role_required(*MANAGERS)
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    user = _account(request, pk)
    form = RoleGrantForm(units=selectors.units_for_grants(actor), roles=_grantable_roles(request))
    locked = lockout.locked_until(user.username, None)
    return render(
        request,
        "accounts/manage/detail.html",
        {
            "account": user,
            "grant_form": form,
            "deactivate_form": DeactivateForm(),
            "profile_form": ProfileForm(initial={"full_name": user.full_name, "phone": user.phone}),
            "locked_until": locked,
            "is_security_admin": actor.has(Role.SECURITY_ADMIN),
        },
    )


def _grantable_roles(request: HttpRequest) -> list[tuple[str, Any]]:
    allowed = grantable_by(request.actor.roles)  # type: ignore[attr-defined]
    return [(v, label) for v, label in Role.choices if v in allowed]


@require_POST
@role_required(*MANAGERS)
@recent_auth_required
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    user = _account(request, pk)
    form = RoleGrantForm(
        request.POST, units=selectors.units_for_grants(actor), roles=_grantable_roles(request)
    )
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, " ".join([_("请选择有效的角色和单位。"), *errors]))
        return redirect("accounts_manage:detail", pk=user.pk)
    return _change_account(
        request,
        user,
        lambda: services.role_grant(
            user=user, role=form.cleaned_data["role"], unit=form.cleaned_data["unit"], actor=actor
        ),
        _("角色已分配。"),
    )


@require_POST
@role_required(*MANAGERS)
@recent_auth_required
def role_revoke(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    user = _account(request, pk)
    assignment = get_object_or_404(RoleAssignment, pk=assignment_pk, user=user)
    return _change_account(
        request,
        user,
        lambda: services.role_revoke(assignment=assignment, actor=request.actor),  # type: ignore[attr-defined]
        _("角色已撤销。"),
    )


@require_POST
@role_required(*MANAGERS)
@recent_auth_required
def account_active(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    user = _account(request, pk)
    active = request.POST.get("active") == "1"
    form = DeactivateForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _change_account(
        request,
        user,
        lambda: services.account_set_active(user=user, active=active, actor=actor, reason=reason),
        _("账号已启用。") if active else _("账号已停用，其登录会话已全部失效。"),
    )


@require_POST
@role_required(*MANAGERS)
@recent_auth_required
def account_profile(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    user = _account(request, pk)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写姓名。"))
        return redirect("accounts_manage:detail", pk=user.pk)
    return _change_account(
        request,
        user,
        lambda: services.account_profile_update(user=user, actor=actor, **form.cleaned_data),
        _("姓名和手机号已更新。"),
    )


@require_POST
@role_required(*MANAGERS)
@recent_auth_required
def password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    user = _account(request, pk)
    try:
        password = services.password_reset(user=user, actor=request.actor)  # type: ignore[attr-defined]
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("accounts_manage:detail", pk=user.pk)
    credentials.stash(request, [(user, password)])
    return redirect("accounts_manage:credentials")


@require_POST
@role_required(Role.SECURITY_ADMIN)
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = _account(request, pk)
    services.account_unlock(user=user, actor=request.actor)  # type: ignore[attr-defined]
    messages.success(request, _("账号已解锁。"))
    return redirect("accounts_manage:detail", pk=user.pk)


@role_required(Role.COMMITTEE_ADMIN)
def bulk_from_units(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    committee = _committee(request)
    units = org_selectors.active_units_administered_by(actor).filter(committee=committee)
    form = BulkFromUnitsForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        taken = {u.lower() for u in User.objects.values_list("username", flat=True)}
        specs = []
        for unit in form.cleaned_data["units"]:
            for role in form.cleaned_data["roles"]:
                specs.append(
                    services.AccountSpec(
                        username=imports.username_for(unit, role, taken),
                        full_name=f"{unit.short_name or unit.name}{Role(role).label}",
                        role=role,
                        unit=unit,
                    )
                )
        try:
            batch = batches.account_batch_request(
                committee=committee, specs=specs, source=_("按单位批量创建"), actor=actor
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            return _batch_started(request, batch)
    return render(
        request,
        "accounts/manage/bulk_units.html",
        {"form": form, "batches": _recent_batches(request)},
    )


def _batch_started(request: HttpRequest, batch: AccountBatch) -> HttpResponse:
    messages.info(
        request,
        _("已提交，正在后台创建 %(n)d 个账号。可以离开本页，稍后在此查看并领取初始密码。")
        % {"n": batch.total},
    )
    return redirect("accounts_manage:batch", pk=batch.pk)


def _recent_batches(request: HttpRequest) -> list[AccountBatch]:
    return list(selectors.account_batches_for(request.actor)[:5])  # type: ignore[attr-defined]


@role_required(Role.COMMITTEE_ADMIN)
def bulk_import(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    actor = request.actor  # type: ignore[attr-defined]
    committee = _committee(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            checked = check_xlsx(
                form.cleaned_data["file"], max_mb=settings.MOFAN_IMPORT_MAX_MB, actor=actor
            )
        except UploadRejected as exc:
            form.add_error("file", str(exc))
        else:
            report = imports.parse_accounts_sheet(checked.content, committee=committee)
            if report.ok:
                try:
                    batch = batches.account_batch_request(
                        committee=committee,
                        specs=report.specs,
                        source=_("Excel 导入：%(name)s") % {"name": checked.name},
                        actor=actor,
                    )
                except (ValidationError, PermissionDenied) as exc:
                    report.errors.append((0, _refusal(exc)))
                else:
                    return _batch_started(request, batch)
    return render(
        request,
        "accounts/manage/bulk_import.html",
        {"form": form, "report": report, "batches": _recent_batches(request)},
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.COMMITTEE_ADMIN)
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        imports.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''accounts-template.xlsx"
    return response


@role_required(*MANAGERS)
def credentials_view(request: HttpRequest) -> HttpResponse:
    rows = credentials.take_for_display(request)
    return render(
        request,
        "accounts/manage/credentials.html",
        {"rows": rows, "can_download": credentials.pending_download(request)},
    )


@require_POST
@role_required(*MANAGERS)
def credentials_download(request: HttpRequest) -> HttpResponse:
    content = credentials.take_for_download(request)
    if content is None:
        messages.error(request, _("初始密码只能下载一次，已被下载或已失效。"))
        return redirect("accounts_manage:list")
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''initial-passwords.xlsx"
    response["Cache-Control"] = "no-store"
    return response
