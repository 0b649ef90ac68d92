"""In-app notices (the bell). A notice names what happened and links to it; it never asks
anyone to check in, take photos or report daily."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.extensions import notice_label
from mofan.core.references import user_ref


class Notice(models.Model):
    recipient = user_ref("notices", on_delete=models.CASCADE)
    kind = models.CharField(max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    # Deduplication: one notice per recipient and key (e.g. "problem:12:due7").
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~models.Q(key=""), name="notice_key_unique"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        """What the notice is about (问题整改, 督办…), as the sending app registered its kinds."""
        return notice_label(self.kind)
