"""TOTP two-factor login (RFC 6238) with replay protection and one-time recovery codes."""

from __future__ import annotations

import base64
import io
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from mofan.accounts.models import RecoveryCode, TotpDevice, User
from mofan.audit.models import AuditResult
from mofan.audit.services import audit_record

ISSUER = "模范机关创建平台"
RECOVERY_CODE_COUNT = 10
STEP = 30


def device_for(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user).first()


def has_confirmed_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def totp_begin(*, user: User) -> TotpDevice:
    """Start (or restart) enrolment with a new secret; not active until confirmed."""
    device, _ = TotpDevice.objects.update_or_create(
        user=user,
        defaults={"secret": pyotp.random_base32(), "confirmed_at": None, "last_step": 0},
    )
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.username, issuer_name=ISSUER)


def qr_svg(device: TotpDevice) -> str:
    image = qrcode.make(provisioning_uri(device), image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _accept(device: TotpDevice, code: str, now: float | None) -> bool:
    step = _matching_step(device.secret, code, time.time() if now is None else now)
    # Replay protection: a step at or before the last accepted one is refused.
    if step is None or step <= device.last_step:
        return False
    updated = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    return updated == 1


@transaction.atomic
def totp_confirm(*, user: User, code: str, now: float | None = None) -> list[str] | None:
    """Confirm enrolment with a first code; returns fresh recovery codes, or None if wrong."""
    device = device_for(user)
    if device is None or not _accept(device, code, now):
        return None
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    codes = _new_recovery_codes(user)
    audit_record(action="account.2fa.enable", actor=user, target=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=make_password(code)) for code in codes
    )
    return codes


@transaction.atomic
def totp_verify(*, user: User, code: str, now: float | None = None) -> bool:
    """Second login factor: a TOTP code or an unused recovery code."""
    device = device_for(user)
    ok = False
    method = "totp"
    if device is not None and device.confirmed and _accept(device, code, now):
        ok = True
    else:
        candidate = code.strip().lower()
        for recovery in RecoveryCode.objects.filter(user=user, used_at__isnull=True):
            if check_password(candidate, recovery.code_hash):
                updated = RecoveryCode.objects.filter(pk=recovery.pk, used_at__isnull=True).update(
                    used_at=timezone.now()
                )
                ok = updated == 1
                method = "recovery_code"
                break
    audit_record(
        action="account.2fa.verify",
        actor_name=user.username,
        target=user,
        result=AuditResult.SUCCESS if ok else AuditResult.FAILURE,
        extra={"method": method},
    )
    return ok


@transaction.atomic
def totp_disable(*, user: User, actor: User) -> None:
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(action="account.2fa.disable", actor=actor, target=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    audit_record(action="account.2fa.recovery_codes", actor=user, target=user)
    return codes
