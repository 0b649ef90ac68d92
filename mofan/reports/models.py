"""Background export jobs: what was asked, by whom, how far it got, and the file it produced
(kept for a set time, served only to the person who asked)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import campaign_ref, committee_ref, unit_ref, user_ref


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


class ExportJob(models.Model):
    user = user_ref("export_jobs", on_delete=models.CASCADE)
    committee = committee_ref(on_delete=models.CASCADE, optional=True)
    campaign = campaign_ref(on_delete=models.CASCADE, optional=True)
    unit = unit_ref(on_delete=models.CASCADE, optional=True)
    exporter = models.CharField(_("报表"), max_length=40)
    format = models.CharField(_("格式"), max_length=8)
    state = models.CharField(
        _("状态"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    stored_name = models.CharField(max_length=100, blank=True)
    download_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.exporter}.{self.format} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
