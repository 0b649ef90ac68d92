"""Background export jobs: what was asked, by whom, how far it got, and the file it produced
(kept for a set time, served only to the person who asked). And the official documents
drafted, numbered and issued (`issuing.py`): the committee's register, drafts, issued
versions."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import campaign_ref, committee_ref, reference, unit_ref, user_ref


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")
    CANCELLED = "cancelled", _("已取消")


class ExportJob(models.Model):
    """The user-facing record of an export; a task (`jobs.export_task`) produces the file."""

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


# --- official documents drafted, numbered and issued (issue 18 point 1; `issuing.py`) --------


class DocumentRegister(models.Model):
    """The committee's register of outgoing documents (发文登记): its 机关代字 and, per year, the
    last serial given (`DocumentSerial`)."""

    committee = committee_ref(on_delete=models.CASCADE)
    prefix = models.CharField(_("机关代字"), max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["committee"], name="reports_register_one_per_committee")
        ]

    def __str__(self) -> str:
        return self.prefix


class DocumentSerial(models.Model):
    """The last serial given in one year: the next document of the year takes `last + 1`,
    allocated under a row lock inside the issuing transaction (no gaps, no reuse)."""

    register = models.ForeignKey(DocumentRegister, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["register", "year"], name="reports_serial_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class DocumentDraft(models.Model):
    """A draft of an official document: the built `Doc` as JSON (`issuing.doc_to_json`), its
    paragraphs and headings edited by the committee's staff; its tables stay bound to the data
    (stored as references, rebuilt when the draft is issued)."""

    committee = committee_ref(on_delete=models.CASCADE)
    # A campaign's document (`unit` for a per-unit one) or an honour programme's (`programme`;
    # its campaign, when it has one, is kept too).
    campaign = campaign_ref(on_delete=models.CASCADE, optional=True)
    programme = reference("honours.HonourProgramme", on_delete=models.CASCADE, optional=True)
    unit = unit_ref(on_delete=models.CASCADE, optional=True)
    document = models.CharField(_("公文"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    content = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    created_by = user_ref(on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class IssuedDocument(models.Model):
    """One issued version of a draft: frozen (content, number, 成文日期, both files with their
    SHA-256); never updated. Re-issuing makes version n+1 with a new number."""

    draft = models.ForeignKey(DocumentDraft, on_delete=models.PROTECT, related_name="issues")
    committee = committee_ref(on_delete=models.PROTECT)
    campaign = campaign_ref(on_delete=models.PROTECT, optional=True)
    programme = reference("honours.HonourProgramme", on_delete=models.PROTECT, optional=True)
    unit = unit_ref(on_delete=models.PROTECT, optional=True)
    document = models.CharField(_("公文"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    version = models.PositiveIntegerField(_("版本"))
    number = models.CharField(_("发文字号"), max_length=60)
    year = models.PositiveSmallIntegerField()
    serial = models.PositiveIntegerField()
    issued_on = models.DateField(_("成文日期"))
    content = models.JSONField(default=dict)
    docx_name = models.CharField(max_length=100)
    docx_sha256 = models.CharField(max_length=64)
    docx_size = models.PositiveBigIntegerField(default=0)
    pdf_name = models.CharField(max_length=100)
    pdf_sha256 = models.CharField(max_length=64)
    pdf_size = models.PositiveBigIntegerField(default=0)
    issued_by = user_ref(on_delete=models.PROTECT)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "version"], name="reports_issued_version"),
            models.UniqueConstraint(
                fields=["committee", "year", "serial"], name="reports_issued_serial"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Written once: an issued version is never changed (re-issuing makes a new one)."""
        if not self._state.adding:
            raise ValueError("an issued document is never changed")
        super().save(*args, **kwargs)
