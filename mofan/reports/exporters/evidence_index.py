"""佐证材料索引 of a campaign: which file backs which indicator of which unit (one row per
evidence link), with the file's name, type, size, upload time and uploader, and its SHA-256 so
that a file handed over separately can be matched to the index.

Read through `evaluations.selectors.enrollments_for` and `evidence_for`, like the evidence pages:
committee staff get every unit of the campaign, a unit's admin or leader its own unit, a
reviewer the units assigned to its review groups (the scoring page lists their files; it does
not name the uploader, so neither does a reviewer's index). Anybody else: PermissionDenied.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts import rules
from mofan.core.exports.base import Column
from mofan.core.exports.registry import register
from mofan.evaluations.models import EvidenceLink
from mofan.evaluations.selectors import enrollments_for
from mofan.evidence.models import EvidenceKind
from mofan.evidence.selectors import evidence_for
from mofan.reports.exporters._scope import CampaignTable, paged


@register
class EvidenceIndexExporter(CampaignTable):
    identifier = "evidence_index"
    label = gettext_lazy("佐证材料索引")  # type: ignore[assignment]
    formats = ("xlsx", "csv")

    @cached_property
    def reviewed_units(self) -> set[int]:
        """Units of the campaign assigned to a review group the actor sits in or leads."""
        if self.is_staff or not rules.is_reviewer(self.actor):
            return set()
        return set(
            enrollments_for(self.actor)
            .filter(campaign=self.campaign)
            .exclude(unit_id__in=self.own_units)
            .values_list("unit_id", flat=True)
        )

    def check(self) -> None:
        if not (self.is_staff or self.own_units or self.reviewed_units):
            raise PermissionDenied(_("无权导出该创建活动的佐证材料索引。"))
        self.check_unit(also=self.reviewed_units)

    def links(self) -> QuerySet[EvidenceLink]:
        qs = EvidenceLink.objects.filter(
            enrollment__campaign=self.campaign,
            enrollment_id__in=enrollments_for(self.actor)
            .filter(campaign=self.campaign)
            .values("pk"),
            evidence_id__in=evidence_for(self.actor).values("pk"),
        )
        if self.unit is not None:
            qs = qs.filter(enrollment__unit_id=self.unit.pk)
        return qs

    def count(self) -> int:
        return int(self.links().count())

    def columns(self) -> list[Column]:
        return [
            Column(_("单位"), "text", 14),
            Column(_("指标编码"), "text", 5),
            Column(_("指标名称"), "text", 18),
            Column(_("文件名"), "text", 20),
            Column(_("类型"), "text", 4),
            Column(_("大小（字节）"), "integer", 6),
            Column(_("上传时间"), "date", 8),
            Column(_("上传人"), "text", 6),
            Column("SHA-256", "text", 32),
        ]

    def rows(self) -> Iterator[Sequence[Any]]:
        kinds = {value: str(label) for value, label in EvidenceKind.choices}
        qs = self.links().order_by(
            "enrollment__unit__sort_order",
            "enrollment__unit_id",
            "node__order",
            "evidence__uploaded_at",
            "pk",
        )
        fields = (
            "enrollment__unit_id",
            "enrollment__unit__name",
            "node__code",
            "node__title",
            "evidence__original_name",
            "evidence__kind",
            "evidence__size",
            "evidence__uploaded_at",
            "evidence__uploaded_by__full_name",
            "evidence__uploaded_by__username",
            "evidence__sha256",
        )
        for link in paged(qs.values(*fields)):
            uploader = ""
            if self.is_staff or link["enrollment__unit_id"] in self.own_units:
                uploader = (
                    link["evidence__uploaded_by__full_name"]
                    or link["evidence__uploaded_by__username"]
                )
            yield [
                link["enrollment__unit__name"],
                link["node__code"],
                link["node__title"],
                link["evidence__original_name"],
                kinds.get(link["evidence__kind"], link["evidence__kind"]),
                link["evidence__size"],
                link["evidence__uploaded_at"],
                uploader,
                link["evidence__sha256"],
            ]
