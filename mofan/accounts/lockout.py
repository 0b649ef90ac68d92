"""Password-guess throttling keyed by account and by account + client address.

A guess is counted *before* the password is hashed: `attempt_begin` takes a slot under a row
lock (PostgreSQL `SELECT ... FOR UPDATE`; SQLite's IMMEDIATE transactions serialise writers
anyway), and refuses when the slots of the window are used up. Only then is the password
checked; a right password gives its slot back (`attempt_refund`), a wrong one keeps it. So
however many requests arrive at once, at most MOFAN_LOCKOUT_THRESHOLD guesses are evaluated
per window and account, across the login form, the second factor, re-authentication and the
old-password check of a password change, which all go through here.

The client address comes from mofan.core.middleware.resolve_client_ip, which ignores a forged
X-Forwarded-For, so the header can neither dodge the lock nor aim it at someone else's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
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


@dataclass(frozen=True)
class Attempt:
    """A slot taken for one guess, or a refusal (`refused_until` set: nothing is evaluated)."""

    username: str
    ip: str | None
    refused_until: datetime | None = None
    # This guess took the last slot: if it fails, the account is locked from now on.
    last_slot: bool = False

    @property
    def refused(self) -> bool:
        return self.refused_until is not None


def _locked_rows(keys: list[str]) -> list[LoginThrottle]:
    LoginThrottle.objects.bulk_create(
        [LoginThrottle(key=key) for key in keys], ignore_conflicts=True
    )
    return list(LoginThrottle.objects.select_for_update().filter(key__in=keys).order_by("key"))


def attempt_begin(username: str, ip: str | None) -> Attempt:
    """Take one guess slot for the account (and account + address), or refuse while locked."""
    now = timezone.now()
    window = timedelta(minutes=settings.MOFAN_LOCKOUT_MINUTES)
    threshold = settings.MOFAN_LOCKOUT_THRESHOLD
    with transaction.atomic():
        rows = _locked_rows(throttle_keys(username, ip))
        for row in rows:
            expired_lock = row.locked_until is not None and row.locked_until <= now
            stale = row.last_failure_at is not None and now - row.last_failure_at > window
            if expired_lock or (stale and row.locked_until is None):
                row.failures, row.locked_until = 0, None
        locks = [row.locked_until for row in rows if row.locked_until is not None]
        if locks:
            for row in rows:
                row.save(update_fields=["failures", "locked_until"])
            return Attempt(username, ip, refused_until=max(locks))
        last_slot = False
        for row in rows:
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= threshold:
                row.locked_until = now + window
                last_slot = True
            row.save(update_fields=["failures", "last_failure_at", "locked_until"])
    return Attempt(username, ip, last_slot=last_slot)


def attempt_refund(attempt: Attempt) -> None:
    """The guess was right: give its slot back (and lift the lock it may have set)."""
    threshold = settings.MOFAN_LOCKOUT_THRESHOLD
    with transaction.atomic():
        for row in _locked_rows(throttle_keys(attempt.username, attempt.ip)):
            row.failures = max(0, row.failures - 1)
            if row.failures < threshold:
                row.locked_until = None
            row.save(update_fields=["failures", "locked_until"])


def clear(username: str, ip: str | None) -> None:
    LoginThrottle.objects.filter(key__in=throttle_keys(username, ip)).delete()


def clear_account(username: str) -> int:
    name = username.strip().lower()
    deleted, _ = LoginThrottle.objects.filter(key=f"account:{name}").delete()
    deleted2, _ = LoginThrottle.objects.filter(key__startswith=f"account-ip:{name}|").delete()
    return deleted + deleted2
