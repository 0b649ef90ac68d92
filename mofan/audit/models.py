"""The append-only, hash-chained audit trail.

Each entry's MAC covers its own fields and the previous entry's MAC, keyed by a secret that lives
outside the database (settings.MOFAN_AUDIT_KEY). Database triggers refuse UPDATE and DELETE; the
only deletion path is `audit.services.audit_purge`, which leaves a signed checkpoint.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class AuditEntry(models.Model):
    # Ids are assigned by the service under the append lock, so the chain has no gaps.
    id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    client_ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    result = models.CharField(_("结果"), max_length=16, choices=AuditResult.choices)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # The committee whose trail this belongs to; null for platform-wide entries.
    committee_id = models.BigIntegerField(_("工委编号"), null=True, blank=True, db_index=True)
    algorithm = models.CharField(max_length=16)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"#{self.id} {self.action}"


class AuditCheckpoint(models.Model):
    """Written by a purge: the chain continues from `through_id` with `through_mac`."""

    created_at = models.DateTimeField()
    through_id = models.BigIntegerField()
    through_mac = models.CharField(max_length=64)
    purged_count = models.BigIntegerField()
    algorithm = models.CharField(max_length=16)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["-through_id"]

    def __str__(self) -> str:
        return f"checkpoint through #{self.through_id}"


class DeniedThrottle(models.Model):
    """How many refusals (403s, CSRF failures, locked logins) a source had in the current
    window, so that an attack is recorded without flooding the trail (`audit_denied`)."""

    key = models.CharField(max_length=300, unique=True)
    window_start = models.DateTimeField(db_index=True)
    entries = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.key
