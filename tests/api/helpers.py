"""Tokens and calls for the API tests: a token made through the service (as the page does),
and a client that sends it."""

from __future__ import annotations

from typing import Any

from django.test import Client, TestCase
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import TotpDevice, User
from mofan.accounts.tokens import token_create
from tests.task_worker import run_queued_tasks

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


class Synced:
    """A roster sheet posted, and, when the request handed it to a worker (202), the worker
    run and the sync read back at its address: `status_code` is the post's, `json()` the
    sync as it ended (or the post's refusal)."""

    def __init__(self, api: Api, path: str, body: Any) -> None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            self.posted = api.post(path, body)
        self.status_code = self.posted.status_code
        self.content = self.posted.content
        self.body = self.posted.json()
        if self.status_code == 202:
            assert self.posted["Location"] == self.body["url"]
            assert self.body["state"] == "queued" and self.body["total"] == len(body["rows"])
            assert run_queued_tasks() == 1
            read = api.client.get(self.body["url"], headers=api.headers)
            assert read.status_code == 200, read.content
            self.body = read.json()

    def json(self) -> Any:
        return self.body


def counts(synced: Synced) -> dict[str, int]:
    """What a sync that ended well wrote."""
    assert synced.status_code == 202, synced.content
    assert synced.body["state"] == "done", synced.body
    return {key: synced.body[key] for key in ("created", "updated", "unchanged")}


def sync(api: Api, path: str, body: Any) -> Synced:
    return Synced(api, path, body)
