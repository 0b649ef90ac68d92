"""Accounts, role assignments, two-factor devices and login throttles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from mofan.accounts.roles import Role
from mofan.core.background import BatchState, HandedWork
from mofan.core.fields import EncryptedCharField
from mofan.core.references import committee_ref, unit_ref


class User(AbstractUser):
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    full_name = models.CharField(_("姓名"), max_length=50)
    # Encrypted at rest (SM4-GCM, mofan/core/fields.py), like TotpDevice.secret.
    phone = EncryptedCharField(_("手机号"), max_length=20, blank=True)
    committee = committee_ref("accounts", optional=True, verbose_name=_("所属工委"))
    member = models.OneToOneField(
        "organizations.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account",
        verbose_name=_("对应成员"),
    )
    must_change_password = models.BooleanField(_("须修改密码"), default=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    # Bumping the epoch invalidates every session of the account (logout everywhere).
    session_epoch = models.PositiveIntegerField(default=0)
    is_demo = models.BooleanField(_("演示账号"), default=False)

    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "mofan.accounts.User.session",
            f"{self.password}|{self.session_epoch}|{self.is_active}",
            algorithm="sha256",
        ).hexdigest()


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    committee = committee_ref()
    unit = unit_ref("role_assignments", optional=True, verbose_name=_("单位"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=models.Q(unit__isnull=False),
                name="role_unit_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "committee"],
                condition=models.Q(unit__isnull=True),
                name="role_committee_unique",
            ),
        ]

    def __str__(self) -> str:
        label = Role(self.role).label
        return f"{label}（{self.unit}）" if self.unit_id else str(label)


class TotpDevice(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret = EncryptedCharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last accepted 30-second step: a code is never accepted twice (replay protection).
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP({self.user_id})"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"RecoveryCode({self.user_id})"


class LoginThrottle(models.Model):
    """Failed-login counters, kept in the database so a lock survives a restart."""

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class ApiToken(models.Model):
    """A personal token for the REST API (/api/v1/, mofan/api). Only a SHA-256 of the secret is
    kept; the secret is shown once, when the token is made. `prefix` (the secret's first
    characters) finds the row; the hash is compared in constant time."""

    class Scope(models.TextChoices):
        READ = "read", _("只读")
        READ_WRITE = "read_write", _("读写")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(_("权限"), max_length=16, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField(_("到期时间"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # The rate limit's current one-minute window (minutes since the epoch) and the calls counted
    # in it: on the row, so that every application server and process counts the same calls.
    rate_window = models.PositiveBigIntegerField(default=0)
    rate_calls = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class AccountBatch(HandedWork):
    """Accounts created in bulk (an Excel import, or accounts for chosen units) as a background
    task (`accounts/batches.py`): making each initial password's hash takes a quarter of a
    second, so 5,000 accounts take twenty minutes, far beyond a web request. The request
    validates the rows and records them here (`specs`, encrypted: they hold phone numbers); the
    task makes the passwords (`prepared` counts them for the progress bar), then creates every
    account or none in one transaction and keeps the initial passwords (`credentials`,
    encrypted) until the requester collects them, once; both are emptied when no longer
    needed."""

    committee = committee_ref(on_delete=models.CASCADE)
    prepared = models.PositiveIntegerField(default=0)  # initial passwords made so far
    created = models.PositiveIntegerField(default=0)  # accounts created, when done
    specs = EncryptedCharField(max_length=20_000_000, blank=True)  # JSON rows, until done
    credentials = EncryptedCharField(max_length=20_000_000, blank=True)  # until collected
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta(HandedWork.Meta):
        verbose_name = _("批量创建账号")
        verbose_name_plural = _("批量创建账号")

    def __str__(self) -> str:
        return f"AccountBatch({self.pk}, {self.state})"

    @property
    def percent(self) -> int:
        if self.state == BatchState.DONE:
            return 100
        return int(self.prepared * 100 / self.total) if self.total else 0
