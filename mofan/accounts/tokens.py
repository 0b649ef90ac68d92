"""Personal API tokens (issue 19 point 5): made by the account itself, shown once, kept only as
a SHA-256 hash, named, with an expiry and a read-only or read-write scope, revocable.

Who may hold one: 审计员 and 安全管理员 never (their work is on the pages, under 三权分立);
an account with a committee role only once it has confirmed two-factor authentication.
The REST API (mofan/api) authenticates with `token_authenticate`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts import totp
from mofan.accounts.access import Actor
from mofan.accounts.models import ApiToken, User
from mofan.accounts.roles import COMMITTEE_ROLES, Role
from mofan.audit.services import audit_record

PREFIX = "mf_"
LOOKUP_CHARS = 12
MAX_DAYS = 365
MAX_ACTIVE = 20
# The last use is written at most once a minute, so that reading does not write on every call.
LAST_USED_STEP = timedelta(minutes=1)
NO_API_ROLES = frozenset({Role.AUDITOR, Role.SECURITY_ADMIN})
NEEDS_2FA = gettext_lazy("工委角色须先启用双因素认证，才能创建和使用 API 令牌。")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_refusal(actor: Actor) -> str | None:
    """Why the actor may not hold or use an API token, in Chinese; None when it may."""
    if not actor.user.is_authenticated or not actor.user.is_active:
        return _("账号不可用。")
    if actor.has(*NO_API_ROLES):
        return _("审计员和安全管理员不使用 API。")
    if not actor.roles:
        return _("没有任何角色的账号不能使用 API。")
    if actor.has(*COMMITTEE_ROLES) and not totp.has_confirmed_device(actor.user):
        return str(NEEDS_2FA)
    return None


def may_use_api(actor: Actor) -> bool:
    """Shows the token page in the menu: every role but the auditor's and security admin's."""
    return bool(actor.roles) and not actor.has(*NO_API_ROLES)


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))


@transaction.atomic
def token_create(
    *, name: str, scope: str, days: int, actor: Actor, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token of the actor's own account, and its secret (shown once, never stored)."""
    refusal = api_refusal(actor)
    if refusal:
        raise PermissionDenied(refusal)
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationError(_("请填写令牌名称（不超过 60 个字）。"))
    if scope not in ApiToken.Scope.values:
        raise ValidationError(_("权限只能是只读或读写。"))
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(_("有效期须在 1 至 %(max)s 天之间。") % {"max": MAX_DAYS})
    now = now or timezone.now()
    active = ApiToken.objects.filter(user=actor.user, revoked_at=None, expires_at__gt=now)
    if active.count() >= MAX_ACTIVE:
        raise ValidationError(_("有效令牌已达 %(n)s 个，请先撤销不用的令牌。") % {"n": MAX_ACTIVE})
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user,
        name=name,
        prefix=raw[len(PREFIX) : len(PREFIX) + LOOKUP_CHARS],
        secret_hash=_hash(raw),
        scope=scope,
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        action="account.token.create",
        actor=actor.user,
        target=token,
        after={"name": name, "scope": scope, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Actor) -> None:
    """Revoke one of the actor's own tokens (at once: the next call with it is refused)."""
    if token.user_id != actor.user.pk:
        raise PermissionDenied(_("只能撤销自己的令牌。"))
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action="account.token.revoke", actor=actor.user, target=token, before={"name": token.name}
    )


def token_authenticate(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token whose secret is `raw` (with its user), or None: unknown, wrong secret,
    revoked, expired, or its account disabled. Notes the last use (at most once a minute)."""
    if not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    prefix = raw[len(PREFIX) : len(PREFIX) + LOOKUP_CHARS]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(raw)):
        return None
    now = now or timezone.now()
    if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
