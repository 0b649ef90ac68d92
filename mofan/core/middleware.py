"""Request-wide middleware: the trusted client address and the security headers."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from mofan.core.request_context import api_token_name, client_ip

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def resolve_client_ip(request: HttpRequest) -> str | None:
    """The address of the client as far as it can be trusted.

    X-Forwarded-For is honoured only when the direct peer is a configured trusted proxy, and then
    only its last hop that is not itself a trusted proxy: a client cannot choose its own address by
    sending the header.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    trusted = set(settings.MOFAN_TRUSTED_PROXIES)
    if remote is None or remote not in trusted:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        ip = _valid_ip(hop)
        if ip is None:
            return remote
        if ip not in trusted:
            return ip
    return remote


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ip = resolve_client_ip(request)
        request.client_ip = ip  # type: ignore[attr-defined]
        token = client_ip.set(ip)
        api_token = api_token_name.set(None)
        try:
            return self.get_response(request)
        finally:
            api_token_name.reset(api_token)
            client_ip.reset(token)


class SecurityHeadersMiddleware:
    """A strict Content Security Policy (no inline script or style) and a Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response
