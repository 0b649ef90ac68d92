"""Evidence files (佐证材料): a file uploaded once per unit, which other apps link to.

The model moved here from `evaluations` without touching the data: its table keeps the name
`evaluations_evidence` (migrations/0001_initial.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import unit_ref, user_ref


class EvidenceKind(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word"
    XLSX = "xlsx", "Excel"
    JPG = "jpg", "JPEG"
    PNG = "png", "PNG"
    OFD = "ofd", "OFD"


class Evidence(models.Model):
    """A file uploaded once per unit, linked to any number of indicators."""

    unit = unit_ref("evidence")
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=EvidenceKind.choices)
    size = models.PositiveBigIntegerField(_("大小"))
    uploaded_by = user_ref()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evaluations_evidence"
        ordering = ["unit", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "sha256"], name="evidence_unit_sha256_unique")
        ]

    def __str__(self) -> str:
        return self.original_name
