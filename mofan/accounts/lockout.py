"""Failed-login throttling keyed by account and by account + client address.

The client address comes from mofan.core.middleware.resolve_client_ip, which ignores a forged
X-Forwarded-For, so the header can neither dodge the lock nor aim it at someone else's address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from mofan.accounts.models import LoginThrottle


def throttle_keys(username: str, ip: str | None) -> list[str]:
    name = username.strip().lower()
    return [f"account:{name}", f"account-ip:{name}|{ip or '-'}"]


def locked_until(username: str, ip: str | None) -> datetime | None:
    now = timezone.now()
    until = (
        LoginThrottle.objects.filter(key__in=throttle_keys(username, ip), locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


def register_failure(username: str, ip: str | None) -> bool:
    """Count a failure; return True when this failure locks the account."""
    now = timezone.now()
    window = timedelta(minutes=settings.MOFAN_LOCKOUT_MINUTES)
    locked = False
    for key in throttle_keys(username, ip):
        throttle, _ = LoginThrottle.objects.get_or_create(key=key)
        if throttle.last_failure_at and now - throttle.last_failure_at > window:
            throttle.failures = 0
        if throttle.locked_until and throttle.locked_until <= now:
            throttle.failures = 0
            throttle.locked_until = None
        throttle.failures = F("failures") + 1 if throttle.failures else 1
        throttle.last_failure_at = now
        throttle.save()
        throttle.refresh_from_db()
        if throttle.failures >= settings.MOFAN_LOCKOUT_THRESHOLD and not throttle.locked_until:
            throttle.locked_until = now + window
            throttle.save(update_fields=["locked_until"])
            locked = True
    return locked


def clear(username: str, ip: str | None) -> None:
    LoginThrottle.objects.filter(key__in=throttle_keys(username, ip)).delete()


def clear_account(username: str) -> int:
    name = username.strip().lower()
    deleted, _ = LoginThrottle.objects.filter(key=f"account:{name}").delete()
    deleted2, _ = LoginThrottle.objects.filter(key__startswith=f"account-ip:{name}|").delete()
    return deleted + deleted2
