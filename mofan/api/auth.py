"""Who calls the API: a personal token (`Authorization: Bearer mf_...`, accounts/tokens.py),
its account's roles as the `Actor`, its scope, and a rate limit per token.

Everything after authentication runs as that account: the same scoped selectors and services
as the pages. While the request runs, every audit entry carries the token's name
(`core.request_context.api_token_name`, read by `audit._pending`).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import ApiToken
from mofan.accounts.tokens import api_refusal, token_authenticate
from mofan.core.request_context import api_token_name

WINDOW_SECONDS = 60


class ApiRefused(Exception):
    """A valid token whose account may not use the API, or a read-only token on a write."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _count_call(token: ApiToken) -> None:
    """A fixed one-minute window per token, counted on the token's row by conditional
    `UPDATE`s, each atomic in the database: every application server and worker process counts
    the same calls (a per-process cache would let each of them allow the limit again). Over the
    limit: RateLimited with the seconds left in the window. One statement in the usual case."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    limit = settings.MOFAN_API_RATE_PER_MINUTE
    rows = ApiToken.objects.filter(pk=token.pk)
    counted = rows.filter(rate_window=window, rate_calls__lt=limit).update(
        rate_calls=F("rate_calls") + 1
    )
    if not counted:  # a new window, unless this one is spent
        counted = rows.exclude(rate_window=window).update(rate_window=window, rate_calls=1)
    if not counted:  # another request may have opened the window meanwhile: count in it
        counted = rows.filter(rate_window=window, rate_calls__lt=limit).update(
            rate_calls=F("rate_calls") + 1
        )
    if not counted:
        raise RateLimited(max(1, int((window + 1) * WINDOW_SECONDS - now) + 1))


class TokenAuth(HttpBearer):
    """A live token; `write=True` also asks for the read-write scope (403 otherwise)."""

    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_authenticate(token)
        if found is None:
            return None
        actor = actor_for(found.user)
        refusal = api_refusal(actor)
        if refusal:
            raise ApiRefused(refusal)
        _count_call(found)
        if self.write and found.scope != ApiToken.Scope.READ_WRITE:
            raise ApiRefused(_("只读令牌不能写入数据。"))
        request.user = found.user
        request.actor = actor  # type: ignore[attr-defined]
        api_token_name.set(found.name)
        return found


read_auth = TokenAuth()
write_auth = TokenAuth(write=True)


def actor(request: Any) -> Actor:
    """The actor of an authenticated API request."""
    return request.actor
