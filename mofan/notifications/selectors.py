"""Reading notices: a user sees their own notices and nobody else's, whatever their roles."""

from __future__ import annotations

from django.db.models import QuerySet

from mofan.accounts.access import Actor
from mofan.notifications.models import Notice

# The bell shows "99+" beyond this: counting stops there, so the header query stays cheap.
BELL_CAP = 99


def notices_for(actor: Actor) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient_id=actor.user.pk).order_by("-created_at", "-pk")


def unread_count(user_id: int, cap: int = BELL_CAP) -> int:
    """Unread notices of one user, counted up to `cap` + 1 (one indexed query)."""
    return (
        Notice.objects.filter(recipient_id=user_id, read_at__isnull=True)
        .order_by()
        .values("pk")[: cap + 1]
        .count()
    )
