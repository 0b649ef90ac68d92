"""The REST API under /api/v1/ (django-ninja): typed schemas, OpenAPI 3 generated from the code
(/api/v1/openapi.json), docs page rendered on the server from it (/api/v1/docs/, views_docs).

Errors are one shape, `{"detail": "<Chinese>"}`: 401 no or bad token, 403 refused (role,
scope, the services' PermissionDenied), 404 not in the caller's scope, 400 refused input (the
services' ValidationError), 409 a stale version (`core.concurrency.StaleWrite`), 429 over the
token's rate (with Retry-After), 422 a body or query that does not fit the schema."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaError

from mofan.api import endpoints_read, endpoints_write, roster_endpoints
from mofan.api.auth import ApiRefused, RateLimited
from mofan.core.concurrency import StaleWrite
from mofan.core.refusals import refusal_text
from mofan.core.uploads import UploadRejected

api = NinjaAPI(
    title="模范机关创建平台 API",
    version="1",
    description="以个人 API 令牌调用（请求头 Authorization: Bearer mf_…）；"
    "令牌在“API 令牌”页面创建。读写范围与该账号在页面上的权限完全一致。",
    urls_namespace="api",
    docs_url=None,
    openapi_url="/openapi.json",
)
# endpoints_write and roster_endpoints add their operations to the one router of endpoints_read.
assert endpoints_write.router is roster_endpoints.router is endpoints_read.router
api.add_router("", endpoints_read.router)


def _detail(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": message}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = _detail(request, _("缺少有效的 API 令牌（已过期、已撤销或不存在）。"), 401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ApiRefused)
def _refused(request: HttpRequest, exc: ApiRefused) -> HttpResponse:
    return _detail(request, exc.message, 403)


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = _detail(
        request, _("调用过于频繁，请在 %(n)s 秒后重试。") % {"n": exc.retry_after}, 429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _detail(request, refusal_text(exc) or _("您无权进行此操作。"), 403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _detail(request, _("未找到，或不在您的权限范围内。"), 404)


@api.exception_handler(StaleWrite)
def _stale(request: HttpRequest, exc: StaleWrite) -> HttpResponse:
    return _detail(request, " ".join(exc.messages), 409)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _detail(request, " ".join(exc.messages), 400)


@api.exception_handler(UploadRejected)
def _upload_rejected(request: HttpRequest, exc: UploadRejected) -> HttpResponse:
    return _detail(request, str(exc), 400)


@api.exception_handler(SchemaError)
def _schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    errors: list[dict[str, Any]] = [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", ""))} for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": _("请求数据不符合接口定义。"), "errors": errors}, status=422
    )
