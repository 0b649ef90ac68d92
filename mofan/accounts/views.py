"""Self-service: log in (with 2FA), log out, change password, enrol 2FA, re-authenticate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import services, totp
from mofan.accounts.forms import LoginForm, OtpForm, PasswordChangeForm, ReauthForm
from mofan.accounts.models import User
from mofan.core.redirects import safe_next

PENDING_USER = "mofan_pending_2fa_user"
PENDING_AT = "mofan_pending_2fa_at"
PENDING_NEXT = "mofan_pending_next"
PENDING_SECONDS = 300


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home:home")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        outcome = services.login_check(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            ip=getattr(request, "client_ip", None),
        )
        if outcome.user is None:
            error = outcome.error
        else:
            next_url = safe_next(request, request.POST.get("next"))
            if totp.has_confirmed_device(outcome.user):
                request.session.cycle_key()
                request.session[PENDING_USER] = outcome.user.pk
                request.session[PENDING_AT] = timezone.now().timestamp()
                request.session[PENDING_NEXT] = next_url
                return redirect("accounts:login_otp")
            services.login_complete(request=request, user=outcome.user)
            return redirect(next_url)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
        status=400 if error else 200,
    )


def login_otp_view(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING_USER)
    started = float(request.session.get(PENDING_AT, 0))
    if not user_id or timezone.now().timestamp() - started > PENDING_SECONDS:
        request.session.pop(PENDING_USER, None)
        messages.info(request, _("请重新输入用户名和密码。"))
        return redirect("accounts:login")
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return redirect("accounts:login")
    form = OtpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        outcome = services.second_factor_check(
            user=user, code=form.cleaned_data["code"], ip=getattr(request, "client_ip", None)
        )
        if outcome is services.Guess.RIGHT:
            next_url = request.session.pop(PENDING_NEXT, "/")
            request.session.pop(PENDING_USER, None)
            services.login_complete(request=request, user=user, method="password+totp")
            return redirect(next_url)
        if outcome.locked:
            request.session.pop(PENDING_USER, None)
            messages.error(request, _("验证码连续错误，账号已锁定。"))
            return redirect("accounts:login")
        error = _("验证码不正确或已使用过，请输入验证器上的最新验证码。")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "error": error,
            "title": _("双因素认证"),
            "heading": _("输入验证码"),
            "intro": _(
                "请输入手机验证器应用上显示的6位验证码；手机不在身边时，可输入一个未使用过的恢复码。"
            ),
            "submit": _("验证"),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.logout_complete(request=request)
    messages.success(request, _("您已安全退出。"))
    return redirect("accounts:login")


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(user, request.POST or None, ip=getattr(request, "client_ip", None))
    if request.method == "POST" and form.is_valid():
        services.password_change(user=user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改。"))
        return redirect("home:home")
    if form.old_password_guess is not None and form.old_password_guess.locked:
        services.logout_complete(request=request, reason="locked")
        messages.error(request, _("当前密码连续输错，账号已锁定，请稍后重新登录。"))
        return redirect("accounts:login")
    reason = ""
    if user.must_change_password:
        reason = _("这是您的初始密码，请先设置自己的密码。")
    elif services.password_expired(user):
        reason = _("您的密码已超过有效期，请修改后继续使用。")
    return render(request, "accounts/password_change.html", {"form": form, "reason": reason})


@login_required
def reauth_view(request: HttpRequest) -> HttpResponse:
    form = ReauthForm(request.POST or None)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        outcome = services.reauth_confirm(request=request, password=form.cleaned_data["password"])
        if outcome is services.Guess.RIGHT:
            return redirect(next_url)
        if outcome.locked:
            messages.error(request, _("密码连续输错，账号已锁定，请稍后重新登录。"))
            return redirect("accounts:login")
        form.add_error("password", _("密码不正确。"))
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "next": next_url,
            "novalidate": True,
            "title": _("确认身份"),
            "heading": _("请再次输入密码"),
            "intro": _("为保护账号安全，修改角色、停用账号或重置密码前需要确认您的身份。"),
            "submit": _("确认"),
        },
    )


@login_required
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST" and "code" in request.POST:
        device = totp.device_for(user)
        form = OtpForm(request.POST)
        if device is not None and form.is_valid():
            codes = totp.totp_confirm(user=user, code=form.cleaned_data["code"])
            if codes is not None:
                return render(request, "accounts/recovery_codes.html", {"codes": codes})
            form.add_error("code", _("验证码不正确，请核对手机时间后重试。"))
        return render(
            request,
            "accounts/totp_setup.html",
            {"form": form, "device": device, "qr": totp.qr_svg(device) if device else ""},
        )
    device = totp.device_for(user)
    if device is not None and device.confirmed:
        return render(request, "accounts/totp_status.html", {"device": device})
    device = totp.totp_begin(user=user)
    return render(
        request,
        "accounts/totp_setup.html",
        {"form": OtpForm(), "device": device, "qr": totp.qr_svg(device)},
    )
