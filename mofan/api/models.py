"""What the API keeps between a request and its task: the roster syncs (`roster_tasks.py`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.background import HandedWork
from mofan.core.references import committee_ref, unit_ref


class SyncKind(models.TextChoices):
    MEMBERS = "members", _("党员花名册")
    UNITS = "units", _("单位名册")
    PARTY_ORGS = "party_orgs", _("党组织")


class RosterSync(HandedWork):
    """One roster sheet sent through the API (issue 19 point 1: bulk imports run as tasks). The
    request checks every row and keeps the sheet here (`rows`, JSON as sent); a worker checks it
    again and writes it all or nothing, then says how many rows it created, updated or left
    unchanged, or, by row, why it wrote nothing. The rows are emptied when the worker ends: a
    caller whose sync failed sends the corrected sheet again."""

    kind = models.CharField(_("类型"), max_length=12, choices=SyncKind.choices)
    committee = committee_ref()
    unit = unit_ref(null=True, blank=True)  # the unit whose members or organisations
    via_token = models.CharField(max_length=100, blank=True)  # the token's name, for the audit
    rows = models.TextField(blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "message"}] when refused

    class Meta(HandedWork.Meta):
        verbose_name = _("名册同步")
        verbose_name_plural = _("名册同步")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="roster_sync_by")]

    def __str__(self) -> str:
        return f"RosterSync({self.pk}, {self.kind}, {self.state})"
