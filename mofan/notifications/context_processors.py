"""The bell in the header: the user's unread count, counted lazily (only when a page that
shows the header renders it) and at most once per response; nothing for anonymous pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import cached_property

from mofan.notifications.selectors import BELL_CAP, unread_count


class Bell:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    @cached_property
    def count(self) -> int:
        return unread_count(self.user_id)

    @property
    def label(self) -> str:
        return f"{BELL_CAP}+" if self.count > BELL_CAP else str(self.count)


def notice_bell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notice_bell": Bell(user.pk)}
