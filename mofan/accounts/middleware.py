"""Session lifetime (30 idle minutes, 12 hours in all) and account policy enforcement."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from mofan.accounts import services, totp
from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.audit.services import audit_denied

# Paths a user who must first change the password or enrol 2FA can still reach.
_POLICY_EXEMPT = ("/accounts/", "/static/")


def _with_message(
    request: HttpRequest, level: int, text: str, response: HttpResponse
) -> HttpResponse:
    """Queue a flash message from a middleware that runs before MessageMiddleware.

    These middlewares sit above MessageMiddleware in settings.MIDDLEWARE and answer without
    calling the rest of the chain, so they set up and store the messages themselves (the
    message survives the logout: the default storage tries a cookie first).
    """
    storage = getattr(request, "_messages", None)
    if storage is None:
        storage = default_storage(request)
        request._messages = storage  # type: ignore[attr-defined]
    messages.add_message(request, level, text)
    storage.update(response)
    return response


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = timezone.now().timestamp()
            auth_at = float(request.session.get(services.SESSION_AUTH_AT, 0))
            seen_at = float(request.session.get(services.SESSION_SEEN_AT, 0))
            idle = settings.MOFAN_SESSION_IDLE_MINUTES * 60
            absolute = settings.MOFAN_SESSION_ABSOLUTE_HOURS * 3600
            if now - seen_at > idle or now - auth_at > absolute:
                reason = "idle" if now - seen_at > idle else "absolute"
                services.logout_complete(request=request, reason=reason)
                response: HttpResponse
                # HtmxMiddleware runs later (request.htmx is not set yet): read the header.
                if request.headers.get("HX-Request") == "true":
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("accounts:login")
                else:
                    query = urlencode({"next": request.get_full_path()})
                    response = redirect(f"{reverse('accounts:login')}?{query}")
                return _with_message(
                    request, messages.INFO, _("会话已超时，请重新登录。"), response
                )
            if now - seen_at > 30:
                request.session[services.SESSION_SEEN_AT] = now
        return self.get_response(request)


class AccountPolicyMiddleware:
    """Attach the actor; send users who must change their password or enrol 2FA there first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: actor_for(request.user))  # type: ignore[arg-type,attr-defined]
        user = request.user
        if isinstance(user, User) and not request.path.startswith(_POLICY_EXEMPT):
            if user.must_change_password or services.password_expired(user):
                return redirect("accounts:password_change")
            required = set(settings.MOFAN_REQUIRE_2FA_ROLES)
            if (
                required
                and request.actor.has(*required)  # type: ignore[attr-defined]
                and not totp.has_confirmed_device(user)
            ):
                # Refused until enrolled: audited, at most once per account in a window.
                audit_denied(
                    action="account.2fa.required",
                    path="accounts:totp_setup",
                    actor=user,
                    extra={"url": request.path[:200]},
                )
                return _with_message(
                    request,
                    messages.WARNING,
                    _("您的角色要求启用双因素认证，请先完成设置。"),
                    redirect("accounts:totp_setup"),
                )
        return self.get_response(request)
