"""Tokens and calls for the API tests: a token made through the service (as the page does),
and a client that sends it."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import TotpDevice, User
from mofan.accounts.tokens import token_create

BASE = "/api/v1"


def with_2fa(user: User) -> User:
    TotpDevice.objects.update_or_create(
        user=user, defaults={"secret": "JBSWY3DPEHPK3PXP", "confirmed_at": timezone.now()}
    )
    return user


def token_of(
    user: User, *, scope: str = "read_write", name: str = "组织部同步", days: int = 30
) -> str:
    _token, secret = token_create(name=name, scope=scope, days=days, actor=actor_for(user))
    return secret


class Api:
    """Calls with `Authorization: Bearer <secret>`."""

    def __init__(self, secret: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            BASE + path, body, content_type="application/json", headers=self.headers
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            BASE + path, body, content_type="application/json", headers=self.headers
        )

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(BASE + path, data, headers=self.headers)


def api_for(user: User, **kw: Any) -> Api:
    return Api(token_of(user, **kw))


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content.decode()[:500]
    body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}
