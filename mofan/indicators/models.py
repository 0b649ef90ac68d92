"""Indicator systems (考评指标体系): versioned trees of scored nodes.

A published version is immutable: services refuse to change it and `IndicatorNode.save` refuses
too; editing means cloning it into a new draft.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import committee_ref, reference, user_ref


class IndicatorSystem(models.Model):
    # Null committee: a built-in template every committee can clone.
    committee = committee_ref("indicator_systems", optional=True)
    slug = models.SlugField(_("标识"), max_length=63)
    name = models.CharField(_("名称"), max_length=200)
    issuer = models.CharField(_("发布单位"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    description = models.TextField(_("说明"), blank=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    scoring = models.CharField(
        _("计分方式"),
        max_length=16,
        choices=[("points", _("分值")), ("qualitative", _("定性"))],
        default="points",
    )
    cadence = models.CharField(_("节奏"), max_length=100, blank=True)
    phases = models.JSONField(_("阶段"), default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "slug"],
                condition=models.Q(committee__isnull=False),
                name="indicator_system_slug_unique",
            ),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(committee__isnull=True),
                name="indicator_builtin_slug_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.committee_id is None


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class IndicatorVersion(models.Model):
    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    based_on = reference("self", "clones", on_delete=models.SET_NULL, optional=True)
    note = models.CharField(_("版本说明"), max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = user_ref(optional=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["system", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["system", "number"], name="indicator_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.system.name} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class PublishedVersionError(Exception):
    """Raised when anything tries to change a published version."""


class IndicatorNode(models.Model):
    version = models.ForeignKey(IndicatorVersion, on_delete=models.CASCADE, related_name="nodes")
    parent = reference("self", "children", on_delete=models.CASCADE, optional=True)
    code = models.CharField(_("编码"), max_length=32)
    title = models.CharField(_("标题"), max_length=500)
    criteria = models.TextField(_("考核标准"), blank=True)
    points = models.DecimalField(_("分值"), max_digits=8, decimal_places=2, null=True, blank=True)
    method = models.JSONField(_("评分方法"), default=dict)
    evidence = models.TextField(_("佐证材料"), blank=True)
    evidence_required = models.BooleanField(_("须附佐证"), default=False)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=3, default=1)
    override_points = models.BooleanField(_("分值不等于下级之和"), default=False)
    rules = models.JSONField(_("量化规则"), default=list, blank=True)
    note = models.TextField(_("备注"), blank=True)
    extra = models.JSONField(default=dict, blank=True)
    order = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["version", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="indicator_node_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if IndicatorVersion.objects.filter(
            pk=self.version_id, status=VersionStatus.PUBLISHED
        ).exists():
            raise PublishedVersionError("published versions are immutable")
        super().save(*args, **kwargs)

    @property
    def method_type(self) -> str:
        return str(self.method.get("type", ""))
